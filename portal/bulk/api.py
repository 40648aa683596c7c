"""``POST /declarations/bulk`` and the upload's progress and outcomes (``/bulk-uploads``)."""

import heapq
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

import asyncpg
import msgspec
from litestar import Controller, Request, get, post
from litestar.params import FromPath, QueryParameter
from litestar.response import Stream

from portal.bulk import outcomes, repository, service
from portal.db import connection
from portal.errors import NotFound, UnsupportedMediaType
from portal.identity.auth import OperatorPrincipal, authenticated_operator
from portal.ids import new_id
from portal.openapi import AUTHENTICATED, errors
from schemas.bulk import BulkResult, BulkUpload

_ACCEPTED = {"application/json": "application/json", service.NDJSON: service.NDJSON, "": "application/json"}
_encode = msgspec.json.Encoder().encode


def _upload(row: asyncpg.Record) -> BulkUpload:
    elapsed = ((row["finished_at"] or row["updated_at"]) - row["started_at"]).total_seconds()
    return BulkUpload(
        bulk_upload_id=row["id"],
        state=row["state"],
        submit=row["submit"],
        received=row["received"],
        accepted=row["accepted"],
        rejected=row["rejected"],
        submitted=row["submitted"],
        records_per_second=round(row["received"] / elapsed, 1) if elapsed > 0 else 0.0,
        message=row["message"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        results_url=f"/bulk-uploads/{row['id']}/results",
    )


async def _read_upload(pool: asyncpg.Pool, upload_id: uuid.UUID, operator_id: uuid.UUID) -> BulkUpload:
    async with connection(pool) as db:
        row = await repository.fetch_upload(db, upload_id, operator_id)
    if row is None:
        raise NotFound.of("", "not_found", kind="upload")
    return _upload(row)


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
        return await _read_upload(state.db_pool, upload_id, operator.operator_id)

    @get(
        "/bulk-uploads/{upload_id:uuid}",
        operation_id="GetBulkUpload",
        summary="Progress and counts of an upload",
        responses=errors(*AUTHENTICATED, 404),
    )
    async def get_upload(self, request: Request[Any, Any, Any], upload_id: FromPath[uuid.UUID]) -> BulkUpload:
        operator_id = authenticated_operator(request).operator_id
        return await _read_upload(request.app.state.db_pool, upload_id, operator_id)

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
        await _read_upload(pool, upload_id, operator_id)  # 404 for another operator's upload
        return Stream(_result_lines(pool, upload_id), media_type=service.NDJSON)


async def _partition(
    db: asyncpg.Connection, upload_id: uuid.UUID, batches: list[asyncpg.Record]
) -> AsyncIterator[BulkResult]:
    for batch in batches:
        for result in outcomes.results(
            await repository.batch_outcomes(db, upload_id, batch["partition"], batch["first_position"])
        ):
            yield result


async def _result_lines(pool: asyncpg.Pool, upload_id: uuid.UUID) -> AsyncIterator[bytes]:
    """Every outcome in position order: each partition's batches are in order, and the
    partitions are merged, one batch of each in memory at a time."""
    async with connection(pool) as db:
        batches = await repository.batches(db, upload_id)
        partitions = sorted({batch["partition"] for batch in batches})
        streams = [
            _partition(db, upload_id, [batch for batch in batches if batch["partition"] == partition])
            for partition in partitions
        ]
        async for result in _merged(streams):
            yield _encode(result) + b"\n"


async def _merged(streams: list[AsyncIterator[BulkResult]]) -> AsyncIterator[BulkResult]:
    heads: list[tuple[int, int, BulkResult]] = []
    for index, stream in enumerate(streams):
        if (first := await anext(stream, None)) is not None:
            heapq.heappush(heads, (first.position, index, first))
    while heads:
        _, index, result = heapq.heappop(heads)
        yield result
        if (following := await anext(streams[index], None)) is not None:
            heapq.heappush(heads, (following.position, index, following))
