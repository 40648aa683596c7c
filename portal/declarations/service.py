"""Drafts and reads: create, replace, delete, copy, read, list.

Services never commit: the request owns the transaction (``portal.dependencies``).
"""

import abc
import uuid

import asyncpg
import msgspec

from portal import clock
from portal.db import Transaction
from portal.declarations import repository, rules, storage
from portal.declarations.storage import StoredDeclaration
from portal.errors import Conflict, NotFound, Unprocessable
from portal.identity.auth import OperatorPrincipal
from portal.ids import new_id
from schemas.declarations import CopyRequest, Declaration, DeclarationFields, DeclarationListItem
from schemas.forwarding import AuthorityForwarding


def not_found() -> NotFound:
    return NotFound.of("", "not_found", kind="declaration")


def checked(
    fields: DeclarationFields, operator: OperatorPrincipal, context: repository.Context, *, submitting: bool = False
) -> None:
    """Refuse ``fields`` naming every rule they break, as of today (and on submission, its rules)."""
    today = clock.today()
    errors = rules.check(
        fields,
        establishment_country=operator.establishment_country,
        driver_born=context.driver.date_of_birth if context.driver else None,
        register=context.register,
        today=today,
        submitting_on=today if submitting else None,
    )
    if errors:
        raise Unprocessable(errors)


async def _draft_context(db: Transaction, operator: OperatorPrincipal, fields: DeclarationFields) -> repository.Context:
    context = await repository.fetch_context(db, operator.operator_id, fields.driver_id, rules.all_plates(fields))
    checked(fields, operator, context)
    return context


class Forwarded(abc.ABC):
    """How a version stands with each authority it is forwarded to. Forwarding answers it
    (``portal.forwarding``, which depends on declarations, not the other way round); the
    application provides it to the handlers that show it."""

    @abc.abstractmethod
    async def standing(
        self, db: asyncpg.Connection, declaration_id: uuid.UUID, version: int, country: str
    ) -> list[AuthorityForwarding]: ...


async def read(db: asyncpg.Connection, operator: OperatorPrincipal, declaration_id: uuid.UUID) -> Declaration:
    record = await repository.fetch(db, declaration_id, operator.operator_id)
    if record is None:
        raise not_found()
    return storage.declaration_of(repository.row_of(record), repository.driver_of(record), clock.today())


async def create_draft(db: Transaction, operator: OperatorPrincipal, fields: DeclarationFields) -> Declaration:
    context = await _draft_context(db, operator, fields)
    assert context.driver is not None  # checked: a declaration names a driver of the operator
    row = storage.stored(
        fields,
        declaration_id=new_id(),
        operator_id=operator.operator_id,
        driver_id=fields.driver_id,
        driver_version=context.driver_version,
        version=1,
        status="DRAFT",
        submitted_at=None,
        updated_at=clock.now(),
    )
    await repository.insert(db, row)
    return storage.declaration_of(row, context.driver, clock.today())


async def locked(
    db: Transaction, operator: OperatorPrincipal, declaration_id: uuid.UUID, plates: list[str] | None = None
) -> repository.Locked:
    """The declaration and its driver, locked for a new version, with what the rules need
    (the register entries of its plates and of ``plates``)."""
    found = await repository.lock_for_change(db, operator.operator_id, declaration_id, plates or [])
    if found is None:
        raise not_found()
    return found


def require_status(declaration: StoredDeclaration, required: str, action: str) -> None:
    """Refuse a change that ``declaration``'s status does not allow (an expired one is not SUBMITTED)."""
    status = storage.effective_status(declaration.status, declaration.end_date, clock.today())
    if status != required:
        raise Conflict.of("declarationStatus", "wrong_state", required=required, action=action, status=status)


async def replace_draft(
    db: Transaction, operator: OperatorPrincipal, declaration_id: uuid.UUID, fields: DeclarationFields
) -> Declaration:
    current = await locked(db, operator, declaration_id, rules.all_plates(fields))
    require_status(current.declaration, "DRAFT", "replaced")
    if fields.driver_id == current.declaration.driver_id:
        context = current.context  # its driver, locked, and the register entries of the new plates too
        checked(fields, operator, context)
    else:
        context = await _draft_context(db, operator, fields)
    assert context.driver is not None
    row = storage.stored(
        fields,
        declaration_id=declaration_id,
        operator_id=operator.operator_id,
        driver_id=fields.driver_id,
        driver_version=context.driver_version,
        version=current.declaration.version + 1,
        status="DRAFT",
        submitted_at=None,
        updated_at=clock.now(),
        client_reference=current.declaration.client_reference,
    )
    await repository.replace_draft(db, row)
    return storage.declaration_of(row, context.driver, clock.today())


async def delete_draft(db: Transaction, operator: OperatorPrincipal, declaration_id: uuid.UUID) -> None:
    """Delete a draft; a bulk reference goes with it, so that sending its record again files it anew."""
    current = await locked(db, operator, declaration_id)
    require_status(current.declaration, "DRAFT", "deleted")
    await repository.delete_draft(db, declaration_id)


async def copy(
    db: Transaction, operator: OperatorPrincipal, declaration_id: uuid.UUID, period: CopyRequest
) -> Declaration:
    """Renew: a new DRAFT with the same content, the new period and the driver as they are now."""
    record = await repository.fetch(db, declaration_id, operator.operator_id)
    if record is None:
        raise not_found()
    fields = msgspec.structs.replace(
        storage.fields_of(repository.row_of(record)),
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
            driver_latin_full_name=f"{row['latin_first_name']} {row['latin_last_name']}",
            declaration_posting_country=row["posting_country"],
            declaration_start_date=row["start_date"],
            declaration_end_date=row["end_date"],
            declaration_status=storage.effective_status(row["status"], row["end_date"], today),  # type: ignore[arg-type]
            declaration_last_update=row["updated_at"],
        )
        for row in rows[:limit]
    ]
    return items, [row["id"] for row in rows]
