"""SQL for declarations and their event log, and the mapping between rows and the wire record."""

import datetime
import uuid
from typing import Any, Literal

import asyncpg
import msgspec

from portal.declarations.rules import MAX_PERIOD_DAYS
from portal.operators.drivers.repository import FIELD_COLUMNS
from schemas.declarations import Declaration, DeclarationFields
from schemas.drivers import DriverFields

_WIRE = {field.name: field.encode_name for field in msgspec.structs.fields(Declaration)}
# Fields kept in the ``details`` document; the rest of DeclarationFields have columns.
DETAIL_FIELDS = tuple(
    name
    for name in DeclarationFields.__struct_fields__
    if name.startswith(("declaration_operation", "declaration_transport", "other_contact", "driver_email"))
)
DRIVER_FIELDS = DriverFields.__struct_fields__

# Every column a Declaration is read from, in this order (the _row tuple writes them).
COLUMNS = (
    "id, operator_id, driver_id, status, version, posting_country, start_date, end_date, plates_passengers,"
    " plates_light, plates_heavy, details, driver, email_status, submitted_at, updated_at"
)
_PLACEHOLDERS = ", ".join(f"${i}" for i in range(1, 17))
_ASSIGNMENTS = ", ".join(f"{column.strip()} = ${i}" for i, column in enumerate(COLUMNS.split(","), start=1))


# Bulk uploads file in this many partitions at once, split by driver (see portal.bulk.service).
# One on a 2-core machine: PostgreSQL and the checking in Python share the CPU already, and a
# second partition measured no faster while it held twice the batches in memory. Raise it
# where PostgreSQL has cores to spare.
PARTITIONS = 1
# The advisory-lock namespace of "filing for this operator"; the other key is the operator.
_FILING_LOCK = 0x626C6B


async def lock_filing(db: asyncpg.Connection, operator_id: uuid.UUID, *, partition: int | None = None) -> None:
    """The operator's filing locks, until the transaction ends.

    A bulk batch holds its partition's lock alone while it checks overlaps set-based and files
    (partitions never share a driver). A single change shares every partition's lock, taken
    before any row lock, so the two never see each other half-way nor deadlock over rows.
    """
    operator = str(operator_id)
    if partition is not None:
        await db.execute("SELECT pg_advisory_xact_lock($1, hashtext($2))", _FILING_LOCK + partition, operator)
        return
    shared = ", ".join(f"pg_advisory_xact_lock_shared({_FILING_LOCK + p}, hashtext($1))" for p in range(PARTITIONS))
    await db.execute(f"SELECT {shared}", operator)


def driver_snapshot(driver: DriverFields) -> dict[str, Any]:
    """The driver's fields in wire names, as copied into each declaration version."""
    return msgspec.to_builtins({_WIRE[name]: getattr(driver, name) for name in DRIVER_FIELDS})  # type: ignore[no-any-return]


def _row(declaration: Declaration) -> tuple[Any, ...]:
    d = declaration
    details = msgspec.to_builtins({_WIRE[name]: getattr(d, name) for name in DETAIL_FIELDS})
    stored_status = "SUBMITTED" if d.declaration_status == "EXPIRED" else d.declaration_status
    return (
        d.declaration_id,
        d.operator_id,
        d.driver_id,
        stored_status,
        d.declaration_version,
        d.declaration_posting_country,
        d.declaration_start_date,
        d.declaration_end_date,
        d.declaration_vehicle_plate_number,
        d.declaration_vehicle_plate_number_light,
        d.declaration_vehicle_plate_number_heavy,
        details,
        driver_snapshot(d),  # type: ignore[arg-type]  # Declaration carries every driver field
        d.declaration_email_status,
        d.declaration_submission_date,
        d.declaration_last_update,
    )


def effective_status(stored: str, end_date: datetime.date, today: datetime.date) -> str:
    """EXPIRED is a SUBMITTED declaration whose end date has passed, true at every read."""
    return "EXPIRED" if stored == "SUBMITTED" and end_date < today else stored


def to_declaration(row: asyncpg.Record, today: datetime.date) -> Declaration:
    return msgspec.convert(declaration_wire(row, today), Declaration)


def declaration_wire(row: asyncpg.Record, today: datetime.date) -> dict[str, Any]:
    """A row of ``declarations`` (every column of COLUMNS) in the wire names of ``Declaration``."""
    driver = row["driver"]
    return {
        **row["details"],
        **driver,
        "driverLatinFullName": f"{driver['driverLatinFirstName']} {driver['driverLatinLastName']}",
        "declarationId": row["id"],
        "operatorId": row["operator_id"],
        "driverId": row["driver_id"],
        "declarationStatus": effective_status(row["status"], row["end_date"], today),
        "declarationVersion": row["version"],
        "declarationPostingCountry": row["posting_country"],
        "declarationStartDate": row["start_date"],
        "declarationEndDate": row["end_date"],
        "declarationVehiclePlateNumber": row["plates_passengers"],
        "declarationVehiclePlateNumberLight": row["plates_light"],
        "declarationVehiclePlateNumberHeavy": row["plates_heavy"],
        "declarationEmailStatus": row["email_status"],
        "declarationSubmissionDate": row["submitted_at"],
        "declarationLastUpdate": row["updated_at"],
    }


_DRIVER_COLUMNS = ", ".join(column for column in FIELD_COLUMNS.values())
_LOCKS = {"share": "FOR SHARE", "update": "FOR UPDATE"}


async def fetch_context(
    db: asyncpg.Connection,
    operator_id: uuid.UUID,
    driver_id: uuid.UUID,
    plates: list[str],
    lock: Literal["share", "update"],
) -> asyncpg.Record:
    """What a declaration's rules need, in one round trip: its driver, locked (columns all NULL
    when the operator has no such driver), and the register entries of its plates as
    ``register``, a list of [plate, transport type, weight]."""
    row: asyncpg.Record = await db.fetchrow(
        f"""
        WITH driver AS (
            SELECT {_DRIVER_COLUMNS} FROM drivers WHERE id = $1 AND operator_id = $2 {_LOCKS[lock]}
        )
        SELECT driver.*, (
            SELECT coalesce(jsonb_agg(jsonb_build_array(v.plate_number, v.transport_type, v.vehicle_weight)), '[]')
            FROM vehicles v WHERE v.operator_id = $2 AND v.plate_number = ANY($3::text[])
        ) AS register
        FROM (SELECT 1) AS one LEFT JOIN driver ON true
        """,
        driver_id,
        operator_id,
        plates,
    )
    return row


async def insert(db: asyncpg.Connection, declaration: Declaration) -> None:
    await db.execute(f"INSERT INTO declarations ({COLUMNS}) VALUES ({_PLACEHOLDERS})", *_row(declaration))


async def update(db: asyncpg.Connection, declaration: Declaration, stored_end: datetime.date) -> None:
    """Write a new version over the stored one, whose end date ``stored_end`` names its month:
    PostgreSQL then reads one partition, not every month's."""
    await db.execute(
        f"UPDATE declarations SET {_ASSIGNMENTS} WHERE id = $1 AND end_date = $17", *_row(declaration), stored_end
    )


async def delete(db: asyncpg.Connection, declaration_id: uuid.UUID) -> None:
    """Delete a draft, and its bulk reference: sending its record again files it anew."""
    await db.execute(
        "WITH gone AS (DELETE FROM declarations WHERE id = $1 RETURNING operator_id, client_reference)"
        " DELETE FROM declaration_references r USING gone"
        " WHERE r.operator_id = gone.operator_id AND r.client_reference = gone.client_reference",
        declaration_id,
    )


async def fetch(
    db: asyncpg.Connection, declaration_id: uuid.UUID, operator_id: uuid.UUID, *, for_update: bool = False
) -> asyncpg.Record | None:
    lock = " FOR UPDATE" if for_update else ""
    row: asyncpg.Record | None = await db.fetchrow(
        f"SELECT {COLUMNS} FROM declarations WHERE id = $1 AND operator_id = $2{lock}",
        declaration_id,
        operator_id,
    )
    return row


async def fetch_current_of_driver(
    db: asyncpg.Connection, driver_id: uuid.UUID, operator_id: uuid.UUID, today: datetime.date
) -> list[asyncpg.Record]:
    """Drafts and not-yet-expired submitted declarations of a driver, locked (in id order) for a new version."""
    rows: list[asyncpg.Record] = await db.fetch(
        f"SELECT {COLUMNS} FROM declarations WHERE driver_id = $1 AND operator_id = $2"
        " AND (status = 'DRAFT' OR (status = 'SUBMITTED' AND end_date >= $3)) ORDER BY id FOR UPDATE",
        driver_id,
        operator_id,
        today,
    )
    return rows


async def find_overlap(
    db: asyncpg.Connection,
    driver_id: uuid.UUID,
    posting_country: str,
    start: datetime.date,
    end: datetime.date,
    other_than: uuid.UUID,
) -> uuid.UUID | None:
    found: uuid.UUID | None = await db.fetchval(
        "SELECT id FROM declarations WHERE driver_id = $1 AND posting_country = $2 AND status = 'SUBMITTED'"
        # The last condition is implied by the six-month limit and skips the months that cannot overlap.
        " AND start_date <= $4 AND end_date >= $3 AND id <> $5"
        f" AND end_date <= $4::date + {MAX_PERIOD_DAYS} ORDER BY id LIMIT 1",
        driver_id,
        posting_country,
        start,
        end,
        other_than,
    )
    return found


async def record_version(
    db: asyncpg.Connection, declaration: Declaration, event_type: str, stored_end: datetime.date
) -> None:
    """Write a new version and its event in one statement: one round trip, one outcome.

    ``stored_end`` is the end date stored so far (it names the row's partition, see update)."""
    # $1 id, $5 version, $6 posting country, $8 end date: see COLUMNS.
    await db.execute(
        f"WITH version AS (UPDATE declarations SET {_ASSIGNMENTS} WHERE id = $1 AND end_date = $19)"
        " INSERT INTO declaration_events (declaration_id, version, event_type, posting_country, end_date, payload)"
        " VALUES ($1, $5, $17, $6, $8, $18)",
        *_row(declaration),
        event_type,
        msgspec.to_builtins(declaration),
        stored_end,
    )


class DeclarationFilter(msgspec.Struct, frozen=True, kw_only=True):
    posting_country: str | None = None
    status: str | None = None
    driver_id: uuid.UUID | None = None
    end_date_from: datetime.date | None = None
    end_date_to: datetime.date | None = None


_STATUS_CONDITIONS = {
    "DRAFT": "status = 'DRAFT'",
    "WITHDRAWN": "status = 'WITHDRAWN'",
    "SUBMITTED": "status = 'SUBMITTED' AND end_date >= {today}",
    "EXPIRED": "status = 'SUBMITTED' AND end_date < {today}",
}
STATUSES = tuple(_STATUS_CONDITIONS)


async def page(
    db: asyncpg.Connection,
    operator_id: uuid.UUID,
    today: datetime.date,
    after: uuid.UUID | None,
    limit: int,
    where: DeclarationFilter,
) -> list[asyncpg.Record]:
    arguments: list[Any] = [operator_id, limit + 1]

    def parameter(value: Any) -> str:
        arguments.append(value)
        return f"${len(arguments)}"

    conditions = ["operator_id = $1"]
    for column, operator, value in (
        ("id", ">", after),
        ("posting_country", "=", where.posting_country),
        ("driver_id", "=", where.driver_id),
        ("end_date", ">=", where.end_date_from),
        ("end_date", "<=", where.end_date_to),
    ):
        if value is not None:
            conditions.append(f"{column} {operator} {parameter(value)}")
    if where.status:
        condition = _STATUS_CONDITIONS[where.status]
        conditions.append(condition.format(today=parameter(today)) if "{today}" in condition else condition)
    sql = (
        "SELECT id, driver_id, driver, status, posting_country, start_date, end_date, updated_at"
        f" FROM declarations WHERE {' AND '.join(conditions)} ORDER BY id LIMIT $2"
    )
    rows: list[asyncpg.Record] = await db.fetch(sql, *arguments)
    return rows
