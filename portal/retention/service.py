"""What retention removes and when, and the months of the audit log kept ready ahead.

Declarations go, with their versions and events, ``retention.months`` after their end date:
the worker deletes what is due every night, a small batch per transaction, so that filing never
waits for it. Audit rows go ``retention.audit_months`` after the month of the look-up, a whole
month at a time (the audit log refuses any other deletion).
"""

import datetime

import asyncpg
import msgspec
import structlog

from portal.dates import add_months, month_start
from portal.documents.store import Store
from portal.retention import repository
from portal.settings import Retention

log = structlog.get_logger(__name__)

# Declarations deleted per transaction: small enough that a batch holds no lock for long.
BATCH = 10_000


class Due(msgspec.Struct, frozen=True):
    """What retention deletes on a day: the declarations that ended before ``ended_before``, and
    whole months of the audit log."""

    ended_before: datetime.date
    declarations: int
    audit_months: list["DueMonth"]


class DueMonth(msgspec.Struct, frozen=True):
    table: str
    partition: str
    month: datetime.date
    rows: int


def first_day_kept(today: datetime.date, months: int) -> datetime.date:
    """Declarations that ended before this day are past retention."""
    return add_months(today, -months)


def _first_kept_month(today: datetime.date, months_kept: int) -> datetime.date:
    """The oldest month of the audit log still kept: a month goes when its last day is ``months_kept`` behind."""
    return add_months(month_start(today), -months_kept)


async def prepare_months(db: asyncpg.Connection | asyncpg.Pool, settings: Retention, today: datetime.date) -> int:
    """Create the months the audit log will need; return how many were missing."""
    this_month = month_start(today)
    ahead = add_months(this_month, settings.months_ahead)
    made = 0
    for table in repository.BY_LOOK_UP_TIME:
        made += await repository.make_months(db, table, this_month, ahead)
    return made


async def due(db: asyncpg.Connection | asyncpg.Pool, settings: Retention, today: datetime.date) -> Due:
    """What is past retention on ``today``, counted."""
    ended_before = first_day_kept(today, settings.months)
    first_kept = _first_kept_month(today, settings.audit_months)
    months = []
    for table in repository.BY_LOOK_UP_TIME:
        for row in await repository.months(db, table):
            if row["month"] < first_kept:
                rows = await repository.count_rows(db, row["partition"])
                months.append(DueMonth(table, row["partition"], row["month"], rows))
    return Due(ended_before, await repository.count_declarations_due(db, ended_before), months)


async def apply(db: asyncpg.Connection, settings: Retention, today: datetime.date, store: Store) -> Due:
    """Delete what is past retention, the PDF files of what is deleted among it, and prepare the
    months ahead; ``db`` outside a transaction (each batch is its own, and a month detaches
    CONCURRENTLY). A file goes after its record's deletion has committed: a crash between them
    leaves a file no record names, never a record without its file."""
    found = await due(db, settings, today)
    deleted = 0
    while True:
        batch, unnamed = await repository.delete_declarations(db, found.ended_before, BATCH)
        if not batch:
            break
        await store.delete(unnamed)
        deleted += batch
    forgotten = await repository.delete_unused_driver_versions(db)
    if deleted or forgotten:
        log.info("retention deleted declarations", declarations=deleted, driver_versions=forgotten)
    for stuck in await repository.detached_half_way(db):
        await repository.finish_detach_and_drop(db, stuck["parent"], stuck["partition"])
    for month in found.audit_months:
        await repository.detach_and_drop(db, month.table, month.partition)
        log.info("retention dropped a month", table=month.table, month=str(month.month), rows=month.rows)
    made = await prepare_months(db, settings, today)
    if made:
        log.info("retention prepared months ahead", partitions=made)
    return msgspec.structs.replace(found, declarations=deleted)
