"""``POST /declarations/bulk`` and the upload's progress and outcomes (``/bulk-uploads``)."""

import uuid
from typing import Annotated, Any

import asyncpg
from litestar import Controller, Request, get, post
from litestar.params import FromPath, QueryParameter
from litestar.response import Stream

from portal.bulk import outcomes, service
from portal.errors import UnsupportedMediaType
from portal.identity.auth import OperatorPrincipal, authenticated_operator
from portal.ids import new_id
from portal.openapi import AUTHENTICATED, errors
from schemas.bulk import BulkUpload

_ACCEPTED = {"application/json": "application/json", service.NDJSON: service.NDJSON, "": "application/json"}


BULK_DESCRIPTION = """
The body is a JSON array or NDJSON (`application/x-ndjson`, one record a line) of bulk records
(`schemas/json/BulkRecord.json`): the operator's `clientReference`, the driver's fields, the
declaration's fields with its plates, and `submit`. It is read as it arrives and filed in
batches, each its own transaction; progress is at `GET /bulk-uploads/{uploadId}` meanwhile
(choose the id with `uploadId`, or read it from the answer). Every record's outcome, by
position, is at `GET /bulk-uploads/{uploadId}/results`. A record that breaks a rule is reported
and the others are filed; sending the same records again files nothing twice.

The answer is 202 with the upload's state: `DONE`; `INTERRUPTED` when the client went away or
the server stopped for a deploy (what is counted is filed: send the upload again to file the
rest); `FAILED` when the body could not be read further (what came before is kept).
"""


class BulkController(Controller):
    tags = ["Bulk filing"]

    @post(
        "/declarations/bulk",
        operation_id="FileDeclarationsInBulk",
        status_code=202,
        request_max_body_size=None,
        summary="File many declarations from one streamed upload",
        description=BULK_DESCRIPTION,
        opt={"idempotency": False},
        responses=errors(*AUTHENTICATED, 409, 415),
    )
    async def file_in_bulk(
        self,
        request: Request[Any, Any, Any],
        submit: Annotated[bool, QueryParameter(description="submit the records that do not say")] = False,
        upload_id: Annotated[
            uuid.UUID | None, QueryParameter(name="uploadId", description="an id of your choosing for this upload")
        ] = None,
    ) -> BulkUpload:
        # The operator as the guard found it: the bulk routes manage their own transactions, and
        # the operator dependency would open one for the whole upload.
        operator: OperatorPrincipal = authenticated_operator(request)
        media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
        if media_type not in _ACCEPTED:
            raise UnsupportedMediaType.of(
                "", "media_type", expected=f"application/json or {service.NDJSON}", got=media_type
            )
        state = request.app.state
        upload_id = upload_id or new_id()
        await service.file_upload(
            state.db_pool,
            state.settings.bulk,
            state.uploads,
            operator,
            upload_id,
            request.stream(),
            _ACCEPTED[media_type],
            submit,
        )
        return await service.read_upload(state.db_pool, upload_id, operator.operator_id)

    @get(
        "/bulk-uploads/{upload_id:uuid}",
        operation_id="GetBulkUpload",
        summary="Progress and counts of an upload",
        responses=errors(*AUTHENTICATED, 404),
    )
    async def get_upload(self, request: Request[Any, Any, Any], upload_id: FromPath[uuid.UUID]) -> BulkUpload:
        operator_id = authenticated_operator(request).operator_id
        return await service.read_upload(request.app.state.db_pool, upload_id, operator_id)

    @get(
        "/bulk-uploads/{upload_id:uuid}/results",
        operation_id="GetBulkUploadResults",
        summary="Every record's outcome, as NDJSON in upload order",
        media_type=service.NDJSON,
        responses=errors(*AUTHENTICATED, 404),
    )
    async def get_results(self, request: Request[Any, Any, Any], upload_id: FromPath[uuid.UUID]) -> Stream:
        pool: asyncpg.Pool = request.app.state.db_pool
        operator_id = authenticated_operator(request).operator_id
        await service.read_upload(pool, upload_id, operator_id)  # 404 for another operator's upload
        return Stream(outcomes.result_lines(pool, upload_id), media_type=service.NDJSON)
