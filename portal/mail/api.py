"""``POST /declarations/{id}/email``: the declaration's PDF e-mailed by the worker."""

import uuid
from typing import Annotated

import msgspec
from litestar import Controller, post
from litestar.params import JSONBody, PathParameter

from portal import i18n
from portal.declarations import service as declarations
from portal.delivery import repository as deliveries
from portal.dependencies import InTransaction
from portal.documents import service as documents
from portal.errors import Unprocessable
from portal.identity.auth import CurrentOperator
from portal.openapi import AUTHENTICATED, WITH_BODY, errors
from portal.refusals import refusal
from portal.wire import StrictJSON
from schemas.declarations import Declaration
from schemas.documents import EmailRequest


def _asked(body: EmailRequest) -> tuple[i18n.Language, str, str]:
    """The language and address a body asks for, and the wire name of its language field: the
    official pair (declarationLanguage, emailAddress) or the other (language, email), not a mix."""
    official = (body.declaration_language, body.email_address)
    other = (body.language, body.email)
    if any(value is not msgspec.UNSET for value in official) and any(value is not msgspec.UNSET for value in other):
        raise Unprocessable(
            [refusal("", "fields_mixed", oneWay="declarationLanguage and emailAddress", otherWay="language and email")]
        )
    (language, address), names = (
        (other, ("language", "email"))
        if any(value is not msgspec.UNSET for value in other)
        else (official, ("declarationLanguage", "emailAddress"))
    )
    if isinstance(language, msgspec.UnsetType) or isinstance(address, msgspec.UnsetType):
        unset = [name for name, value in zip(names, (language, address), strict=True) if value is msgspec.UNSET]
        raise Unprocessable([refusal(name, "required") for name in unset])
    return language, address, names[0]


class EmailController(Controller):
    path = "/declarations"
    tags = ["Declarations"]

    @post(
        "/{declaration_id:uuid}/email",
        operation_id="EmailDeclaration",
        status_code=200,
        dto=StrictJSON[EmailRequest],
        return_dto=None,
        summary="E-mail the declaration's PDF (sent by the worker: declarationEmailStatus follows it)",
        description="The PDF of the current version, in the language asked for, to the address given."
        " The answer is the declaration, its `declarationEmailStatus` QUEUED until the e-mail is SENT"
        " (or FAILED, after retries). Drafts have no PDF (409).",
        responses=errors(*AUTHENTICATED, *WITH_BODY, 404, 409),
    )
    async def email_declaration(
        self,
        db: InTransaction,
        operator: CurrentOperator,
        declaration_id: Annotated[uuid.UUID, PathParameter(description="declarationId")],
        data: JSONBody[EmailRequest],
    ) -> Declaration:
        language, address, language_field = _asked(data)
        key = await documents.printable(db, operator, declaration_id, language, language_field)
        # Each request is an e-mail of its own: asking twice sends twice, as a user would expect.
        await deliveries.request_email(db, key.declaration_id, key.version, key.language, address, uuid.uuid4().hex)
        return await declarations.read(db, operator, declaration_id)
