"""SQL for operators, authorities and API keys."""

import uuid

import asyncpg
import msgspec

from portal.db import Transaction
from portal.identity.storage import OperatorProfile, StoredOperator, operator_of


async def insert_operator(
    db: Transaction, operator_id: uuid.UUID, name: str, country: str, licence: str | None
) -> None:
    await db.execute(
        "INSERT INTO operators (id, name, establishment_country, community_licence) VALUES ($1, $2, $3, $4)",
        operator_id,
        name,
        country,
        licence,
    )


async def find_operator_by_name(db: asyncpg.Connection, name: str) -> uuid.UUID | None:
    found: uuid.UUID | None = await db.fetchval(
        "SELECT id FROM operators WHERE name = $1 ORDER BY created_at LIMIT 1", name
    )
    return found


async def find_authority_by_name(db: asyncpg.Connection, name: str) -> uuid.UUID | None:
    found: uuid.UUID | None = await db.fetchval(
        "SELECT id FROM authorities WHERE name = $1 ORDER BY created_at LIMIT 1", name
    )
    return found


async def insert_authority(db: Transaction, authority_id: uuid.UUID, name: str, country: str) -> None:
    await db.execute("INSERT INTO authorities (id, name, country) VALUES ($1, $2, $3)", authority_id, name, country)


async def insert_api_key(
    db: Transaction,
    key_id: uuid.UUID,
    key_hash: bytes,
    label: str,
    *,
    operator_id: uuid.UUID | None = None,
    authority_id: uuid.UUID | None = None,
) -> None:
    await db.execute(
        "INSERT INTO api_keys (id, key_hash, label, operator_id, authority_id) VALUES ($1, $2, $3, $4, $5)",
        key_id,
        key_hash,
        label,
        operator_id,
        authority_id,
    )


async def revoke_keys(db: Transaction, holder_id: uuid.UUID, label: str) -> int:
    """Revoke the live keys of an operator or authority with this label; return how many."""
    status: str = await db.execute(
        "UPDATE api_keys SET revoked_at = now()"
        " WHERE (operator_id = $1 OR authority_id = $1) AND label = $2 AND revoked_at IS NULL",
        holder_id,
        label,
    )
    return int(status.split()[-1])


async def operator_keys(db: asyncpg.Connection, operator_id: uuid.UUID) -> list[asyncpg.Record]:
    """The operator's live keys (id, label, created_at), newest first: never their hashes."""
    rows: list[asyncpg.Record] = await db.fetch(
        "SELECT id, label, created_at FROM api_keys WHERE operator_id = $1 AND revoked_at IS NULL"
        " ORDER BY created_at DESC, id",
        operator_id,
    )
    return rows


async def revoke_key(db: Transaction, key_id: uuid.UUID, operator_id: uuid.UUID) -> bool:
    status: str = await db.execute(
        "UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND operator_id = $2 AND revoked_at IS NULL",
        key_id,
        operator_id,
    )
    return status.endswith(" 1")


async def holder_exists(db: asyncpg.Connection, holder_id: uuid.UUID) -> str | None:
    """'operator' or 'authority' when the id names one, else None."""
    kind: str | None = await db.fetchval(
        "SELECT 'operator' FROM operators WHERE id = $1 UNION ALL SELECT 'authority' FROM authorities WHERE id = $1",
        holder_id,
    )
    return kind


async def find_key_holder(db: asyncpg.Connection | asyncpg.Pool, key_hash: bytes) -> asyncpg.Record | None:
    """Who a live key belongs to: the operator (with its country) or the authority (with its country)."""
    row: asyncpg.Record | None = await db.fetchrow(
        """
        SELECT k.id, k.operator_id, k.authority_id,
               coalesce(o.establishment_country, a.country) AS country
        FROM api_keys k
        LEFT JOIN operators o ON o.id = k.operator_id
        LEFT JOIN authorities a ON a.id = k.authority_id
        WHERE k.key_hash = $1 AND k.revoked_at IS NULL
        """,
        key_hash,
    )
    return row


async def fetch_operator(db: asyncpg.Connection, operator_id: uuid.UUID) -> StoredOperator | None:
    record = await db.fetchrow(
        "SELECT name, establishment_country, community_licence, profile FROM operators WHERE id = $1", operator_id
    )
    return None if record is None else operator_of(*record)


async def set_operator_profile(db: Transaction, operator_id: uuid.UUID, profile: OperatorProfile) -> None:
    await db.execute(
        "UPDATE operators SET profile = $2::text::jsonb WHERE id = $1",
        operator_id,
        msgspec.json.encode(profile).decode(),
    )
