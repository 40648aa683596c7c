"""SQL of bulk filing: a batch is copied into a staging table, then filed with a few set-based
statements, never one round trip per record."""

import datetime
import uuid
from typing import Any

import asyncpg
import asyncpg.cursor

from portal.operators.drivers.repository import FIELD_COLUMNS
from schemas.drivers import DriverFields

DRIVER_COLUMNS = tuple(FIELD_COLUMNS.values())
STAGING_COLUMNS = (
    "position", "client_reference", "submit", "declaration_id", "event_id", "driver_id",
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
        event_id uuid NOT NULL,
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
        document text,
        refused boolean NOT NULL DEFAULT false,
        filed_before uuid
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


async def file_drivers(db: asyncpg.Connection, operator_id: uuid.UUID) -> None:
    """Create or update the batch's drivers (the last record of a driver wins)."""
    await db.execute(
        f"""
        INSERT INTO drivers (id, operator_id, updated_at, {_DRIVER_LIST})
        SELECT DISTINCT ON (license_number, date_of_birth) driver_id, $1, now(), {_DRIVER_LIST}
        FROM bulk_staging ORDER BY license_number, date_of_birth, position DESC
        ON CONFLICT ON CONSTRAINT drivers_identity DO UPDATE
            SET ({_DRIVER_LIST}) = ({_driver_columns("EXCLUDED")}), updated_at = now()
            WHERE ({_driver_columns("drivers")}) IS DISTINCT FROM ({_driver_columns("EXCLUDED")})
        """,
        operator_id,
    )
    await db.execute(
        """
        UPDATE bulk_staging s SET
            driver_id = (SELECT d.id FROM drivers d WHERE d.operator_id = $1 AND d.license_number = s.license_number
                                                     AND d.date_of_birth = s.date_of_birth),
            filed_before = (SELECT d.id FROM declarations d
                            WHERE d.operator_id = $1 AND d.client_reference = s.client_reference)
        """,
        operator_id,
    )


async def file_vehicles(db: asyncpg.Connection, operator_id: uuid.UUID) -> list[asyncpg.Record]:
    """Add the batch's new plates to the register; return the plates registered otherwise."""
    await db.execute(
        f"""
        INSERT INTO vehicles (id, operator_id, plate_number, registration_country, transport_type,
                              vehicle_weight, updated_at)
        SELECT DISTINCT ON (plate) portal_uuid7(), $1, plate, registration_country, transport_type, weight, now()
        FROM ({_PLATES}) AS plates ORDER BY plate, position
        ON CONFLICT ON CONSTRAINT vehicles_plate DO NOTHING
        """,
        operator_id,
    )
    rows: list[asyncpg.Record] = await db.fetch(
        f"""
        SELECT plates.position, plates.field, plates.index, plates.plate, v.transport_type, v.vehicle_weight
        FROM ({_PLATES}) AS plates
        CROSS JOIN LATERAL (
            SELECT * FROM vehicles v WHERE v.operator_id = $1 AND v.plate_number = plates.plate LIMIT 1
        ) AS v
        WHERE (v.transport_type, v.vehicle_weight) <> (plates.transport_type, plates.weight)
        """,
        operator_id,
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
    await db.execute("UPDATE bulk_staging SET refused = true WHERE position = ANY($1::integer[])", positions)


async def overlaps(db: asyncpg.Connection) -> list[asyncpg.Record]:
    """Records to submit that overlap a submitted declaration (``declaration_id``) or an earlier
    record of the batch (``earlier``), for the same driver and host country.

    Records filed before (sent again) are left out: they are answered, not filed.
    """
    rows: list[asyncpg.Record] = await db.fetch(
        """
        WITH candidates AS MATERIALIZED (
            SELECT position, driver_id, posting_country, start_date, end_date FROM bulk_staging
            WHERE submit AND NOT refused AND filed_before IS NULL
        )
        SELECT s.position, d.id AS declaration_id, NULL::integer AS earlier
        FROM candidates s
        CROSS JOIN LATERAL (
            SELECT d.id FROM declarations d
            WHERE d.driver_id = s.driver_id AND d.posting_country = s.posting_country AND d.status = 'SUBMITTED'
              AND d.start_date <= s.end_date AND d.end_date >= s.start_date
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
            SELECT declaration_id, $1, driver_id, CASE WHEN submit THEN 'SUBMITTED' ELSE 'DRAFT' END, 1,
                posting_country, start_date, end_date, plates_passengers, plates_light, plates_heavy,
                details::jsonb, driver::jsonb, 'NOT_SENT', CASE WHEN submit THEN $2::timestamptz END, $2,
                client_reference
            FROM bulk_staging s
            WHERE NOT refused AND filed_before IS NULL
            ON CONFLICT (operator_id, client_reference) WHERE client_reference IS NOT NULL DO NOTHING
            RETURNING id
        ), events AS (
            INSERT INTO declaration_events (event_id, declaration_id, version, event_type, posting_country, end_date,
                                            payload)
            SELECT s.event_id, s.declaration_id, 1, 'SUBMITTED', s.posting_country, s.end_date,
                   s.document::jsonb || jsonb_build_object('driverId', s.driver_id)
            FROM bulk_staging s JOIN inserted i ON i.id = s.declaration_id
            WHERE s.submit
        )
        SELECT s.position, coalesce(s.filed_before, i.id) AS id, i.id IS NOT NULL AND s.submit AS submitted
        FROM bulk_staging s LEFT JOIN inserted i ON i.id = s.declaration_id
        WHERE NOT s.refused
        """,
        operator_id,
        now,
    )
    return rows


async def filed_elsewhere(db: asyncpg.Connection, operator_id: uuid.UUID, positions: list[int]) -> list[asyncpg.Record]:
    """The ids of records another upload filed at the same moment (their references won the race)."""
    rows: list[asyncpg.Record] = await db.fetch(
        """
        SELECT s.position, d.id FROM bulk_staging s
        JOIN declarations d ON d.operator_id = $1 AND d.client_reference = s.client_reference
        WHERE s.position = ANY($2::integer[])
        """,
        operator_id,
        positions,
    )
    return rows


async def create_upload(db: asyncpg.Connection, upload_id: uuid.UUID, operator_id: uuid.UUID, submit: bool) -> None:
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
    db: asyncpg.Connection, upload_id: uuid.UUID, received: int, accepted: int, rejected: int, submitted: int
) -> None:
    await db.execute(
        "UPDATE bulk_uploads SET received = $2, accepted = $3, rejected = $4, submitted = $5, updated_at = now()"
        " WHERE id = $1",
        upload_id,
        received,
        accepted,
        rejected,
        submitted,
    )


async def finish(db: asyncpg.Connection | asyncpg.Pool, upload_id: uuid.UUID, state: str, message: str) -> None:
    await db.execute(
        "UPDATE bulk_uploads SET state = $2, message = $3, finished_at = now(), updated_at = now() WHERE id = $1",
        upload_id,
        state,
        message,
    )


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
