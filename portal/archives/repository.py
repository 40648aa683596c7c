"""SQL of archives: asked for, picked when due, counted as they build, finished."""

import datetime
import uuid
from collections.abc import Sequence
from typing import NamedTuple

import asyncpg

from portal.db import Transaction


class Archive(NamedTuple):
    id: uuid.UUID
    operator_id: uuid.UUID
    language: str
    declaration_ids: list[uuid.UUID]
    versions: list[int]
    state: str
    done: int
    sha256: bytes | None
    created_at: datetime.datetime
    finished_at: datetime.datetime | None


_ARCHIVE = "id, operator_id, language, declaration_ids, versions, state::text, done, sha256, created_at, finished_at"


async def selected(
    db: asyncpg.Connection, operator_id: uuid.UUID, declaration_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """The current version of each of ``declaration_ids`` that is the operator's and has a PDF."""
    rows = await db.fetch(
        "SELECT id, version FROM declarations WHERE id = ANY($2::uuid[]) AND operator_id = $1 AND status <> 'DRAFT'",
        operator_id,
        list(declaration_ids),
    )
    return {row[0]: row[1] for row in rows}


async def insert(
    db: Transaction,
    archive_id: uuid.UUID,
    operator_id: uuid.UUID,
    language: str,
    versions: dict[uuid.UUID, int],
) -> None:
    await db.execute(
        "INSERT INTO pdf_archives (id, operator_id, language, declaration_ids, versions) VALUES ($1, $2, $3, $4, $5)",
        archive_id,
        operator_id,
        language,
        list(versions),
        list(versions.values()),
    )


async def fetch(db: asyncpg.Connection | asyncpg.Pool, archive_id: uuid.UUID) -> Archive | None:
    record = await db.fetchrow(f"SELECT {_ARCHIVE} FROM pdf_archives WHERE id = $1", archive_id)
    return Archive(*record) if record is not None else None


async def take_due(db: Transaction, limit: int, requeue_after: datetime.timedelta) -> list[uuid.UUID]:
    """Up to ``limit`` archives to build, not enqueued lately, oldest first, marked enqueued now."""
    rows = await db.fetch(
        """
        WITH due AS (
            SELECT id FROM pdf_archives
            WHERE state = 'BUILDING' AND due_at <= now() AND (enqueued_at IS NULL OR enqueued_at < now() - $2::interval)
            ORDER BY due_at LIMIT $1 FOR UPDATE SKIP LOCKED
        )
        UPDATE pdf_archives a SET enqueued_at = now() FROM due WHERE a.id = due.id RETURNING a.id
        """,
        limit,
        requeue_after,
    )
    return [row[0] for row in rows]


async def progress(db: asyncpg.Connection | asyncpg.Pool, archive_id: uuid.UUID, done: int) -> None:
    await db.execute("UPDATE pdf_archives SET done = $2 WHERE id = $1 AND state = 'BUILDING'", archive_id, done)


async def ready(db: asyncpg.Connection | asyncpg.Pool, archive_id: uuid.UUID, sha256: bytes, size: int) -> None:
    await db.execute(
        """
        UPDATE pdf_archives SET state = 'READY', sha256 = $2, bytes = $3, done = cardinality(declaration_ids),
               finished_at = now(), last_error = NULL
        WHERE id = $1 AND state = 'BUILDING'
        """,
        archive_id,
        sha256,
        size,
    )


async def forget(db: asyncpg.Connection | asyncpg.Pool, asked_before: datetime.datetime) -> list[bytes]:
    """Delete the archives asked for before ``asked_before``; return the digests of their ZIPs
    that no archive left names (the caller deletes the files, once this has committed)."""
    rows = await db.fetch(
        """
        WITH gone AS (
            DELETE FROM pdf_archives WHERE created_at < $1 RETURNING id, sha256
        )
        SELECT DISTINCT g.sha256 FROM gone g
        WHERE g.sha256 IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM pdf_archives k WHERE k.sha256 = g.sha256 AND k.id NOT IN (SELECT id FROM gone)
        )
        """,
        asked_before,
    )
    return [row[0] for row in rows]


async def failed(
    db: asyncpg.Connection | asyncpg.Pool, archive_id: uuid.UUID, error: str, max_attempts: int, retry_seconds: int
) -> None:
    """An attempt failed: tried again later, waiting twice as long each time, until FAILED."""
    await db.execute(
        """
        UPDATE pdf_archives SET attempts = attempts + 1, last_error = left($2, 500), enqueued_at = NULL,
               state = CASE WHEN attempts + 1 >= $3 THEN 'FAILED'::archive_state ELSE state END,
               finished_at = CASE WHEN attempts + 1 >= $3 THEN now() END,
               due_at = now() + make_interval(secs => $4 * 2 ^ attempts)
        WHERE id = $1 AND state = 'BUILDING'
        """,
        archive_id,
        error,
        max_attempts,
        retry_seconds,
    )
