"""SQL for stored first answers of ``Idempotency-Key`` requests."""

import datetime
import uuid

import asyncpg

from portal.db import Transaction


async def claim(db: Transaction, principal: uuid.UUID, key: str, request_hash: bytes) -> bool:
    """Insert the key's row; False when it exists (waiting first for a concurrent claim to end)."""
    inserted = await db.fetchval(
        "INSERT INTO idempotency_keys (principal_id, key, request_hash) VALUES ($1, $2, $3)"
        " ON CONFLICT DO NOTHING RETURNING true",
        principal,
        key,
        request_hash,
    )
    return bool(inserted)


async def first_answer(db: asyncpg.Connection, principal: uuid.UUID, key: str) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await db.fetchrow(
        "SELECT request_hash, status_code, response_body FROM idempotency_keys WHERE principal_id = $1 AND key = $2",
        principal,
        key,
    )
    return row


async def store_answer(db: Transaction, principal: uuid.UUID, key: str, status_code: int, body: bytes) -> None:
    await db.execute(
        "UPDATE idempotency_keys SET status_code = $3, response_body = $4 WHERE principal_id = $1 AND key = $2",
        principal,
        key,
        status_code,
        body,
    )


async def purge(db: asyncpg.Connection | asyncpg.Pool, older_than: datetime.datetime) -> int:
    status = await db.execute("DELETE FROM idempotency_keys WHERE created_at < $1", older_than)
    return int(status.split()[-1])
