"""Submit, update and withdraw: each a new version plus its event, in one statement.

The event row (``declaration_events``) is written in the same transaction as the version, so
the workers that forward and render can never miss one nor see one that was rolled back.
"""

import uuid

import msgspec

from portal import clock
from portal.db import Transaction
from portal.declarations import repository, rules, storage
from portal.declarations.service import checked, locked, require_status
from portal.declarations.storage import EventType, StoredDeclaration
from portal.errors import Conflict, Unprocessable
from portal.identity.auth import OperatorPrincipal
from portal.refusals import refusal
from schemas.declarations import FROZEN_ONCE_SUBMITTED, Declaration, DeclarationFields, SubmittedUpdate

_WIRE = {field.name: field.encode_name for field in msgspec.structs.fields(DeclarationFields)}


async def _answer(db: Transaction, version: StoredDeclaration, context: repository.Context) -> Declaration:
    """The wire record of ``version``. Drafts and current declarations follow every change of
    their driver, so the driver they show is the one just locked; only if not is it read."""
    driver = context.driver
    if driver is None or version.driver_version != context.driver_version:
        driver = await repository.fetch_driver_version(db, version.driver_id, version.driver_version)
    return storage.declaration_of(version, driver, clock.today())


async def _record(
    db: Transaction, version: StoredDeclaration, event: EventType, context: repository.Context, *, check_overlap: bool
) -> Declaration:
    """Store ``version`` after the stored one, with its event; refuse it if it overlaps."""
    overlapping = await repository.record_version(db, version, event, check_overlap=check_overlap)
    if overlapping is not None:
        raise Conflict.of("", "overlap", declarationId=str(overlapping))
    return await _answer(db, version, context)


def _next(
    current: StoredDeclaration, fields: DeclarationFields, context: repository.Context, status: storage.StoredStatus
) -> StoredDeclaration:
    """The version after ``current``: what is declared now, showing the driver as they are now."""
    now = clock.now()
    return storage.stored(
        fields,
        declaration_id=current.id,
        operator_id=current.operator_id,
        driver_id=current.driver_id,
        driver_version=context.driver_version,
        version=current.version + 1,
        status=status,
        submitted_at=current.submitted_at or now,
        updated_at=now,
        email_status=current.email_status,
        client_reference=current.client_reference,
    )


async def submit(db: Transaction, operator: OperatorPrincipal, declaration_id: uuid.UUID) -> Declaration:
    current = await locked(db, operator, declaration_id)
    require_status(current.declaration, "DRAFT", "submitted")
    fields = storage.fields_of(current.declaration)
    checked(fields, operator, current.context, submitting=True)
    submitted = _next(current.declaration, fields, current.context, "SUBMITTED")
    return await _record(db, submitted, "SUBMITTED", current.context, check_overlap=True)


def _merge(current: StoredDeclaration, update: SubmittedUpdate) -> DeclarationFields:
    """The declaration with ``update`` applied; refuse a change of what is frozen once submitted."""
    declared = storage.fields_of(current)
    frozen = [
        refusal(_WIRE[name], "frozen_once_submitted")
        for name in FROZEN_ONCE_SUBMITTED
        if getattr(update, name) is not msgspec.UNSET and getattr(update, name) != getattr(declared, name)
    ]
    if frozen:
        raise Unprocessable(frozen)
    changes = {
        name: value
        for name in update.__struct_fields__
        if name not in FROZEN_ONCE_SUBMITTED and (value := getattr(update, name)) is not msgspec.UNSET
    }
    return msgspec.structs.replace(declared, **changes)


def _plates_of(update: SubmittedUpdate) -> list[str]:
    return [plate for _, attribute, _ in rules.PLATE_LISTS for plate in (getattr(update, attribute) or [])]


async def update_submitted(
    db: Transaction, operator: OperatorPrincipal, declaration_id: uuid.UUID, update: SubmittedUpdate
) -> Declaration:
    current = await locked(db, operator, declaration_id, _plates_of(update))
    require_status(current.declaration, "SUBMITTED", "updated")
    fields = _merge(current.declaration, update)
    if fields == storage.fields_of(current.declaration):
        # Nothing changes: no new version, nothing forwarded again.
        return await _answer(db, current.declaration, current.context)
    today = clock.today()
    if fields.declaration_end_date != current.declaration.end_date and fields.declaration_end_date < today:
        raise Unprocessable([refusal("declarationEndDate", "end_in_past", today=today)])
    checked(fields, operator, current.context)
    updated = _next(current.declaration, fields, current.context, "SUBMITTED")
    return await _record(db, updated, "UPDATED", current.context, check_overlap=True)


async def withdraw(db: Transaction, operator: OperatorPrincipal, declaration_id: uuid.UUID) -> Declaration:
    current = await locked(db, operator, declaration_id)
    require_status(current.declaration, "SUBMITTED", "withdrawn")
    withdrawn = msgspec.structs.replace(
        current.declaration, status="WITHDRAWN", version=current.declaration.version + 1, updated_at=clock.now()
    )
    # The driver it showed stays: a withdrawal changes nothing but the status.
    return await _record(db, withdrawn, "WITHDRAWN", current.context, check_overlap=False)
