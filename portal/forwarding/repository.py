"""SQL of forwarding: endpoints and their secrets, the feed, cursors, leases and parked events.

An endpoint's job holds its lease (``lease_token``): every statement that moves its cursor
names the token, so a job that lost its lease (too slow, its worker killed and another job
started) changes nothing more. See the 0013 migration for the design.
"""

import datetime
import uuid
from typing import NamedTuple

import asyncpg

from portal.db import Transaction

Source = asyncpg.Connection | asyncpg.Pool


async def add_endpoint(
    db: Transaction, endpoint_id: uuid.UUID, authority_id: uuid.UUID, url: str, sealed_secret: bytes
) -> bool:
    """A new endpoint of the authority, from the feed's end on; False if it has this URL already."""
    added = await db.fetchval(
        """
        INSERT INTO forwarding_endpoints (id, authority_id, posting_country, url, started_after, delivered_upto)
        SELECT $1, a.id, a.country, $3, fed.upto, fed.upto
        FROM authorities a, (SELECT coalesce(max(position), 0) AS upto FROM forwarding_feed) AS fed WHERE a.id = $2
        ON CONFLICT (authority_id, url) DO NOTHING RETURNING true
        """,
        endpoint_id,
        authority_id,
        url,
    )
    if added:
        await db.execute(
            "INSERT INTO forwarding_secrets (endpoint_id, secret) VALUES ($1, $2)", endpoint_id, sealed_secret
        )
    return bool(added)


async def rotate_secret(
    db: Transaction, endpoint_id: uuid.UUID, sealed_secret: bytes, overlap: datetime.timedelta
) -> datetime.datetime | None:
    """The new current secret; the ones before sign beside it until the time returned at most."""
    expires: datetime.datetime | None = await db.fetchval(
        """
        WITH retired AS (
            -- Those of earlier rotations still signing stop by then at the latest.
            UPDATE forwarding_secrets SET expires_at = least(coalesce(expires_at, 'infinity'), now() + $3::interval)
            WHERE endpoint_id = $1 AND (expires_at IS NULL OR expires_at > now()) RETURNING expires_at
        ), added AS (
            INSERT INTO forwarding_secrets (endpoint_id, secret) VALUES ($1, $2)
        )
        SELECT max(expires_at) FROM retired
        """,
        endpoint_id,
        sealed_secret,
        overlap,
    )
    return expires


async def secrets_of(db: Source, endpoint_id: uuid.UUID) -> list[bytes]:
    """The sealed secrets to sign with now, the newest first."""
    rows = await db.fetch(
        """
        SELECT secret FROM forwarding_secrets
        WHERE endpoint_id = $1 AND (expires_at IS NULL OR expires_at > now()) ORDER BY created_at DESC
        """,
        endpoint_id,
    )
    return [row[0] for row in rows]


async def set_state(
    db: Source, endpoint_id: uuid.UUID, authority_id: uuid.UUID | None, state: str, reason: str | None
) -> bool:
    """Disable or enable an endpoint (of ``authority_id``, when given); False if there is none."""
    changed = await db.fetchval(
        """
        UPDATE forwarding_endpoints SET state = $3::endpoint_state, disabled_reason = $4,
               next_attempt_at = now(), failure_streak = 0, failing_since = NULL
        WHERE id = $1 AND ($2::uuid IS NULL OR authority_id = $2) RETURNING true
        """,
        endpoint_id,
        authority_id,
        state,
        reason,
    )
    return bool(changed)


async def endpoints(
    db: Source, authority_id: uuid.UUID | None = None, endpoint_id: uuid.UUID | None = None
) -> list[asyncpg.Record]:
    """Endpoints (of one authority, or all; or the one ``endpoint_id``) with their backlog and
    failures, oldest first, in the names of ``schemas.forwarding.Endpoint``."""
    rows: list[asyncpg.Record] = await db.fetch(
        """
        SELECT e.id AS endpoint_id, e.authority_id, e.posting_country, e.url, e.state::text AS state,
               e.disabled_reason, e.created_at, pending.count + parked.redriving AS backlog,
               least(pending.oldest, parked.oldest) AS oldest_pending_at, e.last_success_at, e.failure_streak,
               e.failing_since, CASE WHEN e.failure_streak > 0 THEN e.next_attempt_at END AS next_attempt_at,
               e.last_error, parked.dead, parked.redriving
        FROM forwarding_endpoints e
        CROSS JOIN LATERAL (
            -- The events after the cursor (an index-only count), less those set aside among them.
            SELECT (SELECT count(*) FROM forwarding_feed f
                    WHERE f.posting_country = e.posting_country AND f.position > e.delivered_upto)
                   - (SELECT count(*) FROM forwarding_parked p
                      WHERE p.endpoint_id = e.id AND p.position > e.delivered_upto) AS count,
                   (SELECT f.fed_at FROM forwarding_feed f
                    WHERE f.posting_country = e.posting_country AND f.position > e.delivered_upto
                    ORDER BY f.position LIMIT 1) AS oldest
        ) AS pending
        CROSS JOIN LATERAL (
            SELECT count(*) FILTER (WHERE p.state = 'DEAD') AS dead,
                   count(*) FILTER (WHERE p.state = 'REDRIVE') AS redriving,
                   min(p.parked_at) FILTER (WHERE p.state = 'REDRIVE') AS oldest
            FROM forwarding_parked p WHERE p.endpoint_id = e.id
        ) AS parked
        WHERE ($1::uuid IS NULL OR e.authority_id = $1) AND ($2::uuid IS NULL OR e.id = $2)
        ORDER BY e.created_at, e.id
        """,
        authority_id,
        endpoint_id,
    )
    return rows


async def claim_due(db: Transaction, lease: datetime.timedelta, limit: int) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """Active endpoints with events to send whose wait is over and that no job holds, leased to a
    new job each: (endpoint, lease token)."""
    rows = await db.fetch(
        """
        WITH due AS (
            SELECT e.id FROM forwarding_endpoints e
            WHERE e.state = 'ACTIVE' AND e.next_attempt_at <= now()
              AND (e.leased_until IS NULL OR e.leased_until < now())
              AND (EXISTS (SELECT 1 FROM forwarding_feed f
                           WHERE f.posting_country = e.posting_country AND f.position > e.delivered_upto)
                   OR EXISTS (SELECT 1 FROM forwarding_parked p WHERE p.endpoint_id = e.id AND p.state = 'REDRIVE'))
            ORDER BY e.next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED
        )
        UPDATE forwarding_endpoints e SET lease_token = gen_random_uuid(), leased_until = now() + $1::interval
        FROM due WHERE e.id = due.id RETURNING e.id, e.lease_token
        """,
        lease,
        limit,
    )
    return [(row[0], row[1]) for row in rows]


class Sending(NamedTuple):
    url: str
    failure_streak: int


async def renew(db: Source, endpoint_id: uuid.UUID, token: uuid.UUID, lease: datetime.timedelta) -> Sending | None:
    """Hold the lease a while longer, and say where the endpoint's batches go; None if the
    endpoint is no longer this job's (or disabled)."""
    row = await db.fetchrow(
        """
        UPDATE forwarding_endpoints SET leased_until = now() + $3::interval
        WHERE id = $1 AND lease_token = $2 AND state = 'ACTIVE'
        RETURNING url, failure_streak
        """,
        endpoint_id,
        token,
        lease,
    )
    return Sending(*row) if row else None


async def release(db: Source, endpoint_id: uuid.UUID, token: uuid.UUID) -> None:
    await db.execute(
        "UPDATE forwarding_endpoints SET lease_token = NULL, leased_until = NULL WHERE id = $1 AND lease_token = $2",
        endpoint_id,
        token,
    )


class Standing(NamedTuple):
    authority_id: uuid.UUID
    authority_name: str
    state: str
    failing_since: datetime.datetime | None


async def standing(db: Source, declaration_id: uuid.UUID, version: int, country: str) -> list[Standing]:
    """How ``version`` stands with each active endpoint of ``country`` registered before it was fed."""
    rows = await db.fetch(
        """
        SELECT a.id, a.name,
               CASE WHEN f.position IS NULL THEN 'PENDING'
                    WHEN p.state = 'DEAD' THEN 'DEAD'
                    WHEN p.state = 'DELIVERED' OR (p.state IS NULL AND e.delivered_upto >= f.position) THEN 'FORWARDED'
                    WHEN e.failing_since IS NOT NULL THEN 'FAILING'
                    ELSE 'PENDING' END,
               e.failing_since
        FROM forwarding_endpoints e JOIN authorities a ON a.id = e.authority_id
        LEFT JOIN forwarding_feed f ON f.declaration_id = $1 AND f.version = $2
        LEFT JOIN forwarding_parked p ON p.endpoint_id = e.id AND p.position = f.position
        WHERE e.posting_country = $3 AND e.state = 'ACTIVE' AND (f.position IS NULL OR f.position > e.started_after)
        ORDER BY a.name, a.id
        """,
        declaration_id,
        version,
        country,
    )
    return [Standing(*row) for row in rows]
