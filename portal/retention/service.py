"""What retention removes and when, and the months kept ready ahead of filing.

A monthly partition goes once every row in it is past its retention: declarations (and each
version's outbox row) ``retention_months`` after the end of the month their end date falls
in, audit rows ``audit_retention_months`` after the month of the look-up. So a row goes at
most a month after its own due day, and nothing is ever deleted row by row.
"""

import datetime

import asyncpg
import msgspec
import structlog

from portal.declarations.rules import add_months
from portal.retention import repository
from portal.settings import Settings

log = structlog.get_logger(__name__)

# Months kept ready ahead of today: the filing window (portal.declarations.rules) ends at most
# 18 months ahead, so a housekeeping job that stopped would leave six months to notice.
MONTHS_AHEAD = 24


class DueMonth(msgspec.Struct, frozen=True):
    table: str
    partition: str
    month: datetime.date
    rows: int


def _first_kept_month(today: datetime.date, months_kept: int) -> datetime.date:
    """The oldest month still kept: a month goes when its last day is ``months_kept`` behind."""
    return add_months(today.replace(day=1), -months_kept)


async def prepare_months(db: asyncpg.Connection | asyncpg.Pool, today: datetime.date) -> int:
    """Create the months filing and look-ups will need; return how many were missing."""
    this_month = today.replace(day=1)
    ahead = add_months(this_month, MONTHS_AHEAD)
    made = 0
    for table in repository.BY_END_DATE + repository.BY_LOOK_UP_TIME:
        made += await repository.make_months(db, table, this_month, ahead)
    return made


async def due(db: asyncpg.Connection | asyncpg.Pool, settings: Settings, today: datetime.date) -> list[DueMonth]:
    """The partitions past their retention, with their row counts, oldest first."""
    kept_from = {
        **{table: _first_kept_month(today, settings.retention_months) for table in repository.BY_END_DATE},
        **{table: _first_kept_month(today, settings.audit_retention_months) for table in repository.BY_LOOK_UP_TIME},
    }
    found = []
    for table, first_kept in kept_from.items():
        for row in await repository.months(db, table):
            if row["month"] < first_kept:
                rows = await repository.count_rows(db, row["partition"])
                found.append(DueMonth(table, row["partition"], row["month"], rows))
    return found


async def apply(db: asyncpg.Connection, settings: Settings, today: datetime.date) -> list[DueMonth]:
    """Drop every partition past its retention and prepare the months ahead; ``db`` outside a transaction."""
    for stuck in await repository.detached_half_way(db):
        await repository.finish_detach_and_drop(db, stuck["parent"], stuck["partition"])
    dropped = await due(db, settings, today)
    for month in dropped:
        await repository.detach_and_drop(db, month.table, month.partition)
        log.info("retention dropped a month", table=month.table, month=str(month.month), rows=month.rows)
    # References of declarations that went: in small batches, each its own transaction.
    first_kept = _first_kept_month(today, settings.retention_months)
    while await repository.forget_references(db, first_kept):
        pass
    made = await prepare_months(db, today)
    if made:
        log.info("retention prepared months ahead", partitions=made)
    return dropped
