"""What authorities read: roadside search results with a verdict, records with their history,
and the access log operators see of their declarations."""

import uuid
from typing import Any, Literal

from schemas.base import Date, ResponseBody, Timestamp
from schemas.declarations import Declaration

# Whether the declaration covers the day asked about (validOn).
Verdict = Literal["VALID", "NOT_YET_VALID", "EXPIRED", "WITHDRAWN"]
EventType = Literal["SUBMITTED", "UPDATED", "WITHDRAWN"]


class RoadsideDeclaration(Declaration, kw_only=True):
    """A declaration as an inspector sees it: the record, who filed it, and its verdict."""

    verdict: Verdict
    operator_name: str
    operator_establishment_country: str


class RoadsideSearchResult(ResponseBody, kw_only=True):
    valid_on: Date
    count: int
    items: list[RoadsideDeclaration]


class DeclarationVersion(ResponseBody, kw_only=True):
    version: int
    event_type: EventType
    recorded_at: Timestamp
    declaration: Declaration


class RoadsideRecord(ResponseBody, kw_only=True):
    declaration: RoadsideDeclaration
    # Every submitted, updated and withdrawn version still kept, oldest first.
    versions: list[DeclarationVersion]


class AccessLogEntry(ResponseBody, kw_only=True):
    """One look-up that returned the declaration: which authority, when, and how.

    Names no inspector and no purpose: those stay in the audit log."""

    accessed_at: Timestamp
    authority_id: uuid.UUID
    authority_name: str
    authority_country: str
    action: Literal["SEARCH", "VIEW"]


class AccessLog(ResponseBody, kw_only=True):
    declaration_id: uuid.UUID
    count: int
    items: list[AccessLogEntry]


class AuditEntry(ResponseBody, kw_only=True):
    """One look-up of the authority: who (the key used), when, what was asked, what came back, why."""

    audited_at: Timestamp
    action: Literal["SEARCH", "VIEW"]
    api_key_id: uuid.UUID
    api_key_label: str
    asked: dict[str, Any]
    purpose: str
    declaration_ids: list[uuid.UUID]


class AuditLog(ResponseBody, kw_only=True):
    count: int
    items: list[AuditEntry]
