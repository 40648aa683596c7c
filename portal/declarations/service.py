"""Drafts and reads: create, replace, delete, copy, read, list.

Services never commit: the request owns the transaction (``portal.db.provide_transaction``).
"""

import datetime
import uuid
from typing import Literal

import asyncpg
import msgspec

from portal import clock
from portal.declarations import repository, rules
from portal.errors import Conflict, NotFound, Unprocessable
from portal.ids import new_id
from portal.operators.auth import OperatorPrincipal
from portal.operators.drivers import repository as drivers
from schemas.declarations import CopyRequest, Declaration, DeclarationFields, DeclarationListItem
from schemas.drivers import DriverFields

_DECLARED = DeclarationFields.__struct_fields__
_DRIVER = DriverFields.__struct_fields__


def fields_of(declaration: Declaration) -> DeclarationFields:
    """What the operator declared, without the server's fields."""
    return DeclarationFields(**{name: getattr(declaration, name) for name in _DECLARED})


def compose(
    fields: DeclarationFields,
    driver: DriverFields,
    *,
    declaration_id: uuid.UUID,
    operator_id: uuid.UUID,
    status: str,
    version: int,
    submitted_at: datetime.datetime | None,
    email_status: str = "NOT_SENT",
) -> Declaration:
    """A declaration version: the declared fields, the driver as of now, and the server's fields."""
    return Declaration(
        **{name: getattr(fields, name) for name in _DECLARED},
        **{name: getattr(driver, name) for name in _DRIVER},
        driver_latin_full_name=f"{driver.driver_latin_first_name} {driver.driver_latin_last_name}",
        declaration_id=declaration_id,
        operator_id=operator_id,
        declaration_status=status,  # type: ignore[arg-type]
        declaration_version=version,
        declaration_submission_date=submitted_at,
        declaration_last_update=clock.now(),
        declaration_email_status=email_status,
    )


def next_version(
    current: Declaration,
    fields: DeclarationFields,
    driver: DriverFields,
    *,
    status: str,
    submitted_at: datetime.datetime | None,
) -> Declaration:
    """The version after ``current``, with what is declared now."""
    return compose(
        fields,
        driver,
        declaration_id=current.declaration_id,
        operator_id=current.operator_id,
        status=status,
        version=current.declaration_version + 1,
        submitted_at=submitted_at,
        email_status=current.declaration_email_status,
    )


class Context(msgspec.Struct, frozen=True):
    """What the rules need beyond the declaration: its driver and the register entries of its plates."""

    driver: DriverFields | None
    register: dict[str, rules.RegisteredVehicle]


async def load_context(
    db: asyncpg.Connection,
    operator: OperatorPrincipal,
    fields: DeclarationFields,
    lock: Literal["share", "update"] = "share",
) -> Context:
    """The declaration's driver, locked, and its plates' register entries (one round trip).

    "update" where overlaps are checked next (submit, update): the driver's lock serialises them.
    """
    row = await repository.fetch_context(db, operator.operator_id, fields.driver_id, rules.all_plates(fields), lock)
    driver = None
    if row["license_number"] is not None:
        driver = DriverFields(**{name: row[column] for name, column in drivers.FIELD_COLUMNS.items()})
    register = {plate: rules.RegisteredVehicle(kind, weight) for plate, kind, weight in row["register"]}
    return Context(driver, register)


async def checked_context(
    db: asyncpg.Connection,
    operator: OperatorPrincipal,
    fields: DeclarationFields,
    submitting_on: datetime.date | None = None,
    lock: Literal["share", "update"] = "share",
) -> DriverFields:
    """Apply every rule; return the declaration's driver, or refuse naming each broken rule."""
    context = await load_context(db, operator, fields, lock)
    errors = rules.check(
        fields,
        establishment_country=operator.establishment_country,
        driver_born=context.driver.driver_date_of_birth if context.driver else None,
        register=context.register,
        today=clock.today(),
        submitting_on=submitting_on,
    )
    if errors or context.driver is None:
        raise Unprocessable(errors)
    return context.driver


async def locked(db: asyncpg.Connection, operator: OperatorPrincipal, declaration_id: uuid.UUID) -> Declaration:
    """The declaration, locked for a new version.

    Lock order, everywhere: the operator's filing lock, then declarations, then their driver
    (taken by ``checked_context(lock="update")`` where overlaps are checked).
    """
    await repository.lock_filing(db, operator.operator_id)
    row = await repository.fetch(db, declaration_id, operator.operator_id, for_update=True)
    if row is None:
        raise NotFound("no such declaration")
    return repository.to_declaration(row, clock.today())


async def read(db: asyncpg.Connection, operator: OperatorPrincipal, declaration_id: uuid.UUID) -> Declaration:
    row = await repository.fetch(db, declaration_id, operator.operator_id)
    if row is None:
        raise NotFound("no such declaration")
    return repository.to_declaration(row, clock.today())


async def create_draft(db: asyncpg.Connection, operator: OperatorPrincipal, fields: DeclarationFields) -> Declaration:
    driver = await checked_context(db, operator, fields)
    declaration = compose(
        fields,
        driver,
        declaration_id=new_id(),
        operator_id=operator.operator_id,
        status="DRAFT",
        version=1,
        submitted_at=None,
    )
    await repository.insert(db, declaration)
    return declaration


def _require_draft(declaration: Declaration, action: str) -> None:
    if declaration.declaration_status != "DRAFT":
        raise Conflict(f"only a DRAFT can be {action}; this declaration is {declaration.declaration_status}")


async def replace_draft(
    db: asyncpg.Connection, operator: OperatorPrincipal, declaration_id: uuid.UUID, fields: DeclarationFields
) -> Declaration:
    current = await locked(db, operator, declaration_id)
    _require_draft(current, "replaced")
    driver = await checked_context(db, operator, fields)
    declaration = next_version(current, fields, driver, status="DRAFT", submitted_at=None)
    await repository.update(db, declaration, current.declaration_end_date)
    return declaration


async def delete_draft(db: asyncpg.Connection, operator: OperatorPrincipal, declaration_id: uuid.UUID) -> None:
    current = await locked(db, operator, declaration_id)
    _require_draft(current, "deleted")
    await repository.delete(db, declaration_id)


async def copy(
    db: asyncpg.Connection, operator: OperatorPrincipal, declaration_id: uuid.UUID, period: CopyRequest
) -> Declaration:
    """Renew: a new DRAFT with the same content, the new period and the driver as they are now."""
    source = await read(db, operator, declaration_id)
    fields = msgspec.structs.replace(
        fields_of(source),
        declaration_start_date=period.declaration_start_date,
        declaration_end_date=period.declaration_end_date,
    )
    return await create_draft(db, operator, fields)


async def page(
    db: asyncpg.Connection,
    operator: OperatorPrincipal,
    after: uuid.UUID | None,
    limit: int,
    where: repository.DeclarationFilter,
) -> tuple[list[DeclarationListItem], list[uuid.UUID]]:
    today = clock.today()
    rows = await repository.page(db, operator.operator_id, today, after, limit, where)
    items = [
        DeclarationListItem(
            declaration_id=row["id"],
            driver_id=row["driver_id"],
            driver_latin_full_name=f"{row['driver']['driverLatinFirstName']} {row['driver']['driverLatinLastName']}",
            declaration_posting_country=row["posting_country"],
            declaration_start_date=row["start_date"],
            declaration_end_date=row["end_date"],
            declaration_status=repository.effective_status(row["status"], row["end_date"], today),  # type: ignore[arg-type]
            declaration_last_update=row["updated_at"],
        )
        for row in rows[:limit]
    ]
    return items, [row["id"] for row in rows]
