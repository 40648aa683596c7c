"""Roadside checks: one exact key, the authority's country only, a verdict per record, audited."""

import datetime
import uuid
from typing import Any

import asyncpg
import msgspec

from portal import clock, normalize
from portal.authorities import repository
from portal.authorities.repository import VERDICTS, Look, SearchKey
from portal.db import Autocommit
from portal.declarations import storage
from portal.declarations.repository import driver_of, row_of
from portal.errors import ApiError, NotFound
from portal.identity.auth import AuthorityPrincipal
from portal.operators.drivers.storage import StoredDriver
from portal.refusals import Refused
from portal.wire import query_value
from schemas.authorities import (
    AccessLog,
    AccessLogEntry,
    AuditEntry,
    AuditLog,
    DeclarationVersion,
    RoadsideDeclaration,
    RoadsideRecord,
    RoadsideSearchResult,
)

_WILDCARDS = frozenset("*%?_")
MIN_PURPOSE = 3


class SearchKeys(msgspec.Struct, frozen=True, kw_only=True):
    """The query of a roadside search as typed: at most one key may be set."""

    plate: str | None = None
    declaration_id: uuid.UUID | None = None
    licence_number: str | None = None
    document_number: str | None = None
    last_name: str | None = None
    date_of_birth: datetime.date | None = None


def _purpose(purpose: str | None) -> str:
    stated = query_value("purpose", purpose or "", normalize.text) or ""
    if len(stated) < MIN_PURPOSE:
        raise ApiError.of("purpose", "purpose_required", minLength=MIN_PURPOSE)
    return stated


def _exact(name: str, value: str, minimum: int = 2) -> str:
    def exact(typed: str) -> str:
        typed = normalize.text(typed)
        if _WILDCARDS & set(typed):
            raise Refused("wildcard", wildcards=" ".join(sorted(_WILDCARDS)))
        if sum(char.isalnum() for char in typed) < minimum:
            raise Refused("too_few_characters", minimum=minimum)
        return typed

    return query_value(name, value, exact) or ""


def _key(keys: SearchKeys) -> tuple[SearchKey, list[Any], dict[str, Any]]:
    """The one search key given, its SQL values, and what was asked (for the audit log)."""
    given = [
        name
        for name, value in (
            ("plate", keys.plate),
            ("declarationId", keys.declaration_id),
            ("licenceNumber", keys.licence_number),
            ("documentNumber", keys.document_number),
            ("lastName", keys.last_name),
        )
        if value is not None
    ]
    if len(given) != 1:
        raise ApiError.of("", "search_key_count", given=", ".join(given) or "none")
    if (keys.date_of_birth is not None) != (keys.last_name is not None):
        raise ApiError.of("lastName" if keys.last_name else "dateOfBirth", "name_needs_birth_date")
    if keys.plate is not None:
        plate = query_value("plate", _exact("plate", keys.plate), normalize.plate) or ""
        return "plate", [plate], {"plate": plate}
    if keys.declaration_id is not None:
        return "declarationId", [keys.declaration_id], {"declarationId": str(keys.declaration_id)}
    if keys.licence_number is not None:
        licence = _exact("licenceNumber", keys.licence_number)
        return "licenceNumber", [licence], {"licenceNumber": licence}
    if keys.document_number is not None:
        document = _exact("documentNumber", keys.document_number)
        return "documentNumber", [document], {"documentNumber": document}
    # Only a name with a date of birth is left (checked above).
    assert keys.last_name is not None
    assert keys.date_of_birth is not None
    name = query_value("lastName", _exact("lastName", keys.last_name), normalize.latin_name) or ""
    return "lastName", [name, keys.date_of_birth], {"lastName": name, "dateOfBirth": keys.date_of_birth.isoformat()}


def _roadside(row: asyncpg.Record, today: datetime.date) -> RoadsideDeclaration:
    return storage.declaration_of(
        row_of(row),
        driver_of(row),
        today,
        RoadsideDeclaration,
        verdict=VERDICTS[row["verdict"]],
        operator_name=row["operator_name"],
        operator_establishment_country=row["operator_country"],
    )


def _versions(row: asyncpg.Record, today: datetime.date) -> list[DeclarationVersion]:
    """Every recorded version of a declaration: superseded ones from their documents, read
    leniently, and the current one from its row."""
    current = row_of(row), driver_of(row)
    versions = []
    for recorded in row["versions"]:
        if recorded["superseded"] is None:
            stored, driver = current
        else:
            stored = storage.from_document(recorded["superseded"])
            driver = msgspec.convert(recorded["driver"], StoredDriver, strict=False)
        versions.append(
            DeclarationVersion(
                version=recorded["version"],
                event_type=recorded["eventType"],
                recorded_at=msgspec.convert(recorded["recordedAt"], datetime.datetime, strict=False),
                declaration=storage.declaration_of(stored, driver, today),
            )
        )
    return versions


async def search(
    db: Autocommit,
    authority: AuthorityPrincipal,
    keys: SearchKeys,
    valid_on: datetime.date | None,
    purpose: str | None,
) -> RoadsideSearchResult:
    stated = _purpose(purpose)
    key, values, asked = _key(keys)
    today = clock.today()
    day = valid_on or today
    look = Look(authority.country, day, authority.authority_id, authority.key_id, asked | {"validOn": str(day)}, stated)
    rows = await repository.search(db, key, values, look)
    items = [_roadside(row, today) for row in rows]
    return RoadsideSearchResult(valid_on=day, count=len(items), items=items)


async def view(
    db: Autocommit, authority: AuthorityPrincipal, declaration_id: uuid.UUID, purpose: str | None
) -> RoadsideRecord:
    """The record as of now, with its versions. Another country's record is not found (and audited)."""
    stated = _purpose(purpose)
    today = clock.today()
    asked = {"declarationId": str(declaration_id)}
    row = await repository.view(
        db, declaration_id, Look(authority.country, today, authority.authority_id, authority.key_id, asked, stated)
    )
    if row is None:
        raise NotFound.of("", "not_found_in_country", declarationId=str(declaration_id), country=authority.country)
    return RoadsideRecord(declaration=_roadside(row, today), versions=_versions(row, today))


async def access_log(db: asyncpg.Connection, declaration_id: uuid.UUID, limit: int) -> AccessLog:
    rows = await repository.access_log(db, declaration_id, limit)
    items = [
        AccessLogEntry(
            accessed_at=row["at"],
            authority_id=row["authority_id"],
            authority_name=row["authority_name"],
            authority_country=row["authority_country"],
            action=row["action"],
        )
        for row in rows
    ]
    return AccessLog(declaration_id=declaration_id, count=len(items), items=items)


async def audit_log(db: asyncpg.Connection, authority: AuthorityPrincipal, limit: int) -> AuditLog:
    rows = await repository.audit_entries(db, authority.authority_id, limit)
    items = [
        AuditEntry(
            audited_at=row["at"],
            action=row["action"],
            api_key_id=row["api_key_id"],
            api_key_label=row["api_key_label"],
            asked=row["query"],
            purpose=row["purpose"],
            declaration_ids=row["declaration_ids"],
        )
        for row in rows
    ]
    return AuditLog(count=len(items), items=items)
