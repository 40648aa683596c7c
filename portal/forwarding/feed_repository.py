"""SQL of the feed and of sending it: each endpoint's batches, their outcomes, parked events.

An endpoint has two lanes: the feed after its cursor, and its re-driven events. A batch of
either is recorded before it is sent (``inflight_upto``, ``redrive_inflight``), so that a retry
is the same batch. Statements name the job's lease token (see ``repository``).
"""

import datetime
import uuid
from typing import NamedTuple

from portal.db import Transaction
from portal.forwarding.repository import Source


class FedEvent(NamedTuple):
    position: int
    declaration_id: uuid.UUID
    version: int
    event_type: str


async def feed_page(db: Source, country: str, after: int, limit: int) -> list[FedEvent]:
    rows = await db.fetch(
        """
        SELECT position, declaration_id, version, event_type::text FROM forwarding_feed
        WHERE posting_country = $1 AND position > $2 ORDER BY position LIMIT $3
        """,
        country,
        after,
        limit,
    )
    return [FedEvent(*row) for row in rows]


async def feed_batch(
    db: Transaction, endpoint_id: uuid.UUID, token: uuid.UUID, size: int
) -> tuple[list[FedEvent], int | None]:
    """The feed's next batch for the endpoint and the position it ends at: the one being tried,
    or a new one of up to ``size`` events, less those set aside behind an earlier event of their
    declaration that is parked (all of them, at times). None: the endpoint is up to date (or
    no longer this job's)."""
    state = await db.fetchrow(
        """
        SELECT posting_country, delivered_upto, inflight_upto FROM forwarding_endpoints
        WHERE id = $1 AND lease_token = $2 FOR UPDATE
        """,
        endpoint_id,
        token,
    )
    if state is None:
        return [], None
    country, delivered_upto, upto = state
    if upto is None:
        upto = await db.fetchval(
            """
            SELECT max(position) FROM (
                SELECT position FROM forwarding_feed WHERE posting_country = $1 AND position > $2
                ORDER BY position LIMIT $3
            ) AS batch
            """,
            country,
            delivered_upto,
            size,
        )
        if upto is None:
            return [], None
        await db.execute(
            """
            WITH held AS (
                INSERT INTO forwarding_parked (endpoint_id, position, declaration_id, state)
                SELECT $1, f.position, f.declaration_id, behind.state
                FROM forwarding_feed f
                CROSS JOIN LATERAL (
                    SELECT CASE WHEN bool_or(p.state = 'REDRIVE') THEN 'REDRIVE' ELSE 'DEAD' END::parked_state AS state
                    FROM forwarding_parked p
                    WHERE p.endpoint_id = $1 AND p.declaration_id = f.declaration_id AND p.state <> 'DELIVERED'
                    HAVING count(*) > 0
                ) AS behind
                WHERE f.posting_country = $2 AND f.position > $3 AND f.position <= $4
                ON CONFLICT DO NOTHING
            )
            UPDATE forwarding_endpoints SET inflight_upto = $4 WHERE id = $1
            """,
            endpoint_id,
            country,
            delivered_upto,
            upto,
        )
    rows = await db.fetch(
        """
        SELECT f.position, f.declaration_id, f.version, f.event_type::text FROM forwarding_feed f
        WHERE f.posting_country = $2 AND f.position > $3 AND f.position <= $4
          AND NOT EXISTS (SELECT 1 FROM forwarding_parked p WHERE p.endpoint_id = $1 AND p.position = f.position)
        ORDER BY f.position
        """,
        endpoint_id,
        country,
        delivered_upto,
        upto,
    )
    return [FedEvent(*row) for row in rows], upto


async def redrive_batch(db: Transaction, endpoint_id: uuid.UUID, token: uuid.UUID, size: int) -> list[FedEvent]:
    """The next batch of the endpoint's re-driven events: the one being tried, or a new one."""
    state = await db.fetchrow(
        """
        SELECT posting_country, redrive_inflight FROM forwarding_endpoints
        WHERE id = $1 AND lease_token = $2 FOR UPDATE
        """,
        endpoint_id,
        token,
    )
    if state is None:
        return []
    country, positions = state
    if positions is None:
        positions = await db.fetchval(
            """
            WITH batch AS (
                SELECT position FROM forwarding_parked WHERE endpoint_id = $1 AND state = 'REDRIVE'
                ORDER BY position LIMIT $2
            )
            UPDATE forwarding_endpoints SET redrive_inflight = (SELECT array_agg(position ORDER BY position) FROM batch)
            WHERE id = $1 RETURNING redrive_inflight
            """,
            endpoint_id,
            size,
        )
        if not positions:
            return []
    rows = await db.fetch(
        """
        SELECT position, declaration_id, version, event_type::text FROM forwarding_feed
        WHERE posting_country = $1 AND position = ANY($2::bigint[]) ORDER BY position
        """,
        country,
        positions,
    )
    return [FedEvent(*row) for row in rows]


_SUCCEEDED = """last_success_at = now(), failure_streak = 0, failing_since = NULL, next_attempt_at = now(),
    last_error = NULL"""


async def delivered(db: Transaction, endpoint_id: uuid.UUID, token: uuid.UUID, upto: int) -> None:
    """The feed's batch up to ``upto`` was taken: the cursor moves past it."""
    await db.execute(
        f"""
        WITH moved AS (
            UPDATE forwarding_endpoints SET delivered_upto = $3, inflight_upto = NULL, {_SUCCEEDED}
            WHERE id = $1 AND lease_token = $2 RETURNING id
        )
        DELETE FROM forwarding_parked p USING moved
        WHERE p.endpoint_id = moved.id AND p.state = 'DELIVERED' AND p.position <= $3
        """,
        endpoint_id,
        token,
        upto,
    )


async def redelivered(db: Transaction, endpoint_id: uuid.UUID, token: uuid.UUID) -> None:
    """The re-driven batch being tried was taken. Its events behind the cursor are done with;
    those in the feed's batch in flight stay (DELIVERED) until the cursor passes them."""
    await db.execute(
        f"""
        WITH batch AS (
            SELECT delivered_upto, redrive_inflight FROM forwarding_endpoints WHERE id = $1 AND lease_token = $2
        ), forgotten AS (
            DELETE FROM forwarding_parked p USING batch b
            WHERE p.endpoint_id = $1 AND p.position = ANY(b.redrive_inflight) AND p.position <= b.delivered_upto
        ), kept AS (
            UPDATE forwarding_parked p SET state = 'DELIVERED' FROM batch b
            WHERE p.endpoint_id = $1 AND p.position = ANY(b.redrive_inflight) AND p.position > b.delivered_upto
        )
        UPDATE forwarding_endpoints SET redrive_inflight = NULL, {_SUCCEEDED} WHERE id = $1 AND lease_token = $2
        """,
        endpoint_id,
        token,
    )


async def attempt_failed(
    db: Transaction, endpoint_id: uuid.UUID, token: uuid.UUID, error: str, wait: datetime.timedelta
) -> None:
    await db.execute(
        """
        UPDATE forwarding_endpoints SET failure_streak = failure_streak + 1, last_error = left($3, 500),
               failing_since = coalesce(failing_since, now()), next_attempt_at = now() + $4::interval
        WHERE id = $1 AND lease_token = $2
        """,
        endpoint_id,
        token,
        error,
        wait,
    )


async def park_expired(
    db: Transaction, endpoint_id: uuid.UUID, token: uuid.UUID, older_than: datetime.timedelta
) -> int:
    """Park as dead the feed's events the endpoint has not taken for ``older_than`` (its cursor
    moves past them, the batch in flight is dropped); how many."""
    parked: int = await db.fetchval(
        """
        WITH endpoint AS (
            SELECT id, posting_country, delivered_upto FROM forwarding_endpoints WHERE id = $1 AND lease_token = $2
        ), expired AS (
            SELECT max(f.position) AS upto FROM endpoint e JOIN forwarding_feed f
                ON f.posting_country = e.posting_country AND f.position > e.delivered_upto
            WHERE f.fed_at < now() - $3::interval
        ), parked AS (
            INSERT INTO forwarding_parked (endpoint_id, position, declaration_id)
            SELECT e.id, f.position, f.declaration_id FROM endpoint e, expired x, forwarding_feed f
            WHERE f.posting_country = e.posting_country AND f.position > e.delivered_upto AND f.position <= x.upto
            ON CONFLICT DO NOTHING RETURNING 1
        ), moved AS (
            UPDATE forwarding_endpoints e SET delivered_upto = x.upto, inflight_upto = NULL
            FROM expired x WHERE e.id = $1 AND x.upto IS NOT NULL
        )
        SELECT count(*) FROM parked
        """,
        endpoint_id,
        token,
        older_than,
    )
    return parked


async def redrive(
    db: Transaction, endpoint_id: uuid.UUID, since: datetime.datetime | None, until: datetime.datetime | None
) -> int:
    """Deliver again the endpoint's dead events fed in [since, until), with every other dead event
    of the same declarations (those after wait behind them, those before go first: a receiver
    gets a declaration's versions in order); how many. The endpoint is tried now."""
    count: int = await db.fetchval(
        """
        WITH chosen AS (
            SELECT DISTINCT p.declaration_id FROM forwarding_parked p
            JOIN forwarding_endpoints e ON e.id = p.endpoint_id
            JOIN forwarding_feed f ON f.posting_country = e.posting_country AND f.position = p.position
            WHERE p.endpoint_id = $1 AND p.state = 'DEAD'
              AND ($2::timestamptz IS NULL OR f.fed_at >= $2) AND ($3::timestamptz IS NULL OR f.fed_at < $3)
        ), marked AS (
            UPDATE forwarding_parked p SET state = 'REDRIVE' FROM chosen c
            WHERE p.endpoint_id = $1 AND p.declaration_id = c.declaration_id AND p.state = 'DEAD'
            RETURNING 1
        ), woken AS (
            UPDATE forwarding_endpoints SET next_attempt_at = now() WHERE id = $1
        )
        SELECT count(*) FROM marked
        """,
        endpoint_id,
        since,
        until,
    )
    return count
