"""Drivers: the rules of their fields, and what a change means for their declarations."""

import datetime
import uuid
from typing import Protocol

import asyncpg

from portal import clock
from portal.declarations import lifecycle
from portal.errors import Conflict, NotFound, Unprocessable
from portal.ids import new_id
from portal.operators.auth import OperatorPrincipal
from portal.operators.drivers import repository
from schemas.drivers import Driver, DriverFields
from schemas.errors import FieldError

EARLIEST_BIRTH = datetime.date(1900, 1, 1)
ADULT_YEARS = 18


class DriverDates(Protocol):
    driver_date_of_birth: datetime.date
    driver_contract_start_date: datetime.date


def check(fields: DriverDates, today: datetime.date) -> list[FieldError]:
    errors = []
    born = fields.driver_date_of_birth
    if born < EARLIEST_BIRTH:
        errors.append(FieldError(field="driverDateOfBirth", message="must not be before 1900-01-01"))
    elif clock.years_between(born, today) < ADULT_YEARS:
        # No one under 18 drives on a posting; this also catches a mistyped year early.
        errors.append(FieldError(field="driverDateOfBirth", message="the driver must be at least 18 years old"))
    if fields.driver_contract_start_date < EARLIEST_BIRTH:
        errors.append(FieldError(field="driverContractStartDate", message="must not be before 1900-01-01"))
    return errors


def to_driver(row: asyncpg.Record) -> Driver:
    values = {name: row[column] for name, column in repository.FIELD_COLUMNS.items()}
    return Driver(
        **values,
        driver_id=row["id"],
        driver_operator_id=row["operator_id"],
        driver_full_name=f"{row['latin_first_name']} {row['latin_last_name']}",
        driver_has_declarations=row["has_declarations"],
        driver_count_active_declarations=row["active_declarations"],
        driver_last_update=row["updated_at"],
    )


async def read(db: asyncpg.Connection, operator: OperatorPrincipal, driver_id: uuid.UUID) -> Driver:
    row = await repository.fetch(db, driver_id, operator.operator_id, clock.today())
    if row is None:
        raise NotFound("no such driver")
    return to_driver(row)


async def create(db: asyncpg.Connection, operator: OperatorPrincipal, fields: DriverFields) -> Driver:
    if errors := check(fields, clock.today()):
        raise Unprocessable(errors)
    driver_id = new_id()
    try:
        async with db.transaction():
            await repository.insert(db, driver_id, operator.operator_id, fields)
    except asyncpg.UniqueViolationError:
        raise Conflict("a driver with this licence number and date of birth exists already") from None
    return await read(db, operator, driver_id)


async def replace(
    db: asyncpg.Connection, operator: OperatorPrincipal, driver_id: uuid.UUID, fields: DriverFields
) -> Driver:
    if errors := check(fields, clock.today()):
        raise Unprocessable(errors)
    declarations = await lifecycle.lock_current_of_driver(db, operator, driver_id)
    try:
        async with db.transaction():
            if not await repository.update(db, driver_id, operator.operator_id, fields):
                raise NotFound("no such driver")
    except asyncpg.UniqueViolationError:
        raise Conflict("another driver has this licence number and date of birth") from None
    await lifecycle.follow_driver_change(db, declarations, fields)
    return await read(db, operator, driver_id)


async def delete(db: asyncpg.Connection, operator: OperatorPrincipal, driver_id: uuid.UUID) -> None:
    driver = await read(db, operator, driver_id)
    in_use = Conflict("the driver has declarations and cannot be deleted")
    if driver.driver_has_declarations:
        raise in_use
    try:
        async with db.transaction():
            await repository.delete(db, driver_id, operator.operator_id)
    except asyncpg.ForeignKeyViolationError:
        raise in_use from None  # a declaration was filed for the driver meanwhile


async def page(
    db: asyncpg.Connection,
    operator: OperatorPrincipal,
    after: uuid.UUID | None,
    limit: int,
    where: repository.DriverFilter,
) -> tuple[list[Driver], list[uuid.UUID]]:
    rows = await repository.page(db, operator.operator_id, clock.today(), after, limit, where)
    return [to_driver(row) for row in rows[:limit]], [row["id"] for row in rows]
