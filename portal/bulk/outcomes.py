"""Each record's outcome, kept a batch to a row: encoded here, read back here."""

import heapq
import uuid
from collections.abc import AsyncIterator

import asyncpg
import msgspec

from portal.bulk import repository
from portal.db import connection
from schemas.bulk import BulkResult
from schemas.errors import FieldError


class Outcome(msgspec.Struct, frozen=True, gc=False):
    """One record's outcome as stored: its declaration's id, or what was wrong with it."""

    position: int
    client_reference: str | None
    declaration_id: uuid.UUID | None = None
    errors: list[FieldError] = []


_encoder = msgspec.msgpack.Encoder(uuid_format="bytes")
_decoder = msgspec.msgpack.Decoder(list[Outcome])


def encode(outcomes: list[Outcome]) -> bytes:
    """A batch's outcomes, in position order."""
    return _encoder.encode(outcomes)


def results(stored: bytes) -> list[BulkResult]:
    return [
        BulkResult(
            position=outcome.position,
            client_reference=outcome.client_reference,
            declaration_id=outcome.declaration_id,
            errors=outcome.errors,
        )
        for outcome in _decoder.decode(stored)
    ]


_encode = msgspec.json.Encoder().encode


async def _partition(
    db: asyncpg.Connection, upload_id: uuid.UUID, batches: list[asyncpg.Record]
) -> AsyncIterator[BulkResult]:
    for batch in batches:
        for result in results(
            await repository.batch_outcomes(db, upload_id, batch["partition"], batch["first_position"])
        ):
            yield result


async def result_lines(pool: asyncpg.Pool, upload_id: uuid.UUID) -> AsyncIterator[bytes]:
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
