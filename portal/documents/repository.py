"""SQL of documents: which PDFs are stored, the verification token of a version."""

import secrets
import uuid
from collections.abc import Sequence
from typing import NamedTuple

import asyncpg

from portal import i18n
from portal.db import Transaction


class DocumentKey(NamedTuple):
    """A PDF is one version of a declaration in one language."""

    declaration_id: uuid.UUID
    version: int
    language: i18n.Language


class StoredDocument(NamedTuple):
    key: DocumentKey
    sha256: bytes


async def stored(db: asyncpg.Connection | asyncpg.Pool, keys: Sequence[DocumentKey]) -> dict[DocumentKey, bytes]:
    """The SHA-256 of each of ``keys`` that is stored."""
    rows = await db.fetch(
        """
        SELECT k.declaration_id, k.version, k.language, s.sha256
        FROM unnest($1::uuid[], $2::int[], $3::text[]) AS k(declaration_id, version, language)
        JOIN documents s USING (declaration_id, version, language)
        """,
        [key.declaration_id for key in keys],
        [key.version for key in keys],
        [key.language for key in keys],
    )
    return {DocumentKey(row[0], row[1], row[2]): row[3] for row in rows}


async def record(db: Transaction, documents: Sequence[StoredDocument], sizes: Sequence[int]) -> None:
    """Record stored PDFs; one already recorded (a job run twice) stays as it is."""
    await db.execute(
        """
        INSERT INTO documents (declaration_id, version, language, sha256, bytes)
        SELECT * FROM unnest($1::uuid[], $2::int[], $3::text[], $4::bytea[], $5::int[])
        ON CONFLICT DO NOTHING
        """,
        [document.key.declaration_id for document in documents],
        [document.key.version for document in documents],
        [document.key.language for document in documents],
        [document.sha256 for document in documents],
        list(sizes),
    )


async def verification_token(db: Transaction, declaration_id: uuid.UUID, version: int) -> bytes:
    """The version's token: made on first use, the same ever after."""
    token: bytes | None = await db.fetchval(
        """
        WITH made AS (
            INSERT INTO verification_tokens (token, declaration_id, version) VALUES ($3, $1, $2)
            ON CONFLICT (declaration_id, version) DO NOTHING RETURNING token
        )
        SELECT token FROM made
        UNION ALL
        SELECT token FROM verification_tokens WHERE declaration_id = $1 AND version = $2
        LIMIT 1
        """,
        declaration_id,
        version,
        secrets.token_bytes(16),
    )
    if token is None:  # made at the same moment by another transaction, committed since
        token = await db.fetchval(
            "SELECT token FROM verification_tokens WHERE declaration_id = $1 AND version = $2", declaration_id, version
        )
    assert token is not None
    return token


async def printable(db: asyncpg.Connection, declaration_id: uuid.UUID, operator_id: uuid.UUID) -> asyncpg.Record | None:
    """The current version and status of a declaration of the operator."""
    record: asyncpg.Record | None = await db.fetchrow(
        "SELECT version, status, end_date FROM declarations WHERE id = $1 AND operator_id = $2",
        declaration_id,
        operator_id,
    )
    return record
