"""SQL of retention: declarations deleted in small batches once due, the audit log's monthly
partitions made ahead and dropped when due."""

import datetime

import asyncpg

# The audit log is partitioned by the month of the look-up.
BY_LOOK_UP_TIME = ("authority_audit", "authority_audit_hits")


async def count_declarations_due(db: asyncpg.Connection | asyncpg.Pool, ended_before: datetime.date) -> int:
    due: int = await db.fetchval("SELECT count(*) FROM declarations WHERE end_date < $1", ended_before)
    return due


async def delete_declarations(
    db: asyncpg.Connection | asyncpg.Pool, ended_before: datetime.date, batch: int
) -> tuple[int, list[bytes]]:
    """Delete up to ``batch`` declarations that ended before ``ended_before``, with their events
    (and the versions they keep), deliveries, feed rows and parked events, verification tokens and
    the records of their PDFs,
    in one statement; return how many declarations went, and the digests of the PDF files that
    no record names any more (the caller deletes the files, once this has committed)."""
    record = await db.fetchrow(
        """
        WITH due AS (
            SELECT ctid FROM declarations WHERE end_date < $1 LIMIT $2
        ), gone AS (
            DELETE FROM declarations d USING due WHERE d.ctid = due.ctid RETURNING d.id
        ), events AS (
            DELETE FROM declaration_events e USING gone WHERE e.declaration_id = gone.id
        ), delivered AS (
            DELETE FROM deliveries x USING gone WHERE x.declaration_id = gone.id
        ), tokens AS (
            DELETE FROM verification_tokens t USING gone WHERE t.declaration_id = gone.id
        ), fed AS (
            DELETE FROM forwarding_feed f USING gone WHERE f.declaration_id = gone.id
        ), parked AS (
            DELETE FROM forwarding_parked p USING gone WHERE p.declaration_id = gone.id
        ), records AS (
            DELETE FROM documents p USING gone WHERE p.declaration_id = gone.id RETURNING p.sha256
        )
        -- Every part of one statement sees the rows as they were before it: the records left
        -- are those of declarations not gone.
        SELECT (SELECT count(*) FROM gone),
               coalesce((SELECT array_agg(DISTINCT r.sha256) FROM records r WHERE NOT EXISTS (
                   SELECT 1 FROM documents k
                   WHERE k.sha256 = r.sha256 AND k.declaration_id NOT IN (SELECT id FROM gone)
               )), '{}')
        """,
        ended_before,
        batch,
    )
    assert record is not None
    return record[0], list(record[1])


async def delete_unused_driver_versions(db: asyncpg.Connection | asyncpg.Pool) -> int:
    """Forget the driver versions that neither a driver (as now) nor any kept declaration
    version shows: the personal data of a driver as they were goes with the last declaration
    that showed it."""
    status: str = await db.execute(
        """
        DELETE FROM driver_versions v
        USING drivers r
        WHERE r.id = v.driver_id AND v.version < r.version
          AND NOT EXISTS (SELECT 1 FROM declarations d WHERE d.driver_id = v.driver_id AND d.driver_version = v.version)
          AND NOT EXISTS (
              SELECT 1 FROM declarations d JOIN declaration_events e ON e.declaration_id = d.id
              WHERE d.driver_id = v.driver_id AND (e.superseded->>'driver_version')::integer = v.version)
        """
    )
    return int(status.split()[-1])


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
    """Drop one month without stopping look-ups.

    DETACH ... CONCURRENTLY takes only a SHARE UPDATE EXCLUSIVE lock on the parent, so inserts
    and reads go on meanwhile (a plain DROP would take an ACCESS EXCLUSIVE lock). It cannot run
    inside a transaction block: ``db`` must not be in one.
    """
    await db.execute(f"ALTER TABLE {_name(parent)} DETACH PARTITION {_name(partition)} CONCURRENTLY")
    await db.execute(f"DROP TABLE {_name(partition)}")


def _name(identifier: str) -> str:
    # Names come from pg_catalog, never from a request; quoting keeps them whole all the same.
    return '"' + identifier.replace('"', '""') + '"'
