"""SQL of verification: the version a token names, and where its declaration stands now."""

import uuid
from typing import NamedTuple

import asyncpg


class Named(NamedTuple):
    declaration_id: uuid.UUID
    version: int
    current_version: int
    current_status: str


async def named_by(db: asyncpg.Connection | asyncpg.Pool, token: bytes) -> Named | None:
    """The version ``token`` was printed for, and its declaration's current version and status
    (None once the declaration is deleted, past retention)."""
    record = await db.fetchrow(
        """
        SELECT t.declaration_id, t.version, d.version, d.status::text
        FROM verification_tokens t JOIN declarations d ON d.id = t.declaration_id
        WHERE t.token = $1
        """,
        token,
    )
    return Named(*record) if record is not None else None
