"""``/declarations``: the official interface's declaration endpoints, plus copy (renew)."""

import datetime
import uuid
from typing import Annotated

import msgspec
from litestar import Controller, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter, QueryParameter

from portal import normalize
from portal.declarations import lifecycle, service
from portal.declarations.repository import STATUSES, DeclarationFilter
from portal.dependencies import InTransaction
from portal.identity.auth import CurrentOperator
from portal.openapi import AUTHENTICATED, WITH_BODY, errors
from portal.pagination import decode_cursor, next_cursor
from portal.refusals import Refused
from portal.wire import StrictJSON, query_value
from schemas.declarations import (
    CopyRequest,
    Declaration,
    DeclarationFields,
    DeclarationPage,
    Deleted,
    SubmittedUpdate,
)
from schemas.forwarding import ForwardedDeclaration

DeclarationId = Annotated[uuid.UUID, PathParameter(description="declarationId")]


def _any_case_country(code: str) -> str:
    return normalize.posting_country(code.upper())


def _status(value: str) -> str:
    if value.upper() not in STATUSES:
        raise Refused("not_allowed", allowed=", ".join(STATUSES))
    return value.upper()


class DeclarationController(Controller):
    path = "/declarations"
    tags = ["Declarations"]

    @get(operation_id="ListDeclarations", summary="List declarations, oldest first", responses=errors(*AUTHENTICATED))
    async def list_declarations(
        self,
        db: InTransaction,
        operator: CurrentOperator,
        limit: Annotated[int, QueryParameter(ge=1, le=250, description="page size, 1 to 250")],
        start_key: Annotated[str | None, QueryParameter(name="startKey")] = None,
        posting_country: Annotated[str | None, QueryParameter(name="postingCountry", max_length=2)] = None,
        status: Annotated[
            str | None, QueryParameter(description="DRAFT, SUBMITTED, WITHDRAWN or EXPIRED, any case")
        ] = None,
        driver_id: Annotated[uuid.UUID | None, QueryParameter(name="driverId")] = None,
        end_date_from: Annotated[datetime.date | None, QueryParameter(name="endDateFrom")] = None,
        end_date_to: Annotated[datetime.date | None, QueryParameter(name="endDateTo")] = None,
    ) -> DeclarationPage:
        where = DeclarationFilter(
            posting_country=query_value("postingCountry", posting_country, _any_case_country),
            status=query_value("status", status, _status),
            driver_id=driver_id,
            end_date_from=end_date_from,
            end_date_to=end_date_to,
        )
        items, ids = await service.page(db, operator, decode_cursor(start_key), limit, where)
        return DeclarationPage(count=len(items), items=items, last_evaluated_key=next_cursor(ids, limit))

    @post(
        operation_id="CreateDeclaration",
        dto=StrictJSON[DeclarationFields],
        return_dto=None,
        summary="Create a DRAFT",
        responses=errors(*AUTHENTICATED, *WITH_BODY),
    )
    async def create_declaration(
        self, db: InTransaction, operator: CurrentOperator, data: JSONBody[DeclarationFields]
    ) -> Declaration:
        return await service.create_draft(db, operator, data)

    @get("/{declaration_id:uuid}", operation_id="GetDeclaration", responses=errors(*AUTHENTICATED, 404))
    async def get_declaration(
        self,
        db: InTransaction,
        operator: CurrentOperator,
        declaration_id: DeclarationId,
        forwarded: NamedDependency[service.Forwarded],
    ) -> ForwardedDeclaration:
        declaration = await service.read(db, operator, declaration_id)
        standing = (
            []
            if declaration.declaration_status == "DRAFT"
            else await forwarded.standing(
                db, declaration_id, declaration.declaration_version, declaration.declaration_posting_country
            )
        )
        return ForwardedDeclaration(**msgspec.structs.asdict(declaration), forwarding=standing)

    @put(
        "/{declaration_id:uuid}",
        operation_id="ReplaceDeclaration",
        dto=StrictJSON[DeclarationFields],
        return_dto=None,
        summary="Replace a DRAFT (409 otherwise)",
        responses=errors(*AUTHENTICATED, *WITH_BODY, 404, 409),
    )
    async def replace_declaration(
        self,
        db: InTransaction,
        operator: CurrentOperator,
        declaration_id: DeclarationId,
        data: JSONBody[DeclarationFields],
    ) -> Declaration:
        return await service.replace_draft(db, operator, declaration_id, data)

    @delete(
        "/{declaration_id:uuid}",
        operation_id="DeleteDeclaration",
        status_code=200,
        summary="Delete a DRAFT",
        responses=errors(*AUTHENTICATED, 404, 409),
    )
    async def delete_declaration(
        self, db: InTransaction, operator: CurrentOperator, declaration_id: DeclarationId
    ) -> Deleted:
        await service.delete_draft(db, operator, declaration_id)
        return Deleted(message="draft deleted")

    @post(
        "/{declaration_id:uuid}/submit",
        operation_id="SubmitDeclaration",
        status_code=200,
        summary="Submit a DRAFT: every rule is checked; 409 on an overlapping submitted declaration",
        responses=errors(*AUTHENTICATED, 404, 409, 422),
    )
    async def submit_declaration(
        self, db: InTransaction, operator: CurrentOperator, declaration_id: DeclarationId
    ) -> Declaration:
        return await lifecycle.submit(db, operator, declaration_id)

    @put(
        "/{declaration_id:uuid}/submit",
        operation_id="UpdateSubmittedDeclaration",
        dto=StrictJSON[SubmittedUpdate],
        return_dto=None,
        summary="Update a SUBMITTED declaration: end date, types, plates, contact and driver e-mail only",
        responses=errors(*AUTHENTICATED, *WITH_BODY, 404, 409),
    )
    async def update_submitted_declaration(
        self,
        db: InTransaction,
        operator: CurrentOperator,
        declaration_id: DeclarationId,
        data: JSONBody[SubmittedUpdate],
    ) -> Declaration:
        return await lifecycle.update_submitted(db, operator, declaration_id, data)

    @post(
        "/{declaration_id:uuid}/withdraw",
        operation_id="WithdrawDeclaration",
        status_code=200,
        responses=errors(*AUTHENTICATED, 404, 409),
    )
    async def withdraw_declaration(
        self, db: InTransaction, operator: CurrentOperator, declaration_id: DeclarationId
    ) -> Declaration:
        return await lifecycle.withdraw(db, operator, declaration_id)

    @post(
        "/{declaration_id:uuid}/copy",
        operation_id="CopyDeclaration",
        dto=StrictJSON[CopyRequest],
        return_dto=None,
        summary="Renew: a new DRAFT with the same content and a new period",
        responses=errors(*AUTHENTICATED, *WITH_BODY, 404),
    )
    async def copy_declaration(
        self, db: InTransaction, operator: CurrentOperator, declaration_id: DeclarationId, data: JSONBody[CopyRequest]
    ) -> Declaration:
        return await service.copy(db, operator, declaration_id, data)
