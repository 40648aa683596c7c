"""SQL for drivers. Columns are the wire names without their ``driver_`` prefix."""

import datetime
import uuid
from typing import Any

import asyncpg
import msgspec

from schemas.drivers import DriverFields

FIELD_COLUMNS = {name: name.removeprefix("driver_") for name in DriverFields.__struct_fields__}
_COLUMNS = ", ".join(FIELD_COLUMNS.values())
# $1 is the driver id and $2 the operator id; the fields follow.
_PLACEHOLDERS = ", ".join(f"${i}" for i in range(3, 3 + len(FIELD_COLUMNS)))
_ASSIGNMENTS = ", ".join(f"{column} = ${i}" for i, column in enumerate(FIELD_COLUMNS.values(), start=3))

# Declarations are counted at read time: "active" depends on today's date.
_SELECT = f"""
    SELECT d.id, d.operator_id, d.updated_at, {_COLUMNS},
           EXISTS (SELECT 1 FROM declarations x WHERE x.driver_id = d.id) AS has_declarations,
           (SELECT count(*) FROM declarations x
             WHERE x.driver_id = d.id AND x.status = 'SUBMITTED' AND x.end_date >= $2) AS active_declarations
    FROM drivers d
"""


def _values(fields: DriverFields) -> list[Any]:
    return [getattr(fields, name) for name in FIELD_COLUMNS]


async def insert(db: asyncpg.Connection, driver_id: uuid.UUID, operator_id: uuid.UUID, fields: DriverFields) -> None:
    await db.execute(
        f"INSERT INTO drivers (id, operator_id, updated_at, {_COLUMNS}) VALUES ($1, $2, now(), {_PLACEHOLDERS})",
        driver_id,
        operator_id,
        *_values(fields),
    )


async def update(db: asyncpg.Connection, driver_id: uuid.UUID, operator_id: uuid.UUID, fields: DriverFields) -> bool:
    status = await db.execute(
        f"UPDATE drivers SET updated_at = now(), {_ASSIGNMENTS} WHERE id = $1 AND operator_id = $2",
        driver_id,
        operator_id,
        *_values(fields),
    )
    return bool(status == "UPDATE 1")


async def delete(db: asyncpg.Connection, driver_id: uuid.UUID, operator_id: uuid.UUID) -> bool:
    status = await db.execute("DELETE FROM drivers WHERE id = $1 AND operator_id = $2", driver_id, operator_id)
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
