"""SQL of deliveries: drained from the event log, picked when due, marked done or retried."""

import datetime
import uuid
from collections.abc import Sequence
from typing import NamedTuple

import asyncpg

from portal import i18n
from portal.db import Transaction

# The language a version's driver reads, over drivers ``r`` and operators ``o``: theirs, else
# their operator's, else English. Every statement that uses it takes the languages of ours as
# $1 and English as $2.
_CHOSEN = "CROSS JOIN LATERAL (SELECT coalesce(r.language, o.profile->>'language') AS language) AS chosen"
_READER_LANGUAGE = "CASE WHEN chosen.language = ANY($1::text[]) THEN chosen.language ELSE $2 END"


class Drained(NamedTuple):
    made: int
    # Events of finished transactions are left for the next drain (there were more than its limit).
    more: bool


async def drain(db: Transaction, limit: int = 25_000) -> Drained | None:
    """Derive the deliveries of the events of transactions finished since the last drain, of
    about ``limit`` events (whole transactions); None if another drain holds the horizon.

    The horizon moves towards the snapshot's xmin: every transaction below it has committed or
    rolled back, so every event it recorded is visible now, whatever order they committed in.
    A backlog (a bulk upload of a million) is drained ``limit`` events at a time, so that its
    first events are forwarded and printed while the rest waits, not after it all.
    Each submission and update gets its PDF, in the language its driver reads, and its e-mail to
    ``driverEmail`` where one is given and the version is still the current one (a later
    version's own event e-mails that one instead). Every event is numbered in the forwarding
    feed, in commit order (see the 0013 migration).
    """
    # Three statements, the bounds of each passed to the next as parameters: in one statement
    # the planner cannot see the range, so it scanned the whole event log three times and the
    # declarations twice a part, ever longer as they grow (1M backlog: 103 s, 80 s once split).
    finished = await db.fetchrow(
        "SELECT horizon, pg_snapshot_xmin(pg_current_snapshot())::text::bigint FROM event_drain FOR UPDATE SKIP LOCKED"
    )
    if finished is None:
        return None
    since, xmin = finished
    # Up to the transaction of the event after the first ``limit``, or past the first
    # transaction whole where it alone holds more.
    upto = await db.fetchval(
        """
        SELECT least($2, greatest(
            coalesce((SELECT recorded_by FROM declaration_events
                      WHERE recorded_by >= $1 AND recorded_by < $2 ORDER BY recorded_by OFFSET $3 LIMIT 1), $2),
            coalesce((SELECT min(recorded_by) + 1 FROM declaration_events
                      WHERE recorded_by >= $1 AND recorded_by < $2), $2)))
        """,
        since,
        xmin,
        limit,
    )
    made = await db.fetchval(
        f"""
        WITH events AS MATERIALIZED (
            SELECT e.declaration_id, e.version, e.event_type, e.id, e.superseded->>'posting_country' AS country
            FROM declaration_events e
            WHERE e.recorded_by >= $3 AND e.recorded_by < $4
        ), fed AS (
            -- In the order the events were recorded: a declaration's versions in version order.
            INSERT INTO forwarding_feed (posting_country, declaration_id, version, event_type)
            SELECT coalesce(e.country, d.posting_country), e.declaration_id, e.version, e.event_type
            FROM events e JOIN declarations d ON d.id = e.declaration_id
            ORDER BY e.id
        ), targets AS (
            SELECT e.declaration_id, e.version, d.version AS current_version, d.driver_email,
                   {_READER_LANGUAGE} AS language
            FROM events e
            JOIN declarations d ON d.id = e.declaration_id
            JOIN drivers r ON r.id = d.driver_id
            JOIN operators o ON o.id = d.operator_id
            {_CHOSEN}
            WHERE e.event_type <> 'WITHDRAWN'
        ), planned AS (
            INSERT INTO deliveries (declaration_id, version, kind, language, address)
            SELECT declaration_id, version, 'PDF'::delivery_kind, language, NULL FROM targets
            UNION ALL
            SELECT declaration_id, version, 'EMAIL'::delivery_kind, language, driver_email FROM targets
            WHERE driver_email IS NOT NULL AND current_version = version
            ON CONFLICT DO NOTHING
            RETURNING 1
        )
        SELECT count(*) FROM planned
        """,
        list(i18n.LANGUAGES),
        i18n.DEFAULT,
        since,
        upto,
    )
    await db.execute("UPDATE event_drain SET horizon = $1", upto)
    return Drained(made, upto < xmin)


async def request_email(
    db: Transaction, declaration_id: uuid.UUID, version: int, language: str, address: str, request_key: str
) -> None:
    """An e-mail asked for: a delivery of its own (the same address may be sent it again), and
    the declaration's e-mail status says QUEUED until this one is sent or fails."""
    await db.execute(
        """
        WITH asked AS (
            INSERT INTO deliveries (declaration_id, version, kind, language, address, request_key)
            VALUES ($1, $2, 'EMAIL', $3, $4, $5) ON CONFLICT DO NOTHING
        )
        UPDATE declarations SET email_status = 'QUEUED' WHERE id = $1
        """,
        declaration_id,
        version,
        language,
        address,
        request_key,
    )


async def email_outcome(db: Transaction, delivery_id: int, declaration_id: uuid.UUID, status: str) -> None:
    """The declaration's e-mail status, if ``delivery_id`` is its last e-mail asked for."""
    await db.execute(
        """
        UPDATE declarations SET email_status = $3::declaration_email_status
        WHERE id = $2 AND NOT EXISTS (
            SELECT 1 FROM deliveries l WHERE l.declaration_id = $2 AND l.kind = 'EMAIL' AND l.id > $1
        )
        """,
        delivery_id,
        declaration_id,
        status,
    )


async def plan_digests(db: Transaction, today: datetime.date, days_ahead: int, week: str) -> int:
    """The weekly e-mails of ``week``: one per driver and address with a current or coming
    declaration, of each operator that turned them on; planned once a week whatever reruns."""
    status: str = await db.execute(
        f"""
        INSERT INTO deliveries (declaration_id, version, kind, language, address, request_key)
        SELECT DISTINCT ON (d.driver_id, d.driver_email)
               d.id, d.version, 'DIGEST'::delivery_kind, {_READER_LANGUAGE}, d.driver_email, $5
        FROM operators o
        JOIN declarations d ON d.operator_id = o.id
        JOIN drivers r ON r.id = d.driver_id
        {_CHOSEN}
        WHERE (o.profile->>'weeklyDriverEmail')::boolean AND d.status = 'SUBMITTED' AND d.driver_email IS NOT NULL
          AND d.end_date >= $3 AND d.start_date <= $3 + $4::int
        ORDER BY d.driver_id, d.driver_email, d.start_date, d.id
        ON CONFLICT DO NOTHING
        """,
        list(i18n.LANGUAGES),
        i18n.DEFAULT,
        today,
        days_ahead,
        week,
    )
    return int(status.rsplit(" ", 1)[-1])


class Listed(NamedTuple):
    declaration_id: uuid.UUID
    version: int
    posting_country: str
    start_date: datetime.date
    end_date: datetime.date


async def digest_listing(
    db: asyncpg.Connection | asyncpg.Pool, anchor: uuid.UUID, address: str, today: datetime.date, days_ahead: int
) -> list[Listed]:
    """What a weekly e-mail lists: the current and coming declarations of the anchor's driver
    that name ``address``, as they stand when it is sent, soonest first."""
    rows = await db.fetch(
        """
        SELECT d.id, d.version, d.posting_country, d.start_date, d.end_date
        FROM declarations a JOIN declarations d ON d.driver_id = a.driver_id AND d.operator_id = a.operator_id
        WHERE a.id = $1 AND d.status = 'SUBMITTED' AND d.driver_email = $2
          AND d.end_date >= $3 AND d.start_date <= $3 + $4::int
        ORDER BY d.start_date, d.id
        """,
        anchor,
        address,
        today,
        days_ahead,
    )
    return [Listed(*row) for row in rows]


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
              AND (leased_until IS NULL OR leased_until < now())
            ORDER BY due_at, id LIMIT $1 FOR UPDATE SKIP LOCKED
        )
        UPDATE deliveries d SET enqueued_at = now() FROM due WHERE d.id = due.id RETURNING d.id, d.kind::text
        """,
        limit,
        requeue_after,
    )
    return sorted(Due(row[0], row[1]) for row in rows)


async def claim(
    db: asyncpg.Connection | asyncpg.Pool, ids: Sequence[int], kind: str, lease: datetime.timedelta
) -> list[asyncpg.Record]:
    """Those of ``ids`` of ``kind`` still to do and claimed by no other job, claimed for
    ``lease``: a job run twice finds the first's done, or claimed while it works."""
    rows = await db.fetch(
        """
        UPDATE deliveries SET leased_until = now() + $3::interval
        WHERE id = ANY($1::bigint[]) AND kind = $2::delivery_kind AND state = 'PENDING'
          AND (leased_until IS NULL OR leased_until < now())
        RETURNING id, declaration_id, version, language, address
        """,
        list(ids),
        kind,
        lease,
    )
    return sorted(rows, key=lambda row: row["id"])


async def done(db: Transaction, ids: Sequence[int]) -> None:
    await db.execute(
        """
        UPDATE deliveries SET state = 'DONE', done_at = now(), last_error = NULL, leased_until = NULL
        WHERE id = ANY($1::bigint[])
        """,
        list(ids),
    )


async def failed(db: Transaction, ids: Sequence[int], error: str, max_attempts: int, retry_seconds: int) -> list[int]:
    """An attempt failed: try again later, waiting twice as long each time, until FAILED.
    Returns those of ``ids`` that are FAILED now: they are not tried again."""
    rows = await db.fetch(
        """
        UPDATE deliveries SET attempts = attempts + 1, last_error = left($2, 500), enqueued_at = NULL,
               leased_until = NULL,
               state = CASE WHEN attempts + 1 >= $3 THEN 'FAILED'::delivery_state ELSE state END,
               due_at = now() + make_interval(secs => $4 * 2 ^ attempts)
        WHERE id = ANY($1::bigint[]) AND state = 'PENDING'
        RETURNING id, state = 'FAILED'
        """,
        list(ids),
        error,
        max_attempts,
        retry_seconds,
    )
    return sorted(row[0] for row in rows if row[1])
