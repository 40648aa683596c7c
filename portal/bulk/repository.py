"""SQL of bulk filing: a batch is checked with a few set-based statements over arrays of its
records and stored by COPY, never one round trip per record. Rows are those of the single API
(``declarations.storage``), and the overlap rule is its predicate (``declarations.repository``)."""

import datetime
import uuid
from collections.abc import Iterable
from typing import Any

import asyncpg

from portal.db import Transaction
from portal.declarations import repository as declarations
from portal.declarations.storage import COLUMNS
from portal.operators.drivers.storage import DRIVER_COLUMNS, StoredDriver
from portal.operators.repository import filing_lock
from portal.operators.vehicles.register import RegisteredVehicle

# The batch's statements probe indexes row by row (LATERAL ... LIMIT 1, one probe per element
# of an array): statistics of tables growing by millions of rows lag behind, every statement is
# planned once per connection, and a plan that trusted them read all the operator's declarations
# for every batch (measured: seconds a batch, and growing).

_COLUMNS = ", ".join(DRIVER_COLUMNS)
_DATES = ("date_of_birth", "contract_start_date")


def _arrays(start: int) -> str:
    """Parameters from ``$start`` on, one array per driver column."""
    return ", ".join(
        f"${i}::{'date' if column in _DATES else 'text'}[]" for i, column in enumerate(DRIVER_COLUMNS, start=start)
    )


_DETAILS = ", ".join(f"n.{column}" for column in DRIVER_COLUMNS)
_DRIVERS = ", ".join(f"d.{column}" for column in DRIVER_COLUMNS)


async def lock_partition(db: Transaction, operator_id: uuid.UUID, partition: int) -> None:
    """The operator's filing lock of this partition, alone (see operators.repository.filing_lock)."""
    await db.execute(filing_lock("$1::uuid", partition=partition), operator_id)


async def match_drivers(
    db: Transaction, operator_id: uuid.UUID, licences: list[str], births: list[datetime.date]
) -> list[asyncpg.Record]:
    """The operator's drivers with these (licence, date of birth): id, version, then details."""
    rows: list[asyncpg.Record] = await db.fetch(
        f"""
        SELECT d.id, d.version, {_DRIVERS} FROM unnest($2::text[], $3::date[]) AS k(licence, born)
        CROSS JOIN LATERAL (
            SELECT * FROM drivers d
            WHERE d.operator_id = $1 AND d.license_number = k.licence AND d.date_of_birth = k.born LIMIT 1
        ) AS d
        """,
        operator_id,
        licences,
        births,
    )
    return rows


# A batch that adds this many drivers, and more than a tenth of what the statistics say the table
# holds, makes the statistics current. Statements are planned once per connection: planned on a
# table of few drivers, matching read every driver for every record (a 5,000-record batch took
# 30 s once an upload had made 40,000 drivers, measured), until autovacuum analysed the table.
STATISTICS_AFTER_DRIVERS = 500


async def keep_driver_statistics(db: Transaction, inserted: int) -> None:
    """ANALYZE drivers if ``inserted`` new ones outgrew its statistics (cached plans are made
    again from the new statistics)."""
    if inserted < STATISTICS_AFTER_DRIVERS:
        return
    estimate: float = await db.fetchval("SELECT reltuples FROM pg_class WHERE oid = 'drivers'::regclass")
    if inserted * 10 > max(estimate, 0):
        await db.execute("ANALYZE drivers")


def _driver_arrays(drivers: list[StoredDriver]) -> list[list[Any]]:
    return [[getattr(driver, column) for driver in drivers] for column in DRIVER_COLUMNS]


async def insert_drivers(
    db: Transaction, operator_id: uuid.UUID, ids: list[uuid.UUID], drivers: list[StoredDriver], now: datetime.datetime
) -> list[uuid.UUID]:
    """New drivers with their first version; return the ids inserted (a driver someone else
    created meanwhile is not: match it again)."""
    rows = await db.fetch(
        f"""
        WITH new AS (
            SELECT * FROM unnest($2::uuid[], {_arrays(4)}) AS n(id, {_COLUMNS})
        ), inserted AS (
            INSERT INTO drivers (id, operator_id, updated_at, version, {_COLUMNS})
            SELECT n.id, $1, $3, 1, {_DETAILS} FROM new n
            ON CONFLICT ON CONSTRAINT drivers_identity DO NOTHING
            RETURNING id
        ), versions AS (
            INSERT INTO driver_versions (driver_id, version, {_COLUMNS})
            SELECT n.id, 1, {_DETAILS} FROM new n JOIN inserted USING (id)
        )
        SELECT id FROM inserted
        """,
        operator_id,
        ids,
        now,
        *_driver_arrays(drivers),
    )
    return [row["id"] for row in rows]


async def change_drivers(
    db: Transaction, ids: list[uuid.UUID], drivers: list[StoredDriver], now: datetime.datetime
) -> list[asyncpg.Record]:
    """New details for existing drivers, each a new version; return (id, version) of each."""
    rows: list[asyncpg.Record] = await db.fetch(
        f"""
        WITH new AS (
            SELECT * FROM unnest($1::uuid[], {_arrays(3)}) AS n(id, {_COLUMNS})
        ), changed AS (
            UPDATE drivers d SET ({_COLUMNS}) = ({_DETAILS}), version = d.version + 1, updated_at = $2
            FROM new n WHERE d.id = n.id AND d.id = ANY($1::uuid[])
            RETURNING d.id, d.version
        ), versions AS (
            INSERT INTO driver_versions (driver_id, version, {_COLUMNS})
            SELECT c.id, c.version, {_DETAILS} FROM new n JOIN changed c USING (id)
        )
        SELECT id, version FROM changed
        """,
        ids,
        now,
        *_driver_arrays(drivers),
    )
    return rows


async def filed_before(db: Transaction, operator_id: uuid.UUID, references: list[str]) -> dict[str, uuid.UUID]:
    """The operator's declarations filed before under these references."""
    rows = await db.fetch(
        "SELECT d.client_reference, d.id FROM unnest($2::text[]) AS r(reference) CROSS JOIN LATERAL"
        " (SELECT d.client_reference, d.id FROM declarations d WHERE d.operator_id = $1"
        "  AND d.client_reference = r.reference AND d.client_reference IS NOT NULL LIMIT 1) AS d",
        operator_id,
        references,
    )
    return {row["client_reference"]: row["id"] for row in rows}


async def add_plates(db: Transaction, operator_id: uuid.UUID, plates: list[tuple[str, str, str, str]]) -> list[str]:
    """Register the batch's new plates; return those someone else registered first."""
    if not plates:
        return []
    numbers, countries, transport_types, weights = (list(column) for column in zip(*plates, strict=True))
    inserted = await db.fetch(
        """
        INSERT INTO vehicles (id, operator_id, plate_number, registration_country, transport_type,
                              vehicle_weight, updated_at)
        SELECT portal_uuid7(), $1, p.plate, p.country, p.transport_type, p.weight, now()
        FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) AS p(plate, country, transport_type, weight)
        ON CONFLICT ON CONSTRAINT vehicles_plate DO NOTHING
        RETURNING plate_number
        """,
        operator_id,
        numbers,
        countries,
        transport_types,
        weights,
    )
    return sorted(set(numbers) - {row["plate_number"] for row in inserted})


async def register_entries(db: Transaction, operator_id: uuid.UUID, plates: list[str]) -> dict[str, RegisteredVehicle]:
    rows = await db.fetch(
        "SELECT v.plate_number, v.transport_type, v.vehicle_weight FROM unnest($2::text[]) AS p(plate)"
        " CROSS JOIN LATERAL (SELECT * FROM vehicles v WHERE v.operator_id = $1 AND v.plate_number = p.plate"
        " LIMIT 1) AS v",
        operator_id,
        plates,
    )
    return {row["plate_number"]: RegisteredVehicle(row["transport_type"], row["vehicle_weight"]) for row in rows}


async def overlaps(
    db: Transaction,
    positions: list[int],
    driver_ids: list[uuid.UUID],
    countries: list[str],
    starts: list[datetime.date],
    ends: list[datetime.date],
) -> list[asyncpg.Record]:
    """Among the batch's records to submit (in position order), those that overlap a submitted
    declaration (``declaration_id``) or an earlier one of them (``earlier``): the overlap rule."""
    rows: list[asyncpg.Record] = await db.fetch(
        f"""
        WITH c AS MATERIALIZED (
            SELECT *, 'SUBMITTED' AS status
            FROM unnest($1::integer[], $2::uuid[], $3::text[], $4::date[], $5::date[])
                AS c(position, driver_id, posting_country, start_date, end_date)
        )
        SELECT c.position, d.id AS declaration_id, NULL::integer AS earlier
        FROM c CROSS JOIN LATERAL (
            SELECT d.id FROM declarations d WHERE {declarations.overlap("d", "c")} LIMIT 1
        ) AS d
        UNION ALL
        SELECT c.position, NULL, min(b.position)
        FROM c JOIN c AS b ON {declarations.overlap("b", "c")} AND b.position < c.position
        GROUP BY c.position
        """,
        positions,
        driver_ids,
        countries,
        starts,
        ends,
    )
    return rows


async def copy_declarations(db: Transaction, rows: Iterable[tuple[Any, ...]]) -> None:
    await db.copy_records_to_table("declarations", records=rows, columns=COLUMNS)


EVENT_COLUMNS = ("declaration_id", "version", "event_type", "recorded_at")


async def copy_events(db: Transaction, rows: Iterable[tuple[Any, ...]]) -> None:
    """Events as (declaration id, version, event type, time)."""
    await db.copy_records_to_table("declaration_events", records=rows, columns=EVENT_COLUMNS)


# Uploads and their outcomes.


async def claim_upload(db: asyncpg.Connection, upload_id: uuid.UUID, operator_id: uuid.UUID, submit: bool) -> bool:
    """Start an upload under ``upload_id``; False when the id is taken (by anyone)."""
    claimed = await db.fetchval(
        "INSERT INTO bulk_uploads (id, operator_id, state, submit) VALUES ($1, $2, 'RUNNING', $3)"
        " ON CONFLICT (id) DO NOTHING RETURNING true",
        upload_id,
        operator_id,
        submit,
    )
    return bool(claimed)


async def save_batch(
    db: Transaction,
    upload_id: uuid.UUID,
    partition: int,
    first_position: int,
    records: int,
    outcomes: bytes,
    counts: tuple[int, int, int, int],
) -> None:
    """A batch's outcomes, and the upload's counts grown by it (received, accepted, rejected,
    submitted), in the batch's transaction: the counts never run ahead of what is filed."""
    await db.execute(
        """
        WITH batch AS (
            INSERT INTO bulk_upload_batches (upload_id, partition, first_position, records, outcomes)
            VALUES ($1, $2, $3, $4, $5)
        )
        UPDATE bulk_uploads SET received = received + $6, accepted = accepted + $7, rejected = rejected + $8,
            submitted = submitted + $9, updated_at = now()
        WHERE id = $1
        """,
        upload_id,
        partition,
        first_position,
        records,
        outcomes,
        *counts,
    )


async def finish_upload(db: asyncpg.Connection | asyncpg.Pool, upload_id: uuid.UUID, state: str, message: str) -> None:
    await db.execute(
        "UPDATE bulk_uploads SET state = $2, message = $3, updated_at = now(), finished_at = now()"
        " WHERE id = $1 AND state = 'RUNNING'",
        upload_id,
        state,
        message,
    )


# A RUNNING upload holds this lock (with the upload) on a connection of its filing: a process
# that dies lets go of it, and the sweep finds the upload unowned.
UPLOAD_LOCK = 0x75706C


async def hold_upload(db: asyncpg.Connection, upload_id: uuid.UUID) -> None:
    await db.execute("SELECT pg_advisory_lock_shared($1, hashtext($2::uuid::text))", UPLOAD_LOCK, upload_id)


async def release_upload(db: asyncpg.Connection, upload_id: uuid.UUID) -> None:
    await db.execute("SELECT pg_advisory_unlock_shared($1, hashtext($2::uuid::text))", UPLOAD_LOCK, upload_id)


async def interrupt_unowned(db: asyncpg.Connection | asyncpg.Pool, older_than: datetime.datetime, message: str) -> int:
    """Mark INTERRUPTED each RUNNING upload that no process holds any more (its server was
    killed), with its counts as committed; return how many."""
    status: str = await db.execute(
        """
        UPDATE bulk_uploads SET state = 'INTERRUPTED', message = $2, finished_at = now(), updated_at = now()
        WHERE state = 'RUNNING' AND updated_at < $1
          AND pg_try_advisory_xact_lock($3, hashtext(id::text))
        """,
        older_than,
        message,
        UPLOAD_LOCK,
    )
    return int(status.split()[-1])


async def fetch_upload(db: asyncpg.Connection, upload_id: uuid.UUID, operator_id: uuid.UUID) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await db.fetchrow(
        "SELECT * FROM bulk_uploads WHERE id = $1 AND operator_id = $2", upload_id, operator_id
    )
    return row


async def recent_with_refusals(
    db: asyncpg.Connection, operator_id: uuid.UUID, since: datetime.datetime, limit: int
) -> list[asyncpg.Record]:
    """The operator's latest uploads since ``since`` that refused records, newest first (ids
    are time-ordered: the index on (operator_id, id) is read backwards)."""
    rows: list[asyncpg.Record] = await db.fetch(
        "SELECT * FROM bulk_uploads WHERE operator_id = $1 AND started_at >= $2 AND rejected > 0"
        " ORDER BY id DESC LIMIT $3",
        operator_id,
        since,
        limit,
    )
    return rows


async def batches(db: asyncpg.Connection, upload_id: uuid.UUID) -> list[asyncpg.Record]:
    """The upload's batches (partition, first position), each partition's in upload order."""
    rows: list[asyncpg.Record] = await db.fetch(
        "SELECT partition, first_position FROM bulk_upload_batches WHERE upload_id = $1"
        " ORDER BY partition, first_position",
        upload_id,
    )
    return rows


async def batch_outcomes(db: asyncpg.Connection, upload_id: uuid.UUID, partition: int, first_position: int) -> bytes:
    outcomes: bytes = await db.fetchval(
        "SELECT outcomes FROM bulk_upload_batches WHERE upload_id = $1 AND partition = $2 AND first_position = $3",
        upload_id,
        partition,
        first_position,
    )
    return outcomes
