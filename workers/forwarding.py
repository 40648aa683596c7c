"""The jobs of forwarding: a planner that leases each endpoint with events to send to a job, and
that job, which posts the endpoint's batches one after the other (in order) while they are taken.

An endpoint's job holds its lease, renewed before each batch: a job that is killed leaves the
endpoint to the planner's next job once the lease has run out, and that job sends the batch
that was in flight again, the same events under the same ``webhook-id``.
"""

import datetime
import random
import time
import uuid
from typing import Any

import structlog

from portal import db as database
from portal.forwarding import events, feed_repository, metrics, repository
from portal.forwarding.feed_repository import FedEvent
from portal.forwarding.repository import Sending
from portal.forwarding.sender import Outcome, post
from portal.forwarding.service import listed, secret_box
from portal.forwarding.signature import SecretBox, webhook_id
from portal.settings import Settings
from workers import queue

log = structlog.get_logger(__name__)


async def plan_forwarding(ctx: dict[str, Any]) -> int:
    """Lease every endpoint that has events to send and may be tried now to a job of its own."""
    settings: Settings = ctx["settings"]
    # One job per endpoint at most (it holds the lease), in a quarter of the worker's slots: the
    # drain leaves the other half of them free of PDFs.
    room = max(settings.worker.max_jobs // 4, 1)
    lease = datetime.timedelta(seconds=settings.forwarding.lease_seconds)
    async with database.transaction(ctx["db_pool"]) as db:
        leased = await repository.claim_due(db, lease, room)
    for endpoint_id, token in leased:
        await queue.enqueue(ctx["redis"], "forward", str(endpoint_id), str(token), job_id=f"forward:{token}")
    return len(leased)


async def observe_forwarding(ctx: dict[str, Any]) -> None:
    """Each endpoint's backlog, oldest event, last success, failures and dead events, as metrics."""
    metrics.observe((await listed(ctx["db_pool"], None)).items, time.time())


async def forward(ctx: dict[str, Any], endpoint: str, lease_token: str) -> int:
    """Send the endpoint's batches, re-driven events first, until it is up to date, an attempt
    fails, its time is up or its lease is lost; return how many events it took."""
    settings: Settings = ctx["settings"]
    pool = ctx["db_pool"]
    endpoint_id, token = uuid.UUID(endpoint), uuid.UUID(lease_token)
    rules = settings.forwarding
    lease = datetime.timedelta(seconds=rules.lease_seconds)
    deadline = time.monotonic() + rules.run_seconds
    # Its key derived once a job (the portal's secret may be a file to read), not once a batch.
    box = secret_box(settings)
    taken = 0
    try:
        while time.monotonic() < deadline:
            sending = await repository.renew(pool, endpoint_id, token, lease)
            if sending is None:
                break
            async with database.transaction(pool) as db:
                fed = await feed_repository.redrive_batch(db, endpoint_id, token, rules.batch_size)
                redriving = bool(fed)
                upto = None
                if not redriving:
                    fed, upto = await feed_repository.feed_batch(db, endpoint_id, token, rules.batch_size)
            if not redriving and upto is None:
                break  # up to date
            outcome = await _send(ctx, box, endpoint_id, sending, fed) if fed else Outcome(True)
            metrics.ATTEMPTS.labels(endpoint, _outcome_label(outcome)).inc()
            async with database.transaction(pool) as db:
                if outcome.delivered:
                    if redriving:
                        await feed_repository.redelivered(db, endpoint_id, token)
                    else:
                        assert upto is not None
                        await feed_repository.delivered(db, endpoint_id, token, upto)
                else:
                    await _failed(db, settings, endpoint_id, token, sending, outcome, redriving)
            if not outcome.delivered:
                break
            metrics.EVENTS_DELIVERED.labels(endpoint).inc(len(fed))
            taken += len(fed)
    finally:
        await repository.release(pool, endpoint_id, token)
    return taken


async def _send(
    ctx: dict[str, Any], box: SecretBox, endpoint_id: uuid.UUID, sending: Sending, fed: list[FedEvent]
) -> Outcome:
    settings: Settings = ctx["settings"]
    pool = ctx["db_pool"]
    async with pool.acquire() as db:
        batch = await events.events_of(db, fed)
    if not batch:
        return Outcome(True)  # every declaration of the batch is gone (retention)
    secrets = [box.open(sealed) for sealed in await repository.secrets_of(pool, endpoint_id)]
    identity = webhook_id(str(endpoint_id), [event.event_id for event in batch])
    return await post(
        ctx["forwarding_client"], settings.forwarding, sending.url, secrets, identity, events.batch_body(batch)
    )


async def _failed(
    db: database.Transaction,
    settings: Settings,
    endpoint_id: uuid.UUID,
    token: uuid.UUID,
    sending: Sending,
    outcome: Outcome,
    redriving: bool,
) -> None:
    """Wait before the next attempt: twice as long each time (with jitter) while the circuit is
    closed, the longest wait once it is open, or what the receiver asked for; 410 disables the
    endpoint; events waiting longer than the outage limit are parked as dead."""
    rules = settings.forwarding
    streak = sending.failure_streak
    if outcome.retry_after is not None:
        wait = min(outcome.retry_after, rules.max_retry_seconds)
    elif streak + 1 >= rules.breaker_failures:
        wait = rules.max_retry_seconds * random.uniform(0.8, 1.0)
    else:
        wait = min(rules.retry_seconds * 2**streak, rules.max_retry_seconds) * random.uniform(0.5, 1.0)
    error = outcome.error or "failed"
    await feed_repository.attempt_failed(db, endpoint_id, token, error, datetime.timedelta(seconds=wait))
    if outcome.gone:
        await repository.set_state(db, endpoint_id, None, "DISABLED", error)
    log.warning(
        "forwarding attempt failed", endpoint=str(endpoint_id), error=error, failures=streak + 1, wait=round(wait, 1)
    )
    if not redriving:
        parked = await feed_repository.park_expired(
            db, endpoint_id, token, datetime.timedelta(hours=rules.outage_hours)
        )
        if parked:
            log.error("forwarding events parked as dead", endpoint=str(endpoint_id), parked=parked)


def _outcome_label(outcome: Outcome) -> str:
    if outcome.delivered:
        return "delivered"
    if outcome.gone:
        return "gone"
    return "throttled" if outcome.retry_after is not None else "failed"
