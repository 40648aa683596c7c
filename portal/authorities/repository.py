"""SQL of roadside checks: each look-up reads its answer and writes its audit row in one statement."""

import datetime
import uuid
from typing import Any, Literal, NamedTuple

import asyncpg

from portal.db import Autocommit
from portal.declarations.storage import COLUMNS
from portal.operators.drivers.storage import DRIVER_COLUMNS


def _declared_driver(condition: str) -> str:
    """Declarations whose driver, as declared (the version they show), matches ``condition``."""
    return (
        f"(d.driver_id, d.driver_version) IN (SELECT x.driver_id, x.version FROM driver_versions x WHERE {condition})"
    )


# The condition of each search key; $7 is the key's value ($8 the date of birth, for a name).
SEARCH_CONDITIONS = {
    # The index of plates leaves drafts out: the query's "status <> 'DRAFT'" lets it be used.
    "plate": "(d.plates_passengers || d.plates_light || d.plates_heavy) @> ARRAY[$7::text]",
    "declarationId": "d.id = $7::uuid",
    "licenceNumber": _declared_driver("portal_identifier(x.license_number) = portal_identifier($7::text)"),
    "documentNumber": _declared_driver("portal_identifier(x.document_number) = portal_identifier($7::text)"),
    "lastName": _declared_driver("x.date_of_birth = $8::date AND lower(x.latin_last_name) = lower($7::text)"),
}
SearchKey = Literal["plate", "declarationId", "licenceNumber", "documentNumber", "lastName"]
# Verdicts by rank: the order results come in.
VERDICTS = ("VALID", "NOT_YET_VALID", "EXPIRED", "WITHDRAWN")
MAX_RESULTS = 50

_SELECTED = ", ".join([*(f"d.{column}" for column in COLUMNS), *(f"v.{column}" for column in DRIVER_COLUMNS)])


def found(condition: str) -> str:
    """The declarations matching ``condition`` in country $1, with their verdict on day $2: the
    declaration's columns, then its driver's (see portal.declarations.repository.row_of)."""
    return f"""
    SELECT {_SELECTED}, o.name AS operator_name, o.establishment_country AS operator_country,
        CASE WHEN d.status = 'WITHDRAWN' THEN 3 WHEN $2::date < d.start_date THEN 1
             WHEN $2::date > d.end_date THEN 2 ELSE 0 END AS verdict
    FROM declarations d
    JOIN driver_versions v ON v.driver_id = d.driver_id AND v.version = d.driver_version
    JOIN operators o ON o.id = d.operator_id
    WHERE d.posting_country = $1 AND d.status <> 'DRAFT' AND {condition}
    ORDER BY verdict, d.start_date DESC, d.id
    LIMIT {MAX_RESULTS}"""


def _audited(condition: str, action: str, extra: str = "") -> str:
    """The look-up, its audit row and its hits in one statement: no answer without its trace.

    $3 authority, $4 credential, $5 what was asked, $6 purpose; the key's values are $7 (and $8).
    """
    return f"""
WITH found AS MATERIALIZED ({found(condition)}
), audit AS (
    INSERT INTO authority_audit (authority_id, api_key_id, action, query, purpose, declaration_ids)
    SELECT $3, $4, '{action}', $5, $6, coalesce(array_agg(id ORDER BY verdict, start_date DESC, id), '{{}}')
    FROM found
    RETURNING id, at
), hits AS (
    INSERT INTO authority_audit_hits (declaration_id, audit_id, at)
    SELECT found.id, audit.id, audit.at FROM found, audit
)
SELECT found.*{extra} FROM found ORDER BY verdict, start_date DESC, id
"""


SEARCH_SQL = {key: _audited(condition, "SEARCH") for key, condition in SEARCH_CONDITIONS.items()}
VIEW_SQL = _audited(
    SEARCH_CONDITIONS["declarationId"],
    "VIEW",
    """,
    -- Each recorded version: the row it was (superseded) with the driver it showed, or this row.
    (SELECT coalesce(jsonb_agg(jsonb_build_object(
                'version', e.version, 'eventType', e.event_type, 'recordedAt', e.recorded_at,
                'superseded', e.superseded,
                'driver', (SELECT to_jsonb(x) FROM driver_versions x
                           WHERE x.driver_id = found.driver_id AND x.version = (e.superseded->>'driver_version')::int)
            ) ORDER BY e.version), '[]')
     FROM declaration_events e WHERE e.declaration_id = found.id) AS versions""",
)


class Look(NamedTuple):
    """Who looks, at what, and why: the first six parameters of every audited look-up."""

    country: str
    valid_on: datetime.date
    authority_id: uuid.UUID
    key_id: uuid.UUID
    asked: dict[str, Any]
    purpose: str


async def search(db: Autocommit, key: SearchKey, values: list[Any], asked: Look) -> list[asyncpg.Record]:
    """The declarations of ``asked``'s country matching the key, best verdict first, audited."""
    rows: list[asyncpg.Record] = await db.fetch(SEARCH_SQL[key], *asked, *values)
    return rows


async def view(db: Autocommit, declaration_id: uuid.UUID, asked: Look) -> asyncpg.Record | None:
    """One declaration of ``asked``'s country with its versions, audited (found or not)."""
    row: asyncpg.Record | None = await db.fetchrow(VIEW_SQL, *asked, declaration_id)
    return row


async def access_log(db: asyncpg.Connection, declaration_id: uuid.UUID, limit: int) -> list[asyncpg.Record]:
    """The look-ups that returned a declaration, newest first: authority and time, nothing personal."""
    rows: list[asyncpg.Record] = await db.fetch(
        """
        SELECT h.at, a.authority_id, au.name AS authority_name, au.country AS authority_country, a.action
        FROM authority_audit_hits h
        JOIN authority_audit a ON a.id = h.audit_id AND a.at = h.at
        JOIN authorities au ON au.id = a.authority_id
        WHERE h.declaration_id = $1
        ORDER BY h.at DESC, a.id DESC
        LIMIT $2
        """,
        declaration_id,
        limit,
    )
    return rows


async def audit_entries(db: asyncpg.Connection, authority_id: uuid.UUID, limit: int) -> list[asyncpg.Record]:
    """The authority's own look-ups, newest first."""
    rows: list[asyncpg.Record] = await db.fetch(
        """
        SELECT a.at, a.action, a.api_key_id, coalesce(k.label, '') AS api_key_label, a.query, a.purpose,
               a.declaration_ids
        FROM authority_audit a LEFT JOIN api_keys k ON k.id = a.api_key_id
        WHERE a.authority_id = $1
        ORDER BY a.at DESC, a.id DESC
        LIMIT $2
        """,
        authority_id,
        limit,
    )
    return rows
