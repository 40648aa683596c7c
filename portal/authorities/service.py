"""Roadside checks: one exact key, the authority's country only, a verdict per record, audited."""

import datetime
import uuid
from typing import Any

import asyncpg
import msgspec

from portal import clock, normalize
from portal.authorities import repository
from portal.authorities.auth import AuthorityPrincipal
from portal.authorities.repository import VERDICTS, Look, SearchKey
from portal.declarations.repository import declaration_wire
from portal.errors import ApiError, NotFound
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
from schemas.errors import FieldError

SEARCH_KEYS_HELP = "search by exactly one of plate, declarationId, licenceNumber, documentNumber, or lastName"
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
        raise ApiError(
            "purpose is required: the reason or case reference of this look-up, written to the audit log",
            [FieldError(field="purpose", message=f"give at least {MIN_PURPOSE} characters")],
        )
    return stated


def _exact(name: str, value: str, minimum: int = 2) -> str:
    typed = query_value(name, value, normalize.text) or ""
    if _WILDCARDS & set(typed):
        raise ApiError(f"{name} is matched exactly: wildcards ({' '.join(sorted(_WILDCARDS))}) are not searched")
    if sum(char.isalnum() for char in typed) < minimum:
        raise ApiError(f"{name} needs at least {minimum} letters or digits")
    return typed


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
        found = f"got {', '.join(given)}" if given else "got none"
        raise ApiError(f"{SEARCH_KEYS_HELP} (with dateOfBirth): {found}")
    if (keys.date_of_birth is not None) != (keys.last_name is not None):
        raise ApiError("lastName and dateOfBirth go together: a name alone is not a search key")
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
    wire = declaration_wire(row, today) | {
        "verdict": VERDICTS[row["verdict"]],
        "operatorName": row["operator_name"],
        "operatorEstablishmentCountry": row["operator_country"],
    }
    return msgspec.convert(wire, RoadsideDeclaration)


async def search(
    db: asyncpg.Connection,
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
    db: asyncpg.Connection, authority: AuthorityPrincipal, declaration_id: uuid.UUID, purpose: str | None
) -> RoadsideRecord:
    """The record as of now, with its versions. Another country's record is not found (and audited)."""
    stated = _purpose(purpose)
    today = clock.today()
    asked = {"declarationId": str(declaration_id)}
    row = await repository.view(
        db, declaration_id, Look(authority.country, today, authority.authority_id, authority.key_id, asked, stated)
    )
    if row is None:
        raise NotFound(f"no declaration {declaration_id} posted to {authority.country}")
    versions = msgspec.convert(row["versions"], list[DeclarationVersion])
    return RoadsideRecord(declaration=_roadside(row, today), versions=versions)


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
