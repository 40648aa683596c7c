"""SQL of bulk filing: a batch is copied into a staging table, then filed with a few set-based
statements, never one round trip per record."""

import datetime
import uuid
from typing import Any

import asyncpg
import asyncpg.cursor

from portal.declarations.rules import MAX_PERIOD_DAYS
from portal.operators.drivers.repository import FIELD_COLUMNS
from schemas.drivers import DriverFields

DRIVER_COLUMNS = tuple(FIELD_COLUMNS.values())
STAGING_COLUMNS = (
    "position", "client_reference", "submit", "declaration_id", "driver_id",
    *DRIVER_COLUMNS,
    "posting_country", "start_date", "end_date", "plates_passengers", "plates_light", "plates_heavy",
    "registration_country", "details", "driver", "document",
)  # fmt: skip
_DRIVER_LIST = ", ".join(DRIVER_COLUMNS)


def _driver_columns(table: str) -> str:
    return ", ".join(f"{table}.{column}" for column in DRIVER_COLUMNS)


_DRIVER_TYPES = {"date_of_birth": "date", "contract_start_date": "date"}

# Temporary, per connection, emptied at every commit: one batch at a time passes through it.
CREATE_STAGING = f"""
    CREATE TEMP TABLE IF NOT EXISTS bulk_staging (
        position integer PRIMARY KEY,
        client_reference text NOT NULL,
        submit boolean NOT NULL,
        declaration_id uuid NOT NULL,
        driver_id uuid NOT NULL,
        {", ".join(f"{column} {_DRIVER_TYPES.get(column, 'text')}" for column in DRIVER_COLUMNS)},
        posting_country text NOT NULL,
        start_date date NOT NULL,
        end_date date NOT NULL,
        plates_passengers text[] NOT NULL,
        plates_light text[] NOT NULL,
        plates_heavy text[] NOT NULL,
        registration_country text NOT NULL,
        details text NOT NULL,
        driver text NOT NULL,
        document text
    ) ON COMMIT DELETE ROWS;
    -- What the batch learns of each record, kept apart so that the wide rows above are
    -- written once and never rewritten.
    CREATE TEMP TABLE IF NOT EXISTS bulk_keys (
        position integer PRIMARY KEY,
        driver_id uuid,
        filed_before uuid,
        refused boolean NOT NULL DEFAULT false
    ) ON COMMIT DELETE ROWS
"""

# The batch's statements probe indexes row by row (correlated subqueries, LATERAL ... LIMIT 1):
# statistics of tables growing by millions of rows lag behind, and a plan that trusts them
# would hash or sort a whole table for every batch instead.

# Every plate of the batch with the list it stands in, its index there and what it must be.
_PLATES = """
    SELECT s.position, s.registration_country, t.field, p.index - 1 AS index, p.plate, t.transport_type, t.weight
    FROM bulk_staging s
    CROSS JOIN LATERAL (VALUES
        (s.plates_passengers, 'declarationVehiclePlateNumber', 'CARRIAGE_OF_PASSENGERS', ''),
        (s.plates_light, 'declarationVehiclePlateNumberLight', 'CARRIAGE_OF_GOODS', 'LIGHT'),
        (s.plates_heavy, 'declarationVehiclePlateNumberHeavy', 'CARRIAGE_OF_GOODS', 'HEAVY')
    ) AS t(plates, field, transport_type, weight)
    CROSS JOIN LATERAL unnest(t.plates) WITH ORDINALITY AS p(plate, index)
"""


async def prepare(db: asyncpg.Connection) -> None:
    await db.execute(CREATE_STAGING)


async def stage(db: asyncpg.Connection, rows: list[tuple[Any, ...]]) -> None:
    await db.copy_records_to_table("bulk_staging", records=rows, columns=STAGING_COLUMNS)
    # Temporary tables are never analysed by autovacuum: without statistics the planner
    # guesses wrong and scans whole tables instead of probing their indexes.
    await db.execute("ANALYZE bulk_staging")


async def changed_drivers(db: asyncpg.Connection, operator_id: uuid.UUID) -> list[uuid.UUID]:
    """Drivers of the batch that exist already with other details: their declarations follow."""
    rows = await db.fetch(
        f"""
        SELECT DISTINCT d.id FROM bulk_staging s
        CROSS JOIN LATERAL (
            SELECT * FROM drivers d WHERE d.operator_id = $1 AND d.license_number = s.license_number
                                      AND d.date_of_birth = s.date_of_birth
            LIMIT 1
        ) AS d
        WHERE ({_driver_columns("d")}) IS DISTINCT FROM ({_driver_columns("s")})
        ORDER BY d.id
        """,
        operator_id,
    )
    return [row["id"] for row in rows]


async def staged_driver(db: asyncpg.Connection, driver_id: uuid.UUID) -> DriverFields:
    """The details the batch gives an existing driver (its last record of them)."""
    row = await db.fetchrow(
        f"""
        SELECT {_driver_columns("s")} FROM bulk_staging s
        JOIN drivers d ON d.license_number = s.license_number AND d.date_of_birth = s.date_of_birth
        WHERE d.id = $1 ORDER BY s.position DESC LIMIT 1
        """,
        driver_id,
    )
    assert row is not None  # only drivers the batch names are asked for
    return DriverFields(**{name: row[column] for name, column in FIELD_COLUMNS.items()})


async def file_drivers(db: asyncpg.Connection, operator_id: uuid.UUID, changed: bool) -> None:
    """Match the batch's drivers, create the new ones and update the changed ones (a driver's
    last record in the batch wins). A renewal wave names drivers that exist unchanged: for them
    this is two index probes per record and no write."""
    match_driver = """(SELECT d.id FROM drivers d WHERE d.operator_id = $1 AND d.license_number = s.license_number
                                                   AND d.date_of_birth = s.date_of_birth)"""
    await db.execute(
        f"""
        INSERT INTO bulk_keys (position, driver_id, filed_before)
        SELECT s.position, {match_driver},
            (SELECT r.declaration_id FROM declaration_references r
             WHERE r.operator_id = $1 AND r.client_reference = s.client_reference)
        FROM bulk_staging s
        """,
        operator_id,
    )
    await db.execute(
        f"""
        INSERT INTO drivers (id, operator_id, updated_at, {_DRIVER_LIST})
        SELECT DISTINCT ON (s.license_number, s.date_of_birth) s.driver_id, $1, now(), {_driver_columns("s")}
        FROM bulk_staging s JOIN bulk_keys k USING (position) WHERE k.driver_id IS NULL
        ORDER BY s.license_number, s.date_of_birth, s.position DESC
        ON CONFLICT ON CONSTRAINT drivers_identity DO NOTHING
        """,
        operator_id,
    )
    if changed:
        await _update_changed_drivers(db)
    await db.execute(
        f"""
        UPDATE bulk_keys k SET driver_id = {match_driver}
        FROM bulk_staging s WHERE s.position = k.position AND k.driver_id IS NULL
        """,
        operator_id,
    )


async def _update_changed_drivers(db: asyncpg.Connection) -> None:
    await db.execute(
        f"""
        UPDATE drivers d SET ({_DRIVER_LIST}) = ({_driver_columns("s")}), updated_at = now()
        FROM (
            SELECT DISTINCT ON (k.driver_id) k.driver_id AS id, {_driver_columns("s")}
            FROM bulk_staging s JOIN bulk_keys k USING (position) WHERE k.driver_id IS NOT NULL
            ORDER BY k.driver_id, s.position DESC
        ) AS s
        WHERE d.id = s.id AND ({_driver_columns("d")}) IS DISTINCT FROM ({_driver_columns("s")})
        """
    )


async def add_plates(
    db: asyncpg.Connection, operator_id: uuid.UUID, plates: list[tuple[str, str, str, str]]
) -> list[str]:
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


async def plates_registered_otherwise(
    db: asyncpg.Connection, operator_id: uuid.UUID, plates: list[str]
) -> list[asyncpg.Record]:
    """Among ``plates``, each use in the batch that the register now says is of another kind."""
    if not plates:
        return []
    rows: list[asyncpg.Record] = await db.fetch(
        f"""
        SELECT plates.position, plates.field, plates.index, plates.plate, v.transport_type, v.vehicle_weight
        FROM ({_PLATES}) AS plates
        CROSS JOIN LATERAL (
            SELECT * FROM vehicles v WHERE v.operator_id = $1 AND v.plate_number = plates.plate LIMIT 1
        ) AS v
        WHERE plates.plate = ANY($2::text[])
          AND (v.transport_type, v.vehicle_weight) <> (plates.transport_type, plates.weight)
        """,
        operator_id,
        plates,
    )
    return rows


async def repeated_references(db: asyncpg.Connection) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await db.fetch(
        """
        SELECT position, first FROM (
            SELECT position, min(position) OVER (PARTITION BY client_reference) AS first FROM bulk_staging
        ) AS s WHERE position <> first
        """
    )
    return rows


async def refuse(db: asyncpg.Connection, positions: list[int]) -> None:
    await db.execute("UPDATE bulk_keys SET refused = true WHERE position = ANY($1::integer[])", positions)


async def overlaps(db: asyncpg.Connection) -> list[asyncpg.Record]:
    """Records to submit that overlap a submitted declaration (``declaration_id``) or an earlier
    record of the batch (``earlier``), for the same driver and host country.

    Records filed before (sent again) are left out: they are answered, not filed.
    """
    rows: list[asyncpg.Record] = await db.fetch(
        f"""
        WITH candidates AS MATERIALIZED (
            SELECT s.position, k.driver_id, s.posting_country, s.start_date, s.end_date
            FROM bulk_staging s JOIN bulk_keys k USING (position)
            WHERE s.submit AND NOT k.refused AND k.filed_before IS NULL
        )
        SELECT s.position, d.id AS declaration_id, NULL::integer AS earlier
        FROM candidates s
        CROSS JOIN LATERAL (
            SELECT d.id FROM declarations d
            WHERE d.driver_id = s.driver_id AND d.posting_country = s.posting_country AND d.status = 'SUBMITTED'
              AND d.start_date <= s.end_date AND d.end_date >= s.start_date
              -- Implied by the six-month limit; it lets PostgreSQL skip the months that cannot overlap.
              AND d.end_date <= s.end_date + {MAX_PERIOD_DAYS}
            LIMIT 1
        ) AS d
        UNION ALL
        SELECT a.position, NULL, min(b.position)
        FROM candidates a
        JOIN candidates b ON b.driver_id = a.driver_id AND b.posting_country = a.posting_country
             AND b.position < a.position AND b.start_date <= a.end_date AND b.end_date >= a.start_date
        GROUP BY a.position
        """
    )
    return rows


async def file_declarations(
    db: asyncpg.Connection, operator_id: uuid.UUID, now: datetime.datetime
) -> list[asyncpg.Record]:
    """Insert the batch's declarations that passed, and the event of each submitted one.

    Return each record that was not refused with its declaration's id: new, or filed before.
    """
    rows: list[asyncpg.Record] = await db.fetch(
        """
        WITH inserted AS (
            INSERT INTO declarations (id, operator_id, driver_id, status, version, posting_country, start_date,
                end_date, plates_passengers, plates_light, plates_heavy, details, driver, email_status,
                submitted_at, updated_at, client_reference)
            SELECT s.declaration_id, $1, k.driver_id, CASE WHEN s.submit THEN 'SUBMITTED' ELSE 'DRAFT' END, 1,
                s.posting_country, s.start_date, s.end_date, s.plates_passengers, s.plates_light, s.plates_heavy,
                s.details::jsonb, s.driver::jsonb, 'NOT_SENT', CASE WHEN s.submit THEN $2::timestamptz END, $2,
                s.client_reference
            FROM bulk_staging s JOIN bulk_keys k USING (position)
            WHERE NOT k.refused AND k.filed_before IS NULL
            RETURNING id
        ), references_kept AS (
            INSERT INTO declaration_references (operator_id, client_reference, declaration_id, end_date)
            SELECT $1, s.client_reference, s.declaration_id, s.end_date
            FROM bulk_staging s JOIN inserted i ON i.id = s.declaration_id
        ), events AS (
            INSERT INTO declaration_events (declaration_id, version, event_type, posting_country, end_date,
                                            payload)
            SELECT s.declaration_id, 1, 'SUBMITTED', s.posting_country, s.end_date,
                   s.document::jsonb || jsonb_build_object('driverId', k.driver_id)
            FROM bulk_staging s JOIN inserted i ON i.id = s.declaration_id JOIN bulk_keys k USING (position)
            WHERE s.submit
        )
        SELECT s.position, coalesce(k.filed_before, i.id) AS id, i.id IS NOT NULL AND s.submit AS submitted
        FROM bulk_staging s JOIN bulk_keys k USING (position) LEFT JOIN inserted i ON i.id = s.declaration_id
        WHERE NOT k.refused
        """,
        operator_id,
        now,
    )
    return rows


async def create_upload(
    db: asyncpg.Connection | asyncpg.Pool, upload_id: uuid.UUID, operator_id: uuid.UUID, submit: bool
) -> None:
    await db.execute(
        "INSERT INTO bulk_uploads (id, operator_id, state, submit) VALUES ($1, $2, 'RUNNING', $3)",
        upload_id,
        operator_id,
        submit,
    )


async def save_results(
    db: asyncpg.Connection,
    upload_id: uuid.UUID,
    results: list[tuple[int, str | None, uuid.UUID | None, str | None]],
) -> None:
    """Store each record's outcome: (position, clientReference, declaration id, errors as JSON)."""
    positions, references, ids, errors = zip(*results, strict=True) if results else ((), (), (), ())
    await db.execute(
        """
        INSERT INTO bulk_upload_results (upload_id, position, client_reference, declaration_id, errors)
        SELECT $1, r.position, r.client_reference, r.declaration_id, r.errors::jsonb
        FROM unnest($2::integer[], $3::text[], $4::uuid[], $5::text[]) AS r(position, client_reference, declaration_id,
                                                                           errors)
        ON CONFLICT (upload_id, position) DO NOTHING
        """,
        upload_id,
        list(positions),
        list(references),
        list(ids),
        list(errors),
    )


async def count_progress(
    db: asyncpg.Connection | asyncpg.Pool,
    upload_id: uuid.UUID,
    received: int,
    accepted: int,
    rejected: int,
    submitted: int,
    *,
    state: str = "RUNNING",
    message: str = "",
) -> None:
    """Record the counts; partitions report concurrently, so counts only ever grow."""
    await db.execute(
        """
        UPDATE bulk_uploads SET received = greatest(received, $2), accepted = greatest(accepted, $3),
            rejected = greatest(rejected, $4), submitted = greatest(submitted, $5), updated_at = now(),
            state = $6, message = $7, finished_at = CASE WHEN $6 = 'RUNNING' THEN NULL ELSE now() END
        WHERE id = $1
        """,
        upload_id,
        received,
        accepted,
        rejected,
        submitted,
        state,
        message,
    )


async def upload_exists(db: asyncpg.Connection | asyncpg.Pool, upload_id: uuid.UUID) -> bool:
    return bool(await db.fetchval("SELECT true FROM bulk_uploads WHERE id = $1", upload_id))


async def fetch_upload(db: asyncpg.Connection, upload_id: uuid.UUID, operator_id: uuid.UUID) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await db.fetchrow(
        "SELECT * FROM bulk_uploads WHERE id = $1 AND operator_id = $2", upload_id, operator_id
    )
    return row


def results(db: asyncpg.Connection, upload_id: uuid.UUID) -> asyncpg.cursor.CursorFactory:
    """Outcomes in upload order, read through a cursor (inside a transaction) so memory stays flat."""
    return db.cursor(
        "SELECT position, client_reference, declaration_id, errors FROM bulk_upload_results"
        " WHERE upload_id = $1 ORDER BY position",
        upload_id,
        prefetch=2000,
    )
