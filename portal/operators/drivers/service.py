"""Drivers: create, read, replace, delete, list.

A driver's declarations show the driver as they were at each version, so a change of a driver
concerns them: what depends on drivers is told before and after each change (``Dependents``),
without this package knowing what it is (the declarations, wired in by the application).
"""

import abc
import uuid

import asyncpg

from portal import clock
from portal.db import Transaction
from portal.errors import Conflict, NotFound, Unprocessable
from portal.identity.auth import OperatorPrincipal
from portal.ids import new_id
from portal.operators.drivers import repository, rules
from portal.operators.drivers.storage import driver_of, stored_driver
from schemas.drivers import Driver, DriverFields


class Dependents(abc.ABC):
    """What follows a driver's details: locked before a change, told after it."""

    @abc.abstractmethod
    async def before_change(self, db: Transaction, operator: OperatorPrincipal, driver_id: uuid.UUID) -> None: ...

    @abc.abstractmethod
    async def after_change(self, db: Transaction, operator: OperatorPrincipal, driver_id: uuid.UUID) -> None: ...


def _driver(row: asyncpg.Record) -> Driver:
    return driver_of(
        row["id"],
        row["operator_id"],
        repository.details_of(row),
        updated_at=row["updated_at"],
        has_declarations=row["has_declarations"],
        active_declarations=row["active_declarations"],
        language=row["language"],
    )


async def read(db: asyncpg.Connection, operator: OperatorPrincipal, driver_id: uuid.UUID) -> Driver:
    row = await repository.fetch(db, driver_id, operator.operator_id, clock.today())
    if row is None:
        raise NotFound.of("", "not_found", kind="driver")
    return _driver(row)


async def create(db: Transaction, operator: OperatorPrincipal, fields: DriverFields) -> Driver:
    if errors := rules.check(fields, clock.today()):
        raise Unprocessable(errors)
    driver_id, details, now = new_id(), stored_driver(fields), clock.now()
    try:
        await repository.insert(db, driver_id, operator.operator_id, details, now, fields.driver_language)
    except asyncpg.UniqueViolationError:
        raise Conflict.of("driverLicenseNumber", "duplicate_driver") from None
    return driver_of(
        driver_id,
        operator.operator_id,
        details,
        updated_at=now,
        has_declarations=False,
        active_declarations=0,
        language=fields.driver_language,
    )


async def replace(
    db: Transaction, operator: OperatorPrincipal, driver_id: uuid.UUID, fields: DriverFields, dependents: Dependents
) -> Driver:
    """Replace the driver's details; each draft and current declaration of theirs follows."""
    if errors := rules.check(fields, clock.today()):
        raise Unprocessable(errors)
    await dependents.before_change(db, operator, driver_id)
    try:
        version = await repository.update(db, driver_id, operator.operator_id, stored_driver(fields), clock.now())
    except asyncpg.UniqueViolationError:
        raise Conflict.of("driverLicenseNumber", "duplicate_driver") from None
    if version is None:
        raise NotFound.of("", "not_found", kind="driver")
    await repository.set_language(db, driver_id, fields.driver_language)
    await dependents.after_change(db, operator, driver_id)
    return await read(db, operator, driver_id)


async def delete(db: Transaction, operator: OperatorPrincipal, driver_id: uuid.UUID) -> None:
    """Delete a driver that no declaration names (409 otherwise)."""
    if not await repository.lock(db, driver_id, operator.operator_id):
        raise NotFound.of("", "not_found", kind="driver")
    if not await repository.delete_unless_declared(db, driver_id):
        raise Conflict.of("", "driver_has_declarations")


async def page(
    db: asyncpg.Connection,
    operator: OperatorPrincipal,
    after: uuid.UUID | None,
    limit: int,
    where: repository.DriverFilter,
) -> tuple[list[Driver], list[uuid.UUID]]:
    rows = await repository.page(db, operator.operator_id, clock.today(), after, limit, where)
    return [_driver(row) for row in rows[:limit]], [row["id"] for row in rows]
