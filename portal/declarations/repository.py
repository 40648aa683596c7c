"""SQL for declarations and their events. Rows are ``storage.StoredDeclaration`` by column name.

Every statement that changes a declaration is one round trip: the request's transaction costs
BEGIN, a read that locks what the rules need, one write, COMMIT.
"""

import datetime
import uuid
from typing import Any

import asyncpg
import msgspec

from portal.db import Transaction
from portal.declarations.storage import COLUMNS, EventType, StoredDeclaration, from_document
from portal.operators.drivers.storage import DRIVER_COLUMNS, StoredDriver
from portal.operators.repository import filing_lock
from portal.operators.vehicles.register import RegisteredVehicle

# The most days six calendar months can span: two declarations that overlap end at most this
# far apart, which lets an overlap check read only the end dates that can overlap.
MAX_PERIOD_DAYS = 184

# The overlap rule (domain.md, rule 5), the one SQL predicate of every path that checks it: a
# SUBMITTED declaration ``{d}`` of the same driver and host country whose period overlaps that
# of ``{c}``. Its last condition is implied by the six-month limit and bounds the index range.
OVERLAP = (
    "{d}.driver_id = {c}.driver_id AND {d}.posting_country = {c}.posting_country AND {d}.status = 'SUBMITTED'"
    " AND {d}.start_date <= {c}.end_date AND {d}.end_date >= {c}.start_date"
    f" AND {{d}}.end_date <= {{c}}.end_date + {MAX_PERIOD_DAYS}"
)


def overlap(d: str, c: str) -> str:
    """The overlap predicate between the declaration ``d`` and the candidate ``c`` (SQL names)."""
    return OVERLAP.format(d=d, c=c)


_ROW = ", ".join(f"d.{column}" for column in COLUMNS)
_DRIVER = ", ".join(f"v.{column}" for column in DRIVER_COLUMNS)
_N = len(COLUMNS)
_PLACEHOLDERS = ", ".join(f"${i}" for i in range(1, _N + 1))
_ASSIGNMENTS = ", ".join(f"{column} = ${i}" for i, column in enumerate(COLUMNS, start=1))
# A declaration with the driver version it shows.
_WITH_DRIVER = (
    f"SELECT {_ROW}, {_DRIVER} FROM declarations d"
    " JOIN driver_versions v ON v.driver_id = d.driver_id AND v.version = d.driver_version"
)
# The register entries of a list of plates, as [plate, transport type, weight] triples: one index
# probe a plate (LATERAL ... LIMIT 1). Every statement is planned once per connection, and a plan
# that trusted lagging statistics could read the operator's whole register instead.
_REGISTER = """(
    SELECT coalesce(jsonb_agg(jsonb_build_array(r.plate_number, r.transport_type, r.vehicle_weight)), '[]')
    FROM unnest({plates}) AS p(plate)
    CROSS JOIN LATERAL (
        SELECT * FROM vehicles r WHERE r.operator_id = {operator} AND r.plate_number = p.plate LIMIT 1
    ) AS r
) AS register"""


def row_of(record: asyncpg.Record) -> StoredDeclaration:
    """The declaration of a row selected with its columns first, in COLUMNS order."""
    return StoredDeclaration(*record[:_N])


def driver_of(record: asyncpg.Record, start: int = _N) -> StoredDriver:
    """The driver of a row whose driver_versions columns follow from ``start``, in DRIVER_COLUMNS order."""
    return StoredDriver(*record[start : start + len(DRIVER_COLUMNS)])


def register_of(record: asyncpg.Record) -> dict[str, RegisteredVehicle]:
    return {plate: RegisteredVehicle(kind, weight) for plate, kind, weight in record["register"]}


class Context(msgspec.Struct, frozen=True):
    """What the rules need beyond the declaration: its driver as they are now (None when the
    operator has no such driver) and the register entries of the plates it names."""

    driver: StoredDriver | None
    driver_version: int
    register: dict[str, RegisteredVehicle]


async def fetch_context(db: Transaction, operator_id: uuid.UUID, driver_id: uuid.UUID, plates: list[str]) -> Context:
    """The driver (locked against a change while the draft is written) and the register entries
    of ``plates``, in one round trip."""
    record = await db.fetchrow(
        f"""
        WITH driver AS (
            SELECT v.version, {_DRIVER} FROM drivers r
            JOIN driver_versions v ON v.driver_id = r.id AND v.version = r.version
            WHERE r.id = $1 AND r.operator_id = $2 FOR SHARE OF r
        )
        SELECT driver.*, {_REGISTER.format(operator="$2", plates="$3::text[]")}
        FROM (SELECT 1) AS one LEFT JOIN driver ON true
        """,
        driver_id,
        operator_id,
        plates,
    )
    assert record is not None
    if record["version"] is None:
        return Context(None, 0, register_of(record))
    return Context(driver_of(record, 1), record["version"], register_of(record))


class Locked(msgspec.Struct, frozen=True):
    """A declaration locked for its next version, with what its rules need."""

    declaration: StoredDeclaration
    context: Context


async def lock_for_change(
    db: Transaction, operator_id: uuid.UUID, declaration_id: uuid.UUID, plates: list[str]
) -> Locked | None:
    """Lock the declaration and its driver for a new version, in one round trip: first the
    operator's shared filing locks (see ``filing_lock``), then the declaration, then the driver;
    read the driver as they are now and the register entries of its plates and of ``plates``.

    The scan's key comes from the CTE that takes the filing locks, which so are held before the
    scan, and so before any row lock, can begin."""
    record = await db.fetchrow(
        f"""
        WITH filing AS MATERIALIZED ({filing_lock("$2::uuid")})
        SELECT {_ROW}, r.version AS current_driver_version, {_DRIVER},
               {
            _REGISTER.format(
                operator="d.operator_id", plates="d.plates_passengers || d.plates_light || d.plates_heavy || $3::text[]"
            )
        }
        FROM declarations d
        JOIN drivers r ON r.id = d.driver_id
        JOIN driver_versions v ON v.driver_id = r.id AND v.version = r.version
        WHERE d.id = (SELECT $1::uuid FROM filing) AND d.operator_id = $2
        FOR UPDATE OF d, r
        """,
        declaration_id,
        operator_id,
        plates,
    )
    if record is None:
        return None
    context = Context(driver_of(record, _N + 1), record["current_driver_version"], register_of(record))
    return Locked(row_of(record), context)


async def fetch(db: asyncpg.Connection, declaration_id: uuid.UUID, operator_id: uuid.UUID) -> asyncpg.Record | None:
    """A declaration of the operator with the driver it shows (see row_of and driver_of)."""
    record: asyncpg.Record | None = await db.fetchrow(
        f"{_WITH_DRIVER} WHERE d.id = $1 AND d.operator_id = $2", declaration_id, operator_id
    )
    return record


async def fetch_driver_version(db: asyncpg.Connection, driver_id: uuid.UUID, version: int) -> StoredDriver:
    record = await db.fetchrow(
        f"SELECT {_DRIVER} FROM driver_versions v WHERE v.driver_id = $1 AND v.version = $2", driver_id, version
    )
    assert record is not None  # a declaration's driver version is kept as long as the declaration
    return driver_of(record, 0)


async def insert(db: Transaction, declaration: StoredDeclaration) -> None:
    await db.execute(
        f"INSERT INTO declarations ({', '.join(COLUMNS)}) VALUES ({_PLACEHOLDERS})",
        *msgspec.structs.astuple(declaration),
    )


async def replace_draft(db: Transaction, declaration: StoredDeclaration) -> None:
    await db.execute(f"UPDATE declarations SET {_ASSIGNMENTS} WHERE id = $1", *msgspec.structs.astuple(declaration))


async def delete_draft(db: Transaction, declaration_id: uuid.UUID) -> None:
    await db.execute("DELETE FROM declarations WHERE id = $1 AND status = 'DRAFT'", declaration_id)


# The statement of a new version: the stored version, if it was submitted, is kept as a
# document on its event; the row becomes the new version; the new version's event is written.
# ``{refuse}`` is a condition under which nothing is written (an overlap).
_RECORD_VERSION = f"""
WITH refused AS MATERIALIZED ({{refused}}),
old AS (
    SELECT d.* FROM declarations d WHERE d.id = $1 AND NOT EXISTS (SELECT 1 FROM refused)
), kept AS (
    UPDATE declaration_events e SET superseded = to_jsonb(old)
    FROM old WHERE e.declaration_id = old.id AND e.version = old.version AND old.status <> 'DRAFT'
), written AS (
    UPDATE declarations d SET {_ASSIGNMENTS} FROM old WHERE d.id = old.id RETURNING d.id
), recorded AS (
    INSERT INTO declaration_events (declaration_id, version, event_type, recorded_at)
    SELECT id, ${_N + 1}, ${_N + 2}, ${_N + 3} FROM written
)
SELECT (SELECT id FROM refused) AS refused_by
"""


def _parameter(column: str) -> str:
    """The placeholder of ``column`` in a statement that takes a row's columns as $1, $2, ..."""
    return f"${COLUMNS.index(column) + 1}"


_OVERLAPPING = (
    f"SELECT d.id FROM declarations d, (SELECT {_parameter('driver_id')}::uuid AS driver_id,"
    f" {_parameter('posting_country')}::text AS posting_country, {_parameter('start_date')}::date AS start_date,"
    f" {_parameter('end_date')}::date AS end_date) c"
    f" WHERE {overlap('d', 'c')} AND d.id <> {_parameter('id')} ORDER BY d.id LIMIT 1"
)
_NOTHING = "SELECT NULL::uuid AS id WHERE false"


async def record_version(
    db: Transaction, declaration: StoredDeclaration, event: EventType, *, check_overlap: bool
) -> uuid.UUID | None:
    """Store ``declaration`` as the version after the stored one, with its event, in one round
    trip; with ``check_overlap``, write nothing and return the overlapping declaration's id if
    there is one. The declaration and its driver must be locked (``lock_for_change``)."""
    sql = _RECORD_VERSION.format(refused=_OVERLAPPING if check_overlap else _NOTHING)
    refused_by: uuid.UUID | None = await db.fetchval(
        sql, *msgspec.structs.astuple(declaration), declaration.version, event, declaration.updated_at
    )
    return refused_by


async def lock_current_of_driver(db: Transaction, operator_id: uuid.UUID, driver_id: uuid.UUID) -> None:
    """Lock what a change of the driver touches, in the order every path locks: the operator's
    shared filing locks, then the driver's drafts and submitted declarations (in id order); the
    change of the driver's row locks it next."""
    await db.execute(
        f"""
        WITH filing AS MATERIALIZED ({filing_lock("$2::uuid")})
        SELECT d.id FROM declarations d
        WHERE d.driver_id = (SELECT $1::uuid FROM filing) AND d.operator_id = $2 AND d.status <> 'WITHDRAWN'
        ORDER BY d.id FOR UPDATE
        """,
        driver_id,
        operator_id,
    )


async def follow_drivers(
    db: Transaction, driver_ids: list[uuid.UUID], now: datetime.datetime, today: datetime.date
) -> int:
    """Each draft and current submitted declaration of ``driver_ids`` becomes a new version
    showing its driver's current version; submitted ones keep the version they leave as a
    document and record an UPDATED event. One statement for any number of drivers (what they
    touch must be locked); returns how many declarations changed."""
    changed: int = await db.fetchval(
        """
        WITH old AS (
            SELECT d.*, r.version AS new_driver_version
            FROM unnest($1::uuid[]) AS k(driver_id)
            JOIN drivers r ON r.id = k.driver_id
            -- LATERAL: an index probe for each driver, whatever the statistics say.
            CROSS JOIN LATERAL (
                SELECT * FROM declarations d WHERE d.driver_id = k.driver_id AND d.driver_version <> r.version
                  AND (d.status = 'DRAFT' OR (d.status = 'SUBMITTED' AND d.end_date >= $3))
            ) AS d
        ), kept AS (
            UPDATE declaration_events e SET superseded = to_jsonb(old) - 'new_driver_version'
            FROM old WHERE e.declaration_id = old.id AND e.version = old.version AND old.status <> 'DRAFT'
        ), written AS (
            UPDATE declarations d SET version = old.version + 1, driver_version = old.new_driver_version,
                updated_at = $2
            FROM old WHERE d.id = old.id
            RETURNING d.id, d.version, d.status
        ), recorded AS (
            INSERT INTO declaration_events (declaration_id, version, event_type, recorded_at)
            SELECT id, version, 'UPDATED', $2 FROM written WHERE status = 'SUBMITTED'
        )
        SELECT count(*) FROM written
        """,
        driver_ids,
        now,
        today,
    )
    return changed


class DeclarationFilter(msgspec.Struct, frozen=True, kw_only=True):
    posting_country: str | None = None
    status: str | None = None
    driver_id: uuid.UUID | None = None
    end_date_from: datetime.date | None = None
    end_date_to: datetime.date | None = None


_STATUS_CONDITIONS = {
    "DRAFT": "d.status = 'DRAFT'",
    "WITHDRAWN": "d.status = 'WITHDRAWN'",
    "SUBMITTED": "d.status = 'SUBMITTED' AND d.end_date >= {today}",
    "EXPIRED": "d.status = 'SUBMITTED' AND d.end_date < {today}",
}
STATUSES = tuple(_STATUS_CONDITIONS)


def _conditions(where: DeclarationFilter, after: uuid.UUID | None, today: datetime.date, arguments: list[Any]) -> str:
    """The WHERE of the operator's declarations (``$1``) that ``where`` selects, its values
    appended to ``arguments``."""

    def parameter(value: Any) -> str:
        arguments.append(value)
        return f"${len(arguments)}"

    conditions = ["d.operator_id = $1"]
    for column, operator, value in (
        ("d.id", ">", after),
        ("d.posting_country", "=", where.posting_country),
        ("d.driver_id", "=", where.driver_id),
        ("d.end_date", ">=", where.end_date_from),
        ("d.end_date", "<=", where.end_date_to),
    ):
        if value is not None:
            conditions.append(f"{column} {operator} {parameter(value)}")
    if where.status:
        condition = _STATUS_CONDITIONS[where.status]
        conditions.append(condition.format(today=parameter(today)) if "{today}" in condition else condition)
    return " AND ".join(conditions)


async def page(
    db: asyncpg.Connection,
    operator_id: uuid.UUID,
    today: datetime.date,
    after: uuid.UUID | None,
    limit: int,
    where: DeclarationFilter,
) -> list[asyncpg.Record]:
    """A page of the operator's declarations in id order, with their driver's name."""
    arguments: list[Any] = [operator_id, limit + 1]
    sql = (
        "SELECT d.id, d.driver_id, v.latin_first_name, v.latin_last_name, d.status, d.posting_country,"
        " d.start_date, d.end_date, d.updated_at FROM declarations d"
        " JOIN driver_versions v ON v.driver_id = d.driver_id AND v.version = d.driver_version"
        f" WHERE {_conditions(where, after, today, arguments)} ORDER BY d.id LIMIT $2"
    )
    rows: list[asyncpg.Record] = await db.fetch(sql, *arguments)
    return rows


async def printed_versions(
    db: asyncpg.Connection, operator_id: uuid.UUID, today: datetime.date, where: DeclarationFilter, limit: int
) -> dict[uuid.UUID, int]:
    """The current version of up to ``limit`` of the declarations ``where`` selects that have a
    PDF (drafts have none), in id order."""
    arguments: list[Any] = [operator_id, limit]
    sql = (
        "SELECT d.id, d.version FROM declarations d"
        f" WHERE {_conditions(where, None, today, arguments)} AND d.status <> 'DRAFT' ORDER BY d.id LIMIT $2"
    )
    return {row[0]: row[1] for row in await db.fetch(sql, *arguments)}


async def fetch_version(db: asyncpg.Connection, declaration_id: uuid.UUID, version: int) -> StoredDeclaration | None:
    """A recorded version of a declaration: the row while it is the current one, else the
    document its event kept when a later version replaced it (read leniently)."""
    record = await db.fetchrow(
        f"""
        SELECT {_ROW}, e.superseded FROM (SELECT 1) AS one
        LEFT JOIN declarations d ON d.id = $1 AND d.version = $2
        LEFT JOIN declaration_events e ON d.id IS NULL AND e.declaration_id = $1 AND e.version = $2
        """,
        declaration_id,
        version,
    )
    assert record is not None
    if record["id"] is not None:
        return row_of(record)
    if record["superseded"] is not None:
        return from_document(record["superseded"])
    return None


async def fetch_versions(
    db: asyncpg.Connection, keys: list[tuple[uuid.UUID, int]]
) -> dict[tuple[uuid.UUID, int], tuple[StoredDeclaration, StoredDriver]]:
    """Recorded versions (as ``fetch_version``) with the driver each shows, in one round trip;
    versions no longer kept (retention) are missing from the answer."""
    records = await db.fetch(
        f"""
        SELECT {_ROW}, {_DRIVER}, e.superseded FROM unnest($1::uuid[], $2::int[]) AS k(id, version)
        LEFT JOIN declarations d ON d.id = k.id AND d.version = k.version
        LEFT JOIN declaration_events e ON d.id IS NULL AND e.declaration_id = k.id AND e.version = k.version
        JOIN driver_versions v ON v.driver_id = coalesce(d.driver_id, (e.superseded->>'driver_id')::uuid)
             AND v.version = coalesce(d.driver_version, (e.superseded->>'driver_version')::int)
        """,
        [key[0] for key in keys],
        [key[1] for key in keys],
    )
    found = {}
    for record in records:
        row = row_of(record) if record["id"] is not None else from_document(record["superseded"])
        found[row.id, row.version] = (row, driver_of(record))
    return found
