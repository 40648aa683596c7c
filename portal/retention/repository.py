"""SQL of retention: the monthly partitions of each table, made ahead and dropped when due."""

import datetime

import asyncpg

# The tables partitioned by month, and what their month is of.
BY_END_DATE = ("declarations", "declaration_events")
BY_LOOK_UP_TIME = ("authority_audit", "authority_audit_hits")


async def make_months(
    db: asyncpg.Connection | asyncpg.Pool, table: str, first: datetime.date, last: datetime.date
) -> int:
    """Create the missing monthly partitions of ``table`` from ``first`` to ``last``; return how many."""
    made: int = await db.fetchval("SELECT portal_month_partitions($1::regclass, $2, $3)", table, first, last)
    return made


async def months(db: asyncpg.Connection | asyncpg.Pool, table: str) -> list[asyncpg.Record]:
    """Each partition of ``table`` (``partition``, ``month``: its first day), oldest first."""
    rows: list[asyncpg.Record] = await db.fetch(
        "SELECT partition::text AS partition, month FROM portal_partition_months($1::regclass)", table
    )
    return rows


async def count_rows(db: asyncpg.Connection | asyncpg.Pool, partition: str) -> int:
    rows: int = await db.fetchval(f"SELECT count(*) FROM {_name(partition)}")
    return rows


async def detached_half_way(db: asyncpg.Connection | asyncpg.Pool) -> list[asyncpg.Record]:
    """Partitions whose concurrent detach was interrupted (a crash, a timeout): to be finished."""
    rows: list[asyncpg.Record] = await db.fetch(
        "SELECT i.inhparent::regclass::text AS parent, i.inhrelid::regclass::text AS partition"
        " FROM pg_inherits i WHERE i.inhdetachpending"
    )
    return rows


async def finish_detach_and_drop(db: asyncpg.Connection, parent: str, partition: str) -> None:
    await db.execute(f"ALTER TABLE {_name(parent)} DETACH PARTITION {_name(partition)} FINALIZE")
    await db.execute(f"DROP TABLE {_name(partition)}")


async def detach_and_drop(db: asyncpg.Connection, parent: str, partition: str) -> None:
    """Drop one month without stopping filing.

    DETACH ... CONCURRENTLY takes only a SHARE UPDATE EXCLUSIVE lock on the parent, so inserts
    and reads go on meanwhile (a plain DROP would take an ACCESS EXCLUSIVE lock). It cannot run
    inside a transaction block: ``db`` must not be in one.
    """
    await db.execute(f"ALTER TABLE {_name(parent)} DETACH PARTITION {_name(partition)} CONCURRENTLY")
    await db.execute(f"DROP TABLE {_name(partition)}")


async def forget_references(db: asyncpg.Connection, ended_before: datetime.date, batch: int = 10_000) -> int:
    """Delete up to ``batch`` bulk references whose declaration is gone; return how many.

    The one table retention empties row by row: it is narrow, and a reference outlives its
    declaration only when an update moved the end date.
    """
    status: str = await db.execute(
        """
        DELETE FROM declaration_references WHERE ctid IN (
            SELECT r.ctid FROM declaration_references r
            WHERE r.end_date < $1 AND NOT EXISTS (SELECT 1 FROM declarations d WHERE d.id = r.declaration_id)
            LIMIT $2
        )
        """,
        ended_before,
        batch,
    )
    return int(status.split()[-1])


def _name(identifier: str) -> str:
    # Names come from pg_catalog, never from a request; quoting keeps them whole all the same.
    return '"' + identifier.replace('"', '""') + '"'
