"""Filing an upload: records are read and checked while earlier batches are written.

Each batch is its own transaction: when it commits, its records are filed, their outcomes and
the upload's counts stored, so a client or a server that goes away half-way loses nothing the
portal had counted. Memory holds a few batches at most, whatever the size of the upload.
"""

import asyncio
import contextlib
import datetime
import uuid
import zlib
from collections.abc import AsyncIterator, Iterator

import asyncpg
import msgspec
import structlog
from litestar.exceptions import HTTPException

from portal import clock
from portal.bulk import checks, outcomes, reader, repository, validate
from portal.bulk.outcomes import Outcome
from portal.bulk.validate import Filing, Refusal
from portal.db import Transaction, connection, transaction
from portal.errors import Conflict, NotFound
from portal.identity.auth import OperatorPrincipal
from portal.operators.vehicles import repository as vehicles
from portal.refusals import refusal
from portal.settings import Bulk
from schemas.bulk import BulkUpload

log = structlog.get_logger(__name__)

YIELD_EVERY = 250
NDJSON = "application/x-ndjson"


class _Reference(msgspec.Struct):
    """Enough of a refused record to name it in the outcome."""

    clientReference: object = None


_reference = msgspec.json.Decoder(_Reference)


class Batch(msgspec.Struct):
    partition: int
    filings: list[Filing] = msgspec.field(default_factory=list)
    refusals: list[Refusal] = msgspec.field(default_factory=list)

    def __len__(self) -> int:
        return len(self.filings) + len(self.refusals)


class Uploads:
    """The uploads this server process is filing, so that a server stopping for a deploy lets
    each finish the batch in hand and end INTERRUPTED, instead of being killed mid-batch."""

    def __init__(self) -> None:
        self.stopping = asyncio.Event()
        self._running = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @contextlib.contextmanager
    def running(self) -> Iterator[None]:
        self._running += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._running -= 1
            if not self._running:
                self._idle.set()

    async def stop(self, seconds: float) -> None:
        """Ask every upload to stop reading, and wait at most ``seconds`` for them to end."""
        self.stopping.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), seconds)


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


def partition_of(license_number: str, born: datetime.date, partitions: int) -> int:
    """Which consumer files a record: all records of a driver go to the same one, so that the
    partitions never share a driver and their overlap checks cannot miss each other."""
    return zlib.crc32(f"{license_number}|{born.isoformat()}".encode()) % partitions


class Reading(msgspec.Struct):
    """Why the reading ended early ("" when it did not), and whether that interrupts the upload."""

    reason: str = ""
    interrupted: bool = False


async def _read(
    chunks: AsyncIterator[bytes],
    media_type: str,
    upload: validate.Upload,
    register: validate.Register,
    queues: "list[asyncio.Queue[Batch | None]]",
    batch_size: int,
    stopping: asyncio.Event,
) -> Reading:
    """Producer: split and check records, and hand over batches of them, one queue a partition.

    An unreadable rest, a client gone or the server stopping ends the reading; the records read
    before are filed all the same.
    """
    batches = [Batch(partition) for partition in range(len(queues))]
    position = 0
    reading = Reading()
    try:
        async for raw in _records(chunks, media_type):
            if isinstance(raw, reader.TooLarge):
                batch = batches[0]
                errors = [refusal("", "record_too_large", size=raw.size, maxBytes=reader.MAX_RECORD_BYTES)]
                batch.refusals.append(Refusal(position, None, errors))
            else:
                record, errors = validate.check(raw, upload, register)
                if record is None or errors:
                    batch = batches[0]
                    reference = record.client_reference if record else _reference_of(raw)
                    batch.refusals.append(Refusal(position, reference, errors))
                else:
                    partition = partition_of(record.driver_license_number, record.driver_date_of_birth, len(queues))
                    batch = batches[partition]
                    batch.filings.append(validate.filing(position, record, upload, register))
            position += 1
            if len(batch) >= batch_size:
                await queues[batch.partition].put(batch)
                batches[batch.partition] = Batch(batch.partition)
            if position % YIELD_EVERY == 0:
                # Checking is CPU work: let the other requests this process serves have their turn.
                await asyncio.sleep(0)
                if stopping.is_set():
                    reading = Reading("the server stopped", interrupted=True)
                    break
    except reader.Unreadable as problem:
        reading = Reading(str(problem))
    except HTTPException:
        reading = Reading("the client disconnected", interrupted=True)  # litestar's word for a client gone
    for queue, batch in zip(queues, batches, strict=True):
        if len(batch):
            await queue.put(batch)
        await queue.put(None)
    return reading


class Counts(msgspec.Struct):
    received: int = 0
    accepted: int = 0
    rejected: int = 0
    submitted: int = 0


async def _file(
    db: Transaction, upload: validate.Upload, batch: Batch, known: checks.KnownDrivers
) -> tuple[list[Outcome], Counts]:
    """Check what needs the database and store the batch: its drivers, plates, declarations and
    events. Return each record's outcome and the batch's counts."""
    found: list[Outcome] = []
    counts = Counts(received=len(batch))
    filings = batch.filings
    if filings:
        # Alone among the operator's filings while the batch checks overlaps and files.
        await repository.lock_partition(db, upload.operator_id, batch.partition)
        await checks.drivers(db, upload, filings, known)
        refused = checks.repeated_references(filings)
        refused |= await checks.plates_taken(db, upload, filings)
        references = [filing.record.client_reference for filing in filings if filing.position not in refused]
        before = await repository.filed_before(db, upload.operator_id, references)
        fresh = [f for f in filings if f.position not in refused and f.record.client_reference not in before]
        refused |= await checks.overlaps(db, fresh)
        filed = [filing for filing in fresh if filing.position not in refused]
        await repository.copy_declarations(db, [msgspec.structs.astuple(filing.declaration) for filing in filed])
        await repository.copy_events(db, [(f.declaration.id, 1, "SUBMITTED", upload.now) for f in filed if f.submit])
        for filing in filings:
            reference = filing.record.client_reference
            if filing.position in refused:
                found.append(Outcome(filing.position, reference, errors=refused[filing.position]))
            else:
                found.append(Outcome(filing.position, reference, before.get(reference, filing.declaration.id)))
        counts.accepted = len(filings) - len(refused)
        counts.rejected = len(refused)
        counts.submitted = sum(1 for filing in filed if filing.submit)
    found += [Outcome(r.position, r.client_reference, errors=r.errors) for r in batch.refusals]
    counts.rejected += len(batch.refusals)
    found.sort(key=lambda outcome: outcome.position)
    return found, counts


async def _file_once(
    db: asyncpg.Connection, upload: validate.Upload, batch: Batch, known: checks.KnownDrivers
) -> Counts:
    """File a batch in one transaction with its outcomes, return its counts, and learn its drivers once
    it has committed. A reference that another partition filed while this batch was checked
    (two records under one reference, of two drivers) fails the batch's COPY: the batch is
    checked and filed again, and finds it filed before."""
    for attempt in (1, 2):
        learnt = dict(known)
        try:
            async with transaction(db) as tx:
                found, counts = await _file(tx, upload, batch, learnt)
                await repository.save_batch(
                    tx,
                    upload.upload_id,
                    batch.partition,
                    found[0].position,
                    len(found),
                    outcomes.encode(found),
                    (counts.received, counts.accepted, counts.rejected, counts.submitted),
                )
        except asyncpg.UniqueViolationError:
            if attempt == 2:
                raise
            continue
        known.update(learnt)
        return counts
    raise AssertionError("unreachable: the second attempt returns or raises")


async def _consume(
    db: asyncpg.Connection, upload: validate.Upload, queue: "asyncio.Queue[Batch | None]", totals: Counts
) -> None:
    """Consumer: file one partition's batches, each in its own transaction, on its own connection."""
    known: checks.KnownDrivers = {}
    while (batch := await queue.get()) is not None:
        counts = await _file_once(db, upload, batch, known)
        for field in Counts.__struct_fields__:
            setattr(totals, field, getattr(totals, field) + getattr(counts, field))


async def file_upload(
    pool: asyncpg.Pool,
    settings: Bulk,
    uploads: Uploads,
    operator: OperatorPrincipal,
    upload_id: uuid.UUID,
    chunks: AsyncIterator[bytes],
    media_type: str,
    submit_by_default: bool,
) -> None:
    """Read, check and file a whole upload, keeping its state, counts and outcomes in the database.

    One task reads and checks; ``settings.partitions`` tasks file, each on its own connection, so
    that PostgreSQL works on batches while Python checks the next ones. Each connection holds the
    upload's lock while it files (see repository.UPLOAD_LOCK); the first claims the upload id,
    and refuses one that is taken (409).
    """
    upload = validate.Upload(
        upload_id=upload_id,
        operator_id=operator.operator_id,
        establishment_country=operator.establishment_country,
        today=clock.today(),
        now=clock.now(),
        submit_by_default=submit_by_default,
    )
    async with contextlib.AsyncExitStack() as held:
        connections = [await held.enter_async_context(connection(pool)) for _ in range(settings.partitions)]
        for db in connections:
            await repository.hold_upload(db, upload_id)
            held.push_async_callback(repository.release_upload, db, upload_id)
        if not await repository.claim_upload(connections[0], upload_id, operator.operator_id, submit_by_default):
            raise Conflict.of("uploadId", "upload_exists")
        register = validate.Register(await vehicles.fetch_register(connections[0], operator.operator_id))
        queues: list[asyncio.Queue[Batch | None]] = [asyncio.Queue(maxsize=2) for _ in connections]
        totals = Counts()
        try:
            with uploads.running():
                async with asyncio.TaskGroup() as tasks:
                    reading = tasks.create_task(
                        _read(chunks, media_type, upload, register, queues, settings.batch_size, uploads.stopping)
                    )
                    for db, queue in zip(connections, queues, strict=True):
                        tasks.create_task(_consume(db, upload, queue, totals))
        except BaseException:
            await repository.finish_upload(
                pool, upload_id, "FAILED", "an internal error stopped the upload; it has been logged"
            )
            raise
        await _finish(pool, upload_id, reading.result(), totals)


async def _finish(pool: asyncpg.Pool, upload_id: uuid.UUID, reading: Reading, totals: Counts) -> None:
    if reading.interrupted:
        message = f"{reading.reason}: the records counted are filed; send the upload again to file the rest"
        await repository.finish_upload(pool, upload_id, "INTERRUPTED", message)
    elif reading.reason:
        await repository.finish_upload(
            pool, upload_id, "FAILED", f"{reading.reason}; the records read before were kept"
        )
    else:
        await repository.finish_upload(pool, upload_id, "DONE", "")
    log.info("bulk upload ended", upload=str(upload_id), received=totals.received, rejected=totals.rejected)


async def sweep_interrupted(pool: asyncpg.Pool | asyncpg.Connection, quiet_seconds: float = 60.0) -> int:
    """Mark INTERRUPTED the uploads that no server files any more (it was killed), with their
    counts as committed; the client sends them again to file the rest."""
    older_than = clock.now() - datetime.timedelta(seconds=quiet_seconds)
    message = "the server filing it stopped: the records counted are filed; send the upload again to file the rest"
    return await repository.interrupt_unowned(pool, older_than, message)


def upload_of(row: asyncpg.Record) -> BulkUpload:
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


async def read_upload(pool: asyncpg.Pool, upload_id: uuid.UUID, operator_id: uuid.UUID) -> BulkUpload:
    async with connection(pool) as db:
        row = await repository.fetch_upload(db, upload_id, operator_id)
    if row is None:
        raise NotFound.of("", "not_found", kind="upload")
    return upload_of(row)


async def recent_refusals(db: asyncpg.Connection, operator_id: uuid.UUID, days: int, limit: int) -> list[BulkUpload]:
    """The operator's uploads of the last ``days`` that refused records, newest first."""
    since = clock.now() - datetime.timedelta(days=days)
    return [upload_of(row) for row in await repository.recent_with_refusals(db, operator_id, since, limit)]
