"""``POST /declarations/{id}/email``: the declaration's PDF e-mailed by the worker."""

import uuid
from typing import Annotated

from litestar import Controller, post
from litestar.params import JSONBody, PathParameter

from portal.declarations import service as declarations
from portal.dependencies import InTransaction
from portal.identity.auth import CurrentOperator
from portal.mail import service
from portal.openapi import AUTHENTICATED, WITH_BODY, errors
from portal.wire import StrictJSON
from schemas.declarations import Declaration
from schemas.documents import EmailRequest


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
        language, address, language_field = service.asked(data)
        await service.email_declaration(db, operator, declaration_id, language, address, language_field)
        return await declarations.read(db, operator, declaration_id)
