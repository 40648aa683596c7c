"""Filing an upload: records are read and checked while earlier batches are written.

Each batch is its own transaction: when it commits, its records are filed and their outcomes
stored, so a client that disconnects half-way loses nothing the portal had acknowledged in its
progress counts. Memory holds two batches at most, whatever the size of the upload.
"""

import asyncio
import uuid
import zlib
from collections.abc import AsyncIterator
from typing import cast

import asyncpg
import msgspec
import structlog
from litestar.exceptions import HTTPException

from portal import clock
from portal.bulk import reader, repository, validate
from portal.declarations import lifecycle
from portal.declarations import repository as declarations
from portal.operators.auth import OperatorPrincipal
from portal.operators.vehicles import repository as vehicles
from schemas.bulk import BulkRecord
from schemas.errors import FieldError

log = structlog.get_logger(__name__)

BATCH_SIZE = 5000
YIELD_EVERY = 250
NDJSON = "application/x-ndjson"

_errors_json = msgspec.json.Encoder()


class _Reference(msgspec.Struct):
    """Enough of a refused record to name it in the outcome."""

    clientReference: object = None


_reference = msgspec.json.Decoder(_Reference)


class Refusal(msgspec.Struct, frozen=True):
    position: int
    client_reference: str | None
    errors: list[FieldError]


class Batch(msgspec.Struct):
    rows: list[tuple[object, ...]] = msgspec.field(default_factory=list)
    refusals: list[Refusal] = msgspec.field(default_factory=list)
    # Plates the batch's records add to the register: (plate, country, transport type, weight).
    new_plates: list[tuple[str, str, str, str]] = msgspec.field(default_factory=list)


class Progress(msgspec.Struct):
    received: int = 0
    accepted: int = 0
    rejected: int = 0
    submitted: int = 0


def _reference_of(raw: bytes) -> str | None:
    try:
        reference = _reference.decode(raw).clientReference
    except (msgspec.DecodeError, RecursionError):
        return None
    return reference if isinstance(reference, str) else None


async def _records(chunks: AsyncIterator[bytes], media_type: str) -> AsyncIterator[bytes | reader.TooLarge]:
    if media_type == NDJSON:
        async for record in reader.ndjson_records(chunks):
            yield record
    else:
        async for raw in reader.array_records(chunks):
            yield raw


def partition_of(record: BulkRecord | None, partitions: int) -> int:
    """Which consumer files a record: all records of a driver go to the same one, so that the
    partitions never share a driver and their overlap checks cannot miss each other."""
    if record is None:
        return 0
    key = f"{record.driver_license_number}|{record.driver_date_of_birth.isoformat()}".encode()
    return zlib.crc32(key) % partitions


async def _read(
    chunks: AsyncIterator[bytes],
    media_type: str,
    upload: validate.Upload,
    register: validate.Register,
    queues: "list[asyncio.Queue[Batch | None]]",
) -> str:
    """Producer: split and check records, and hand over batches of them, one queue a partition.

    Return why the upload stopped early ("" when it did not): an unreadable rest or a client
    gone ends the reading, but the records read before are filed all the same.
    """
    stopped = ""
    batches = [Batch() for _ in queues]
    position = 0
    try:
        async for raw in _records(chunks, media_type):
            if isinstance(raw, reader.TooLarge):
                partition = 0
                batch = batches[partition]
                message = f"the record has {raw.size} bytes, more than {reader.MAX_RECORD_BYTES}"
                batch.refusals.append(Refusal(position, None, [FieldError(field="", message=message)]))
            else:
                record, errors = validate.check(raw, upload, register)
                partition = partition_of(record, len(queues))
                batch = batches[partition]
                if record is None or errors:
                    reference = record.client_reference if record else _reference_of(raw)
                    batch.refusals.append(Refusal(position, reference, errors))
                else:
                    batch.rows.append(validate.staging_row(position, record, upload))
                    batch.new_plates += register.admit(record, upload.establishment_country)
            position += 1
            if position % YIELD_EVERY == 0:
                # Checking is CPU work: let the other requests this process serves have their turn.
                await asyncio.sleep(0)
            if len(batch.rows) + len(batch.refusals) >= BATCH_SIZE:
                await queues[partition].put(batch)
                batches[partition] = Batch()
    except reader.Unreadable as problem:
        stopped = str(problem)
    except HTTPException:
        stopped = "the client disconnected"  # litestar's word for a client gone mid-body
    for queue, batch in zip(queues, batches, strict=True):
        if batch.rows or batch.refusals:
            await queue.put(batch)
        await queue.put(None)
    return stopped


async def _database_refusals(
    db: asyncpg.Connection, operator_id: uuid.UUID, new_plates: list[tuple[str, str, str, str]]
) -> dict[int, list[FieldError]]:
    """What the batch breaks of the rules that need the database, by record position.

    The register was checked in Python against the upload's copy of it; only new plates that
    someone registered otherwise meanwhile (through the single API) are looked at again here.
    """
    taken = await repository.add_plates(db, operator_id, new_plates)
    found: dict[int, list[FieldError]] = {}
    for row in await repository.plates_registered_otherwise(db, operator_id, taken):
        registered = " ".join(filter(None, (row["transport_type"], row["vehicle_weight"])))
        found.setdefault(row["position"], []).append(
            FieldError(
                field=f"{row['field']}[{row['index']}]",
                message=f"{row['plate']} is registered as {registered}, not for this list",
            )
        )
    for row in await repository.repeated_references(db):
        found.setdefault(row["position"], []).append(
            FieldError(field="clientReference", message=f"repeats the reference of record {row['first']}")
        )
    await repository.refuse(db, list(found))
    for row in await repository.overlaps(db):
        other = (
            f"declaration {row['declaration_id']} is SUBMITTED"
            if row["declaration_id"]
            else f"record {row['earlier']} of this upload is submitted"
        )
        found.setdefault(row["position"], []).append(
            FieldError(field="", message=f"{other} for the same driver and host country and its period overlaps")
        )
    await repository.refuse(db, list(found))
    return found


async def _file(
    db: asyncpg.Connection,
    upload_id: uuid.UUID,
    upload: validate.Upload,
    batch: Batch,
    progress: Progress,
    partition: int,
) -> None:
    """File one batch in one transaction, with its outcomes; then count it as done."""
    operator_id = upload.operator_id
    # Staging rows start with (position, clientReference): see repository.STAGING_COLUMNS.
    references: dict[int, str | None] = {cast(int, row[0]): cast(str, row[1]) for row in batch.rows}
    async with db.transaction():
        if batch.rows:
            # Alone among the operator's filings while the batch checks overlaps and files.
            await declarations.lock_filing(db, operator_id, partition=partition)
            await repository.stage(db, batch.rows)
            changed = await repository.changed_drivers(db, operator_id)
            if changed:
                await _follow_changed_drivers(db, upload, changed)
            await repository.file_drivers(db, operator_id, changed=bool(changed))
            refused = await _database_refusals(db, operator_id, batch.new_plates)
            filed = [
                (row["position"], row["id"], row["submitted"])
                for row in await repository.file_declarations(db, operator_id, upload.now)
            ]
        else:
            refused, filed = {}, []  # only records refused before the database
        results: list[tuple[int, str | None, uuid.UUID | None, str | None]] = [
            (position, references[position], declaration_id, None) for position, declaration_id, _ in filed
        ]
        results += [
            (position, references[position], None, _errors_json.encode(errors).decode())
            for position, errors in refused.items()
        ]
        results += [
            (refusal.position, refusal.client_reference, None, _errors_json.encode(refusal.errors).decode())
            for refusal in batch.refusals
        ]
        await repository.save_results(db, upload_id, results)
    progress.received += len(batch.rows) + len(batch.refusals)
    progress.accepted += len(filed)
    progress.rejected += len(refused) + len(batch.refusals)
    progress.submitted += sum(1 for _, _, submitted in filed if submitted)


async def _follow_changed_drivers(db: asyncpg.Connection, upload: validate.Upload, driver_ids: list[uuid.UUID]) -> None:
    """New details of existing drivers become new versions of their current declarations, as on PUT /drivers."""
    operator = OperatorPrincipal(upload.operator_id, upload.establishment_country)
    for driver_id in driver_ids:
        declarations = await lifecycle.lock_current_of_driver(db, operator, driver_id)
        fields = await repository.staged_driver(db, driver_id)
        await lifecycle.follow_driver_change(db, declarations, fields)


async def _consume(
    pool: asyncpg.Pool,
    upload_id: uuid.UUID,
    upload: validate.Upload,
    partition: int,
    queue: "asyncio.Queue[Batch | None]",
    progress: Progress,
) -> None:
    """Consumer: file one partition's batches, each in its own transaction, on its own connection."""
    async with pool.acquire() as db:
        await repository.prepare(db)
        while (batch := await queue.get()) is not None:
            await _file(db, upload_id, upload, batch, progress, partition)
            # After the commit: the counts never run ahead of what is filed.
            await repository.count_progress(
                db, upload_id, progress.received, progress.accepted, progress.rejected, progress.submitted
            )


async def _finish(pool: asyncpg.Pool, upload_id: uuid.UUID, progress: Progress, state: str, message: str) -> None:
    """The final counts and state, from the consumers' own tally."""
    await repository.count_progress(
        pool,
        upload_id,
        progress.received,
        progress.accepted,
        progress.rejected,
        progress.submitted,
        state=state,
        message=message,
    )


async def file_upload(
    pool: asyncpg.Pool,
    operator: OperatorPrincipal,
    upload_id: uuid.UUID,
    chunks: AsyncIterator[bytes],
    media_type: str,
    submit_by_default: bool,
) -> None:
    """Read, check and file a whole upload, keeping its state and outcomes in the database.

    One task reads and checks; PARTITIONS tasks file, each on its own connection, so that
    PostgreSQL works on several batches at once while Python checks the next ones.
    """
    upload = validate.Upload(
        operator_id=operator.operator_id,
        establishment_country=operator.establishment_country,
        today=clock.today(),
        now=clock.now(),
        submit_by_default=submit_by_default,
    )
    await repository.create_upload(pool, upload_id, operator.operator_id, submit_by_default)
    async with pool.acquire() as db:
        register = validate.Register(await vehicles.fetch_register(db, operator.operator_id))
    queues: list[asyncio.Queue[Batch | None]] = [asyncio.Queue(maxsize=2) for _ in range(declarations.PARTITIONS)]
    progress = Progress()
    try:
        async with asyncio.TaskGroup() as tasks:
            reading = tasks.create_task(_read(chunks, media_type, upload, register, queues))
            for partition, queue in enumerate(queues):
                tasks.create_task(_consume(pool, upload_id, upload, partition, queue, progress))
    except BaseException:
        await _finish(pool, upload_id, progress, "FAILED", "an internal error stopped the upload; it has been logged")
        raise
    if stopped := reading.result():
        await _finish(pool, upload_id, progress, "FAILED", f"{stopped}; the records read before were kept")
        return
    await _finish(pool, upload_id, progress, "DONE", "")
    log.info("bulk upload filed", upload=str(upload_id), received=progress.received, rejected=progress.rejected)
