"""Submit, update, withdraw, and follow driver changes: each a new version plus its event.

The event row (``declaration_events``) is written in the same transaction as the version, so
the workers that forward and render can never miss one nor see one that was rolled back.
"""

import uuid

import asyncpg
import msgspec

from portal import clock
from portal.declarations import repository
from portal.declarations.service import checked_context, fields_of, locked, next_version
from portal.errors import Conflict, Unprocessable
from portal.operators.auth import OperatorPrincipal
from schemas.declarations import FROZEN_ONCE_SUBMITTED, Declaration, DeclarationFields, SubmittedUpdate
from schemas.drivers import DriverFields
from schemas.errors import FieldError

_WIRE = {field.name: field.encode_name for field in msgspec.structs.fields(DeclarationFields)}


async def _refuse_overlap(db: asyncpg.Connection, declaration: Declaration) -> None:
    overlapping = await repository.find_overlap(
        db,
        declaration.driver_id,
        declaration.declaration_posting_country,
        declaration.declaration_start_date,
        declaration.declaration_end_date,
        declaration.declaration_id,
    )
    if overlapping:
        raise Conflict(
            f"declaration {overlapping} is SUBMITTED for the same driver and host country and its period overlaps"
        )


async def _record(
    db: asyncpg.Connection, current: Declaration, declaration: Declaration, event_type: str
) -> Declaration:
    """Store ``declaration`` as the version after ``current``, with its event."""
    await repository.record_version(db, declaration, event_type, current.declaration_end_date)
    return declaration


async def submit(db: asyncpg.Connection, operator: OperatorPrincipal, declaration_id: uuid.UUID) -> Declaration:
    current = await locked(db, operator, declaration_id)
    if current.declaration_status != "DRAFT":
        raise Conflict(f"only a DRAFT can be submitted; this declaration is {current.declaration_status}")
    fields = fields_of(current)
    driver = await checked_context(db, operator, fields, submitting_on=clock.today(), lock="update")
    submitted = next_version(current, fields, driver, status="SUBMITTED", submitted_at=clock.now())
    await _refuse_overlap(db, submitted)
    return await _record(db, current, submitted, "SUBMITTED")


def _require_submitted(current: Declaration, action: str) -> None:
    if current.declaration_status != "SUBMITTED":
        raise Conflict(
            f"only a SUBMITTED declaration can be {action}; this declaration is {current.declaration_status}"
        )


def _merge(current: Declaration, update: SubmittedUpdate) -> DeclarationFields:
    frozen = [
        FieldError(field=_WIRE[name], message="cannot change once submitted: withdraw it and file a new declaration")
        for name in FROZEN_ONCE_SUBMITTED
        if getattr(update, name) is not msgspec.UNSET and getattr(update, name) != getattr(current, name)
    ]
    if frozen:
        raise Unprocessable(frozen)
    changes = {
        name: value
        for name in update.__struct_fields__
        if name not in FROZEN_ONCE_SUBMITTED and (value := getattr(update, name)) is not msgspec.UNSET
    }
    return msgspec.structs.replace(fields_of(current), **changes)


async def update_submitted(
    db: asyncpg.Connection, operator: OperatorPrincipal, declaration_id: uuid.UUID, update: SubmittedUpdate
) -> Declaration:
    current = await locked(db, operator, declaration_id)
    _require_submitted(current, "updated")
    fields = _merge(current, update)
    if fields == fields_of(current):
        return current  # nothing changes: no new version, nothing forwarded again
    if fields.declaration_end_date != current.declaration_end_date and fields.declaration_end_date < clock.today():
        raise Unprocessable([FieldError(field="declarationEndDate", message="must not be in the past")])
    driver = await checked_context(db, operator, fields, lock="update")
    updated = next_version(
        current, fields, driver, status="SUBMITTED", submitted_at=current.declaration_submission_date
    )
    await _refuse_overlap(db, updated)
    return await _record(db, current, updated, "UPDATED")


async def withdraw(db: asyncpg.Connection, operator: OperatorPrincipal, declaration_id: uuid.UUID) -> Declaration:
    current = await locked(db, operator, declaration_id)
    _require_submitted(current, "withdrawn")
    withdrawn = msgspec.structs.replace(
        current,
        declaration_status="WITHDRAWN",
        declaration_version=current.declaration_version + 1,
        declaration_last_update=clock.now(),
    )
    return await _record(db, current, withdrawn, "WITHDRAWN")


async def lock_current_of_driver(
    db: asyncpg.Connection, operator: OperatorPrincipal, driver_id: uuid.UUID
) -> list[Declaration]:
    """Lock a driver's drafts and current declarations before the driver changes (lock order: see locked())."""
    today = clock.today()
    await repository.lock_filing(db, operator.operator_id)
    rows = await repository.fetch_current_of_driver(db, driver_id, operator.operator_id, today)
    return [repository.to_declaration(row, today) for row in rows]


async def follow_driver_change(db: asyncpg.Connection, declarations: list[Declaration], driver: DriverFields) -> None:
    """A driver's new details become a new version of each draft and current declaration of theirs."""
    snapshot = {name: getattr(driver, name) for name in DriverFields.__struct_fields__}
    full_name = f"{driver.driver_latin_first_name} {driver.driver_latin_last_name}"
    for current in declarations:
        if all(getattr(current, name) == value for name, value in snapshot.items()):
            continue
        changed = msgspec.structs.replace(
            current,
            **snapshot,
            driver_latin_full_name=full_name,
            declaration_version=current.declaration_version + 1,
            declaration_last_update=clock.now(),
        )
        if current.declaration_status == "DRAFT":
            await repository.update(db, changed, current.declaration_end_date)
        else:
            await _record(db, current, changed, "UPDATED")
