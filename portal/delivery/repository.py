"""SQL of deliveries: drained from the event log, picked when due, marked done or retried."""

import datetime
from collections.abc import Sequence
from typing import NamedTuple

import asyncpg

from portal import i18n
from portal.db import Transaction


async def drain(db: Transaction) -> int | None:
    """Derive the deliveries of the events of every transaction finished since the last drain;
    return how many were made, or None if another drain holds the horizon.

    The horizon moves to the snapshot's xmin: every transaction below it has committed or
    rolled back, so every event it recorded is visible now, whatever order they committed in.
    """
    made: int | None = await db.fetchval(
        """
        WITH horizon AS MATERIALIZED (
            SELECT horizon AS since, pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS upto
            FROM event_drain FOR UPDATE SKIP LOCKED
        ), events AS (
            SELECT e.declaration_id, e.version FROM declaration_events e, horizon h
            WHERE e.recorded_by >= h.since AND e.recorded_by < h.upto AND e.event_type <> 'WITHDRAWN'
        ), planned AS (
            INSERT INTO deliveries (declaration_id, version, kind, language)
            SELECT e.declaration_id, e.version, 'PDF',
                   CASE WHEN chosen.language = ANY($1::text[]) THEN chosen.language ELSE $2 END
            FROM events e
            JOIN declarations d ON d.id = e.declaration_id
            JOIN drivers r ON r.id = d.driver_id
            JOIN operators o ON o.id = d.operator_id
            CROSS JOIN LATERAL (SELECT coalesce(r.language, o.profile->>'language') AS language) AS chosen
            ON CONFLICT DO NOTHING
            RETURNING 1
        ), moved AS (
            UPDATE event_drain SET horizon = h.upto FROM horizon h RETURNING 1
        )
        SELECT CASE WHEN EXISTS (SELECT 1 FROM moved) THEN (SELECT count(*) FROM planned) END
        """,
        list(i18n.LANGUAGES),
        i18n.DEFAULT,
    )
    return made


class Due(NamedTuple):
    id: int
    kind: str


async def take_due(db: Transaction, limit: int, requeue_after: datetime.timedelta) -> list[Due]:
    """Up to ``limit`` deliveries due and not enqueued lately, oldest first, marked enqueued now."""
    rows = await db.fetch(
        """
        WITH due AS (
            SELECT id FROM deliveries
            WHERE state = 'PENDING' AND due_at <= now() AND (enqueued_at IS NULL OR enqueued_at < now() - $2::interval)
            ORDER BY due_at, id LIMIT $1 FOR UPDATE SKIP LOCKED
        )
        UPDATE deliveries d SET enqueued_at = now() FROM due WHERE d.id = due.id RETURNING d.id, d.kind::text
        """,
        limit,
        requeue_after,
    )
    return sorted(Due(row[0], row[1]) for row in rows)


async def pending(db: asyncpg.Connection | asyncpg.Pool, ids: Sequence[int], kind: str) -> list[asyncpg.Record]:
    """The deliveries of ``ids`` of ``kind`` still to do (a job run twice finds the first's done)."""
    return await db.fetch(
        """
        SELECT id, declaration_id, version, language, address FROM deliveries
        WHERE id = ANY($1::bigint[]) AND kind = $2::delivery_kind AND state = 'PENDING' ORDER BY id
        """,
        list(ids),
        kind,
    )


async def done(db: Transaction, ids: Sequence[int]) -> None:
    await db.execute(
        "UPDATE deliveries SET state = 'DONE', done_at = now(), last_error = NULL WHERE id = ANY($1::bigint[])",
        list(ids),
    )


async def failed(db: Transaction, ids: Sequence[int], error: str, max_attempts: int, retry_seconds: int) -> None:
    """An attempt failed: try again later, waiting twice as long each time, until FAILED."""
    await db.execute(
        """
        UPDATE deliveries SET attempts = attempts + 1, last_error = left($2, 500), enqueued_at = NULL,
               state = CASE WHEN attempts + 1 >= $3 THEN 'FAILED'::delivery_state ELSE state END,
               due_at = now() + make_interval(secs => $4 * 2 ^ attempts)
        WHERE id = ANY($1::bigint[]) AND state = 'PENDING'
        """,
        list(ids),
        error,
        max_attempts,
        retry_seconds,
    )
