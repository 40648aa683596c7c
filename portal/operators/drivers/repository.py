"""SQL for drivers and their versions. Columns are those of ``storage.StoredDriver``, by name."""

import datetime
import uuid
from typing import Any

import asyncpg
import msgspec

from portal.db import Transaction
from portal.operators.drivers.storage import DRIVER_COLUMNS, StoredDriver
from portal.operators.repository import filing_lock

_COLUMNS = ", ".join(DRIVER_COLUMNS)
_N = len(DRIVER_COLUMNS)
# $1 is the driver id, $2 the operator id, $3 the time; the details follow.
_DETAILS = ", ".join(f"${i}" for i in range(4, 4 + _N))

# Declarations are counted at read time: "active" depends on today's date.
_SELECT = f"""
    SELECT {", ".join(f"d.{column}" for column in DRIVER_COLUMNS)}, d.id, d.operator_id, d.updated_at, d.language,
           EXISTS (SELECT 1 FROM declarations x WHERE x.driver_id = d.id) AS has_declarations,
           (SELECT count(*) FROM declarations x
             WHERE x.driver_id = d.id AND x.status = 'SUBMITTED' AND x.end_date >= $2) AS active_declarations
    FROM drivers d
"""


def details_of(record: asyncpg.Record) -> StoredDriver:
    """The details of a row selected with the driver's columns first (see _SELECT)."""
    return StoredDriver(*record[:_N])


async def insert(
    db: Transaction,
    driver_id: uuid.UUID,
    operator_id: uuid.UUID,
    driver: StoredDriver,
    now: datetime.datetime,
    language: str | None = None,
) -> None:
    """A new driver and their first version; UniqueViolationError for a licence and birth date taken."""
    await db.execute(
        f"""
        WITH driver AS (
            INSERT INTO drivers (id, operator_id, updated_at, version, {_COLUMNS}, language)
            VALUES ($1, $2, $3, 1, {_DETAILS}, ${4 + _N})
        )
        INSERT INTO driver_versions (driver_id, version, {_COLUMNS}) VALUES ($1, 1, {_DETAILS})
        """,
        driver_id,
        operator_id,
        now,
        *msgspec.structs.astuple(driver),
        language,
    )


async def set_language(db: Transaction, driver_id: uuid.UUID, language: str | None) -> None:
    """The driver's language: a preference, not a declared detail, so no new version."""
    await db.execute(
        "UPDATE drivers SET language = $2 WHERE id = $1 AND language IS DISTINCT FROM $2", driver_id, language
    )


async def update(
    db: Transaction, driver_id: uuid.UUID, operator_id: uuid.UUID, driver: StoredDriver, now: datetime.datetime
) -> int | None:
    """Replace the driver's details; a change is a new version. Return the driver's version now,
    or None when the operator has no such driver."""
    version: int | None = await db.fetchval(
        f"""
        WITH current AS (
            SELECT id, version, ({_COLUMNS}) IS DISTINCT FROM ({_DETAILS}) AS changed FROM drivers
            WHERE id = $1 AND operator_id = $2 FOR UPDATE
        ), changed AS (
            UPDATE drivers d SET ({_COLUMNS}) = ({_DETAILS}), version = c.version + 1, updated_at = $3
            FROM current c WHERE d.id = c.id AND c.changed
            RETURNING d.version
        ), kept AS (
            INSERT INTO driver_versions (driver_id, version, {_COLUMNS})
            SELECT $1, version, {_DETAILS} FROM changed
        )
        SELECT coalesce((SELECT version FROM changed), (SELECT version FROM current))
        """,
        driver_id,
        operator_id,
        now,
        *msgspec.structs.astuple(driver),
    )
    return version


async def lock(db: Transaction, driver_id: uuid.UUID, operator_id: uuid.UUID) -> bool:
    """Lock the driver against every filing for them: the operator's filing locks (bulk filing),
    then the driver's row (which a single filing locks first); False when there is none such."""
    locked = await db.fetchval(
        f"""
        WITH filing AS MATERIALIZED ({filing_lock("$2::uuid")})
        SELECT true FROM drivers WHERE id = (SELECT $1::uuid FROM filing) AND operator_id = $2 FOR UPDATE
        """,
        driver_id,
        operator_id,
    )
    return bool(locked)


async def delete_unless_declared(db: Transaction, driver_id: uuid.UUID) -> bool:
    """Delete a driver (locked, see lock) and their versions unless a declaration names them;
    False when one does. Declarations hold no foreign key: this statement, which sees every
    filing that held the driver before the lock was granted, keeps them whole."""
    status = await db.execute(
        "DELETE FROM drivers d WHERE d.id = $1 AND NOT EXISTS (SELECT 1 FROM declarations x WHERE x.driver_id = d.id)",
        driver_id,
    )
    return bool(status == "DELETE 1")


async def fetch(
    db: asyncpg.Connection, driver_id: uuid.UUID, operator_id: uuid.UUID, today: datetime.date
) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await db.fetchrow(
        _SELECT + " WHERE d.id = $1 AND d.operator_id = $3", driver_id, today, operator_id
    )
    return row


class DriverFilter(msgspec.Struct, frozen=True, kw_only=True):
    term: str | None = None
    by_last_name: bool = False
    date_of_birth: datetime.date | None = None
    with_active_declarations: bool = False


async def page(
    db: asyncpg.Connection,
    operator_id: uuid.UUID,
    today: datetime.date,
    after: uuid.UUID | None,
    limit: int,
    where: DriverFilter,
) -> list[asyncpg.Record]:
    conditions = ["d.operator_id = $1", "($3::uuid IS NULL OR d.id > $3)"]
    arguments: list[Any] = [operator_id, today, after, limit + 1]
    if where.term:
        arguments.append("%" + where.term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
        name = "d.latin_last_name" if where.by_last_name else "(d.latin_first_name || ' ' || d.latin_last_name)"
        conditions.append(f"{name} ILIKE ${len(arguments)}")
    if where.date_of_birth:
        arguments.append(where.date_of_birth)
        conditions.append(f"d.date_of_birth = ${len(arguments)}")
    if where.with_active_declarations:
        conditions.append(
            "EXISTS (SELECT 1 FROM declarations x"
            " WHERE x.driver_id = d.id AND x.status = 'SUBMITTED' AND x.end_date >= $2)"
        )
    sql = f"{_SELECT} WHERE {' AND '.join(conditions)} ORDER BY d.id LIMIT $4"
    rows: list[asyncpg.Record] = await db.fetch(sql, *arguments)
    return rows
