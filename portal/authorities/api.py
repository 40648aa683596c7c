"""``/authority``: roadside search and records for inspectors; ``access-log`` for operators."""

import datetime
import uuid
from typing import Annotated

from litestar import Controller, get
from litestar.params import PathParameter, QueryParameter

from portal.authorities import service
from portal.declarations import service as declarations
from portal.dependencies import InTransaction, OneStatement
from portal.identity.auth import CurrentAuthority, CurrentOperator
from portal.openapi import AUTHENTICATED, errors
from schemas.authorities import AccessLog, AuditLog, RoadsideRecord, RoadsideSearchResult

DeclarationId = Annotated[uuid.UUID, PathParameter(description="declarationId")]
Purpose = Annotated[
    str | None,
    QueryParameter(
        description="why you look: free text or a case reference (required; written to the audit log)",
        max_length=500,
    ),
]


class RoadsideController(Controller):
    path = "/authority/declarations"
    tags = ["Authorities"]

    @get(
        operation_id="SearchDeclarations",
        summary="Roadside search in your country by one exact key, with a verdict per record",
        description="Exactly one of plate, declarationId, licenceNumber, documentNumber, or lastName with"
        " dateOfBirth. Plates match however typed (case, spaces, hyphens); licence and document numbers"
        " ignore case and separators; last names ignore case. Results: at most 50, VALID first."
        " Every search is written to the audit log with its purpose.",
        responses=errors(*AUTHENTICATED),
    )
    async def search_declarations(
        self,
        db: OneStatement,
        authority: CurrentAuthority,
        purpose: Purpose,
        plate: Annotated[str | None, QueryParameter(max_length=40)] = None,
        declaration_id: Annotated[uuid.UUID | None, QueryParameter(name="declarationId")] = None,
        licence_number: Annotated[str | None, QueryParameter(name="licenceNumber", max_length=100)] = None,
        document_number: Annotated[str | None, QueryParameter(name="documentNumber", max_length=100)] = None,
        last_name: Annotated[str | None, QueryParameter(name="lastName", max_length=100)] = None,
        date_of_birth: Annotated[datetime.date | None, QueryParameter(name="dateOfBirth")] = None,
        valid_on: Annotated[
            datetime.date | None, QueryParameter(name="validOn", description="the day the verdict is for; today")
        ] = None,
    ) -> RoadsideSearchResult:
        keys = service.SearchKeys(
            plate=plate,
            declaration_id=declaration_id,
            licence_number=licence_number,
            document_number=document_number,
            last_name=last_name,
            date_of_birth=date_of_birth,
        )
        return await service.search(db, authority, keys, valid_on, purpose)

    @get(
        "/{declaration_id:uuid}",
        operation_id="ReadDeclarationForAuthority",
        summary="A declaration of your country as of now, with its version history (audited)",
        responses=errors(*AUTHENTICATED, 404),
    )
    async def read_declaration(
        self, db: OneStatement, authority: CurrentAuthority, declaration_id: DeclarationId, purpose: Purpose
    ) -> RoadsideRecord:
        return await service.view(db, authority, declaration_id, purpose)


class AuditLogController(Controller):
    path = "/authority/audit-log"
    tags = ["Authorities"]

    @get(
        operation_id="ReadAuditLog",
        summary="Your authority's own look-ups, newest first (reading it is not audited)",
        responses=errors(*AUTHENTICATED),
    )
    async def audit_log(
        self,
        db: OneStatement,
        authority: CurrentAuthority,
        limit: Annotated[int, QueryParameter(ge=1, le=250, description="at most this many, newest first")] = 100,
    ) -> AuditLog:
        return await service.audit_log(db, authority, limit)


class AccessLogController(Controller):
    path = "/declarations"
    tags = ["Declarations"]

    @get(
        "/{declaration_id:uuid}/access-log",
        operation_id="DeclarationAccessLog",
        summary="Which authorities looked this declaration up, newest first",
        responses=errors(*AUTHENTICATED, 404),
    )
    async def access_log(
        self,
        db: InTransaction,
        operator: CurrentOperator,
        declaration_id: DeclarationId,
        limit: Annotated[int, QueryParameter(ge=1, le=250, description="at most this many, newest first")] = 100,
    ) -> AccessLog:
        await declarations.read(db, operator, declaration_id)  # 404 unless it is the operator's
        return await service.access_log(db, declaration_id, limit)
