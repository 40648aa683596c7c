"""Loading a year of EU declarations by COPY, for ``portal bench-lookups``.

The rows are those filing stores, built by the portal's own storage mapping
(``portal.declarations.storage``): drivers with their first version, their vehicles in the
register, declarations with a client reference, and the events of every submitted and withdrawn
one (a withdrawal keeps the version it replaced as a document, as filing does). Drivers come from
the synthetic fleet generator, one fleet per operator; their declarations are varied from them
cheaply (host country, dates, status), so that Python keeps up with the COPY.

The first operator is loaded with every index in place, to measure what a declaration costs
on disk; the secondary indexes of ``declarations`` are then dropped, the rest is loaded by one
process per core, and the indexes are rebuilt from their own definitions: the tables end as the
migrations define them.
"""

import asyncio
import contextlib
import datetime
import math
import multiprocessing
import random
import shutil
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.sharedctypes import Synchronized
from typing import Any, NamedTuple

import asyncpg
import msgspec
from uuid_utils.compat import uuid7

from loadtests.synthetic.generator import generate
from loadtests.synthetic.tables import HOST_ORDER
from portal.declarations import rules, storage
from portal.declarations.storage import COLUMNS, StoredDeclaration
from portal.field_rules import apply_rules
from portal.operators.drivers.storage import DRIVER_COLUMNS, stored_driver
from schemas.bulk import BulkRecord

DECLARATIONS_PER_OPERATOR = 10_000
# A driver posted about twice a month; below the number of host countries, so that no driver
# has two declarations in one country and none of them can overlap (bulk filing refuses that).
DECLARATIONS_PER_DRIVER = 20
# Where road haulage operators posting drivers abroad are mostly established.
OPERATOR_COUNTRIES = ("PL", "PL", "PL", "LT", "LT", "RO", "BG", "CZ", "SK", "HU", "ES", "PT", "NL", "DE", "LV", "SI")
# End dates from half a year ago to a year ahead: a year of filing with its past still kept.
END_DAYS = (-183, 365)
LONGEST_DAYS = 90
BATCH = 20_000
# Room left on the disk of PostgreSQL after the load.
SPARE_BYTES = 10 * 2**30
DRIVER_COPY = ("id", "operator_id", "updated_at", "version", *DRIVER_COLUMNS)
DRIVER_VERSION_COPY = ("driver_id", "version", *DRIVER_COLUMNS)
VEHICLE_COPY = (
    "id", "operator_id", "plate_number", "registration_country", "transport_type", "vehicle_weight", "updated_at",
)  # fmt: skip
EVENT_COPY = ("declaration_id", "version", "event_type", "recorded_at", "superseded")
_document = msgspec.json.Encoder()


class Loaded(NamedTuple):
    """What the load did: rows, time, and what a reader of the figures must know."""

    declarations: int
    seconds: float
    notes: list[str]


class _Driver(NamedTuple):
    id: Any
    hosts: tuple[str, ...]
    # The driver's first declaration as stored: each of theirs is this with its own period.
    template: StoredDeclaration


def plan(declarations: int) -> list[int]:
    """Declarations per operator, one operator per DECLARATIONS_PER_OPERATOR."""
    operators = max(1, round(declarations / DECLARATIONS_PER_OPERATOR))
    share, rest = divmod(declarations, operators)
    return [share + (index < rest) for index in range(operators)]


class _Days:
    """Dates and noon timestamps by offset from today, made once: rows only index them."""

    def __init__(self, today: datetime.date) -> None:
        self.today = today
        low, high = END_DAYS[0] - LONGEST_DAYS - 30, END_DAYS[1] + 30
        self.low = low
        self.dates = [today + datetime.timedelta(days=offset) for offset in range(low, high + 1)]
        noon = datetime.datetime.combine(today, datetime.time(12), datetime.UTC)
        self.stamps = [noon + datetime.timedelta(days=offset) for offset in range(low, high + 1)]

    def date(self, offset: int) -> datetime.date:
        return self.dates[offset - self.low]

    def stamp(self, offset: int) -> datetime.datetime:
        return self.stamps[min(offset, 0) - self.low]


def _fleet(
    operator_id: Any, country: str, drivers: int, seed: int, now: datetime.datetime
) -> tuple[list[_Driver], list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The operator's drivers (for its declarations) with the rows of drivers, driver_versions
    and vehicles."""
    hosts = tuple(host for host in HOST_ORDER if host != country)
    fleet: list[_Driver] = []
    driver_rows: list[tuple[Any, ...]] = []
    version_rows: list[tuple[Any, ...]] = []
    vehicle_rows: list[tuple[Any, ...]] = []
    for index, generated in enumerate(generate(drivers, drivers, operator_country=country, seed=seed)):
        record = msgspec.convert(generated, BulkRecord)
        apply_rules(record)
        driver_id = uuid7()
        details = msgspec.structs.astuple(stored_driver(record))
        driver_rows.append((driver_id, operator_id, now, 1, *details))
        version_rows.append((driver_id, 1, *details))
        for _, attribute, vehicle in rules.PLATE_LISTS:
            vehicle_rows.extend(
                (uuid7(), operator_id, plate, country, vehicle.transport_type, vehicle.vehicle_weight, now)
                for plate in getattr(record, attribute)
            )
        template = storage.stored(
            record,
            declaration_id=driver_id,
            operator_id=operator_id,
            driver_id=driver_id,
            driver_version=1,
            version=1,
            status="SUBMITTED",
            submitted_at=now,
            updated_at=now,
        )
        start = index % len(hosts)
        fleet.append(_Driver(driver_id, hosts[start:] + hosts[:start], template))
    return fleet, driver_rows, version_rows, vehicle_rows


def _declarations(
    operator_id: Any, seed: int, fleet: list[_Driver], count: int, days: _Days
) -> Iterator[tuple[StoredDeclaration, list[tuple[Any, ...]]]]:
    """``count`` declarations of the fleet, each with its events: most submitted, some withdrawn,
    a few drafts."""
    dice = random.Random(seed)
    below = dice.randrange
    first, last = END_DAYS
    replace = msgspec.structs.replace
    for position in range(count):
        driver = fleet[position % len(fleet)]
        end = below(first, last + 1)
        start = end - below(LONGEST_DAYS)
        roll = below(100)
        filed = days.stamp(start - 1 - below(14))
        declaration = replace(
            driver.template,
            id=uuid7(),
            posting_country=driver.hosts[position // len(fleet)],
            start_date=days.date(start),
            end_date=days.date(end),
            submitted_at=filed,
            updated_at=filed,
            client_reference=f"LOAD-{seed}-{position:08d}",
        )
        if roll < 2:
            yield replace(declaration, status="DRAFT", submitted_at=None), []
        elif roll < 8:
            withdrawn_at = days.stamp(start - 1 - below(14) + below(20))
            withdrawn = replace(declaration, status="WITHDRAWN", version=2, updated_at=withdrawn_at)
            kept = _document.encode(declaration).decode()
            yield (
                withdrawn,
                [
                    (declaration.id, 1, "SUBMITTED", filed, kept),
                    (declaration.id, 2, "WITHDRAWN", withdrawn_at, None),
                ],
            )
        else:
            yield declaration, [(declaration.id, 1, "SUBMITTED", filed, None)]


async def _load_operator(db: asyncpg.Connection, index: int, count: int, days: _Days) -> None:
    operator_id, country = uuid7(), OPERATOR_COUNTRIES[index % len(OPERATOR_COUNTRIES)]
    now = days.stamp(0)
    fleet, drivers, versions, vehicles = _fleet(
        operator_id, country, math.ceil(count / DECLARATIONS_PER_DRIVER), index, now
    )
    await db.copy_records_to_table(
        "operators",
        records=[(operator_id, f"Load Transport {index}", country)],
        columns=("id", "name", "establishment_country"),
    )
    await db.copy_records_to_table("drivers", records=drivers, columns=DRIVER_COPY)
    await db.copy_records_to_table("driver_versions", records=versions, columns=DRIVER_VERSION_COPY)
    await db.copy_records_to_table("vehicles", records=vehicles, columns=VEHICLE_COPY)
    rows = _declarations(operator_id, index, fleet, count, days)
    while batch := [row for _, row in zip(range(BATCH), rows, strict=False)]:
        await db.copy_records_to_table(
            "declarations", records=[msgspec.structs.astuple(row) for row, _ in batch], columns=COLUMNS
        )
        events = [event for _, recorded in batch for event in recorded]
        await db.copy_records_to_table("declaration_events", records=events, columns=EVENT_COPY)


async def _connect(url: str) -> asyncpg.Connection:
    # A lost COPY batch is re-run, never half-read: no need to wait for each flush.
    return await asyncpg.connect(url, server_settings={"synchronous_commit": "off", "timezone": "UTC"})


_counter: "Synchronized[int] | None" = None


def _share_init(counter: "Synchronized[int]") -> None:
    global _counter
    _counter = counter


def _load_share(url: str, shares: list[tuple[int, int]], today: datetime.date) -> None:
    """One loading process: its operators, one after another, counting rows as it goes."""

    async def run() -> None:
        db, days = await _connect(url), _Days(today)
        for index, count in shares:
            await _load_operator(db, index, count, days)
            if _counter is not None:
                with _counter.get_lock():
                    _counter.value += count
        await db.close()

    asyncio.run(run())


async def _secondary_indexes(db: asyncpg.Connection) -> list[tuple[str, str]]:
    rows = await db.fetch(
        """
        SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
        WHERE x.indrelid = 'declarations'::regclass AND NOT x.indisprimary ORDER BY i.relname
        """
    )
    return [(row[0], row[1]) for row in rows]


async def _rebuild(url: str, definitions: list[str], jobs: int) -> None:
    """Build the indexes again, ``jobs`` at a time (CREATE INDEX takes a lock they all share)."""
    pending = list(definitions)

    async def builder() -> None:
        db = await asyncpg.connect(url, server_settings={"maintenance_work_mem": "1GB"})
        while pending:
            await db.execute(pending.pop(0))
        await db.close()

    await asyncio.gather(*(builder() for _ in range(jobs)))


def _free_bytes(data_directory: str) -> int:
    with contextlib.suppress(OSError):
        return shutil.disk_usage(data_directory).free
    return shutil.disk_usage("/").free  # a remote server's folder is not ours to see: our own disk


async def load(url: str, declarations: int, jobs: int) -> Loaded:
    """Load ``declarations`` (fewer if the disk cannot hold them, said in the notes)."""
    started = time.monotonic()
    notes: list[str] = []
    today = datetime.datetime.now(datetime.UTC).date()
    db = await _connect(url)
    shares = plan(declarations)
    before = await db.fetchval("SELECT pg_database_size(current_database())")
    await _load_operator(db, 0, shares[0], _Days(today))
    per_row = (await db.fetchval("SELECT pg_database_size(current_database())") - before) / shares[0]
    free = _free_bytes(await db.fetchval("SHOW data_directory"))
    rest = declarations - shares[0]
    fits = max(0, int((free - SPARE_BYTES) / per_row))
    if rest > fits:
        notes.append(
            f"disk: {free / 2**30:,.0f} GB free at {per_row:,.0f} bytes a declaration holds {fits:,} more"
            f" with {SPARE_BYTES / 2**30:.0f} GB to spare: {shares[0] + fits:,} loaded, not {declarations:,}"
        )
        rest = fits
    shares = [shares[0], *plan(rest)] if rest else shares[:1]
    indexes = await _secondary_indexes(db)
    if rest:
        notes.append(f"indexes of declarations dropped during the load and rebuilt after ({len(indexes)}, timed)")
        for name, _ in indexes:
            await db.execute(f'DROP INDEX "{name}"')
        await _load_in_parallel(url, list(enumerate(shares))[1:], jobs, today, declarations=sum(shares))
        print("  rebuilding the indexes ...", file=sys.stderr)
        await _rebuild(url, [definition for _, definition in indexes], jobs)
        invalid = await db.fetchval(
            "SELECT count(*) FROM pg_index WHERE indrelid = 'declarations'::regclass AND NOT indisvalid"
        )
        if invalid:
            raise RuntimeError(f"{invalid} indexes of declarations are not valid after the rebuild")
    print("  VACUUM ANALYZE ...", file=sys.stderr)
    for table in ("operators", "drivers", "driver_versions", "vehicles", "declarations", "declaration_events"):
        await db.execute(f"VACUUM (ANALYZE) {table}")
    await db.close()
    return Loaded(sum(shares), time.monotonic() - started, notes)


async def _load_in_parallel(
    url: str, shares: list[tuple[int, int]], jobs: int, today: datetime.date, *, declarations: int
) -> None:
    context = multiprocessing.get_context("spawn")
    counter: Synchronized[int] = context.Value("q", 0)
    started = report = time.monotonic()
    with ProcessPoolExecutor(jobs, mp_context=context, initializer=_share_init, initargs=(counter,)) as pool:
        futures = [pool.submit(_load_share, url, shares[job::jobs], today) for job in range(jobs)]
        while not all(future.done() for future in futures):
            await asyncio.sleep(0.5)
            if time.monotonic() >= report + 10:
                report, loaded = time.monotonic(), counter.value
                print(
                    f"  {loaded:,} of {declarations:,} declarations, {loaded / (report - started):,.0f} rows/s",
                    file=sys.stderr,
                )
        for future in futures:
            future.result()
