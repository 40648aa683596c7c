"""SQL of roadside checks: each look-up reads its answer and writes its audit row in one statement."""

import datetime
import uuid
from typing import Any, Literal, NamedTuple

import asyncpg

from portal.declarations.repository import COLUMNS

# The condition of each search key; $7 is the key's value ($8 the date of birth, for a name).
SEARCH_CONDITIONS = {
    "plate": "(d.plates_passengers || d.plates_light || d.plates_heavy) @> ARRAY[$7::text]",
    "declarationId": "d.id = $7::uuid",
    "licenceNumber": "d.driver_id IN"
    " (SELECT id FROM drivers WHERE portal_identifier(license_number) = portal_identifier($7::text))",
    "documentNumber": "d.driver_id IN"
    " (SELECT id FROM drivers WHERE portal_identifier(document_number) = portal_identifier($7::text))",
    "lastName": "d.driver_id IN"
    " (SELECT id FROM drivers WHERE date_of_birth = $8::date AND lower(latin_last_name) = lower($7::text))",
}
SearchKey = Literal["plate", "declarationId", "licenceNumber", "documentNumber", "lastName"]
# Verdicts by rank: the order results come in.
VERDICTS = ("VALID", "NOT_YET_VALID", "EXPIRED", "WITHDRAWN")
MAX_RESULTS = 50

_DECLARATION_COLUMNS = ", ".join(f"d.{column.strip()}" for column in COLUMNS.split(","))


def _found(condition: str) -> str:
    """The declarations matching ``condition`` in country $1, with their verdict on day $2."""
    return f"""
    SELECT {_DECLARATION_COLUMNS}, o.name AS operator_name, o.establishment_country AS operator_country,
        CASE WHEN d.status = 'WITHDRAWN' THEN 3 WHEN $2::date < d.start_date THEN 1
             WHEN $2::date > d.end_date THEN 2 ELSE 0 END AS verdict
    FROM declarations d JOIN operators o ON o.id = d.operator_id
    WHERE d.posting_country = $1 AND d.status <> 'DRAFT' AND {condition}
    ORDER BY verdict, d.start_date DESC, d.id
    LIMIT {MAX_RESULTS}"""


def _audited(condition: str, action: str, extra: str = "") -> str:
    """The look-up, its audit row and its hits in one statement: no answer without its trace.

    $3 authority, $4 credential, $5 what was asked, $6 purpose; the key's values are $7 (and $8).
    """
    return f"""
WITH found AS MATERIALIZED ({_found(condition)}
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
    (SELECT coalesce(jsonb_agg(jsonb_build_object('version', e.version, 'eventType', e.event_type,
                                                  'recordedAt', e.created_at, 'declaration', e.payload)
                               ORDER BY e.version), '[]')
     FROM declaration_events e WHERE e.declaration_id = found.id) AS versions""",
)
# The same search without the audit, its key as $3 (and $4): the look-up benchmark's yardstick.
BARE_SEARCH_SQL = {
    key: _found(condition.replace("$7", "$3").replace("$8", "$4")) for key, condition in SEARCH_CONDITIONS.items()
}


class Look(NamedTuple):
    """Who looks, at what, and why: the first six parameters of every audited look-up."""

    country: str
    valid_on: datetime.date
    authority_id: uuid.UUID
    key_id: uuid.UUID
    asked: dict[str, Any]
    purpose: str


async def search(db: asyncpg.Connection, key: SearchKey, values: list[Any], asked: Look) -> list[asyncpg.Record]:
    """The declarations of ``asked``'s country matching the key, best verdict first, audited."""
    rows: list[asyncpg.Record] = await db.fetch(SEARCH_SQL[key], *asked, *values)
    return rows


async def view(db: asyncpg.Connection, declaration_id: uuid.UUID, asked: Look) -> asyncpg.Record | None:
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
