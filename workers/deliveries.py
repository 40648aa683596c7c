"""The jobs of deliveries: the drain (and sweep) that enqueues them, the PDF renderer, the mailer."""

import datetime
import time
from collections.abc import Awaitable, Callable
from email.message import EmailMessage
from typing import Any

import asyncpg
import structlog

from portal import clock
from portal import db as database
from portal.archives import repository as archives
from portal.delivery import repository as deliveries
from portal.documents import service as documents
from portal.documents.repository import DocumentKey
from portal.documents.service import Rendering
from portal.mail import sender
from portal.mail.service import EmailDelivery, digest_for, message_for, week_of
from portal.settings import Settings
from workers import queue

log = structlog.get_logger(__name__)


async def drain(ctx: dict[str, Any]) -> dict[str, int]:
    """Make the deliveries of newly committed events, then enqueue what is due: new deliveries,
    retries whose wait is over, and any enqueued too long ago and never done (the sweep); and
    the archives asked for, likewise."""
    settings, pool, redis = ctx["settings"], ctx["db_pool"], ctx["redis"]
    delivery = settings.delivery
    made = 0
    # A backlog is drained a part at a time, within the job's time (the next run goes on).
    deadline = time.monotonic() + _DRAIN_SECONDS
    while True:
        async with database.transaction(pool) as db:
            drained = await deliveries.drain(db, delivery.drain_events)
        made += drained.made if drained else 0
        if drained is None or not drained.more or time.monotonic() > deadline:
            break
    # arq has one queue, first in first out, for every job, the periodic ones too, and a render
    # job holds a slot of the worker while it waits for the renderers: with more jobs queued
    # than half the slots, forwarding, e-mails and this drain itself wait behind the PDFs
    # (measured: nothing forwarded in 300 s behind 20,000 PDFs). The rest waits in PostgreSQL.
    room = min(delivery.queued_max, max(settings.worker.max_jobs // 2, 1)) - await queue.waiting(redis)
    if room <= 0:
        return {"made": made, "enqueued": 0}
    per_job = settings.documents.pages_per_job
    requeue_after = datetime.timedelta(seconds=delivery.requeue_seconds)
    async with database.transaction(pool) as db:
        due = await deliveries.take_due(db, room * per_job, requeue_after)
    # Enqueued after the commit that marked them: a job never runs before its delivery says so.
    jobs = 0
    for kind, function in _JOBS.items():
        for batch in _batched([item.id for item in due if item.kind == kind], per_job):
            # A retry is a new job: arq keeps a finished job's id for a while and would refuse it.
            await queue.enqueue(
                redis, function, batch, job_id=f"{kind.lower()}:{batch[0]}:{batch[-1]}:{time.time_ns()}"
            )
            jobs += 1
    async with database.transaction(pool) as db:
        building = await archives.take_due(db, max(room - jobs, 0), requeue_after)
    for archive_id in building:
        await queue.enqueue(redis, "build_archive", str(archive_id), job_id=f"archive:{archive_id}:{time.time_ns()}")
        jobs += 1
    if made or jobs:
        log.info("deliveries drained", made=made, jobs=jobs)
    return {"made": made, "enqueued": jobs}


# How long a drain goes on with a backlog (its job may take 60 seconds).
_DRAIN_SECONDS = 30
# The job of each kind of delivery.
_JOBS = {"PDF": "render_documents", "EMAIL": "send_emails", "DIGEST": "send_digests"}


def _batched(items: list[int], size: int) -> list[list[int]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


async def render_documents(ctx: dict[str, Any], ids: list[int]) -> int:
    """Render and store the PDFs of PDF deliveries ``ids``; return how many were done."""
    settings, pool = ctx["settings"], ctx["db_pool"]
    lease = datetime.timedelta(seconds=settings.delivery.lease_seconds)
    todo = await deliveries.claim(pool, ids, "PDF", lease)
    if not todo:
        return 0
    keys = [DocumentKey(row["declaration_id"], row["version"], documents.language_of(row["language"])) for row in todo]
    try:
        await documents.ensure(pool, ctx["rendering"], keys)
    except Exception as problem:
        async with database.transaction(pool) as db:
            await deliveries.failed(
                db,
                [row["id"] for row in todo],
                repr(problem),
                settings.delivery.max_attempts,
                settings.delivery.retry_seconds,
            )
        # Not raised: the delivery waits and is enqueued again (arq's own retry would double it).
        log.warning("rendering failed", deliveries=len(todo), error=repr(problem))
        return 0
    async with database.transaction(pool) as db:
        await deliveries.done(db, [row["id"] for row in todo])
    return len(todo)


async def send_emails(ctx: dict[str, Any], ids: list[int]) -> int:
    """Send the e-mails of EMAIL deliveries ``ids``; the declaration's e-mail status follows."""
    return await _send_each(ctx, ids, "EMAIL", message_for)


async def send_digests(ctx: dict[str, Any], ids: list[int]) -> int:
    """Send the weekly e-mails of DIGEST deliveries ``ids``."""
    return await _send_each(ctx, ids, "DIGEST", digest_for)


async def plan_weekly_emails(ctx: dict[str, Any]) -> int:
    """Plan this week's e-mails to drivers (once a week: a rerun that week plans nothing more)."""
    settings, pool = ctx["settings"], ctx["db_pool"]
    today = clock.today()
    async with database.transaction(pool) as db:
        planned = await deliveries.plan_digests(db, today, settings.mail.weekly_days_ahead, week_of(today))
    if planned:
        log.info("weekly e-mails planned", planned=planned)
    return planned


Compose = Callable[[asyncpg.Pool, Rendering, Settings, EmailDelivery], Awaitable[EmailMessage | None]]


async def _send_each(ctx: dict[str, Any], ids: list[int], kind: str, compose: Compose) -> int:
    """Send each message, marked sent as soon as the relay has accepted it (a job killed after
    that sends the rest, not that one again); return how many were sent."""
    settings, pool = ctx["settings"], ctx["db_pool"]
    delivery = settings.delivery
    # The status of a declaration is of the e-mails asked for it, not of the weekly ones.
    tracked = kind == "EMAIL"
    lease = datetime.timedelta(seconds=delivery.lease_seconds)
    sent = 0
    for delivery_id in ids:
        # Claimed one at a time, as it is sent: a lease runs for one message, not a batch.
        claimed = await deliveries.claim(pool, [delivery_id], kind, lease)
        if not claimed:
            continue  # done already, or another job's
        [row] = claimed
        email = EmailDelivery(
            row["id"],
            DocumentKey(row["declaration_id"], row["version"], documents.language_of(row["language"])),
            row["address"],
        )
        try:
            message = await compose(pool, ctx["rendering"], settings, email)
            if message is not None:
                await sender.send(settings.mail, message)
        except Exception as problem:
            async with database.transaction(pool) as db:
                given_up = await deliveries.failed(
                    db, [email.id], repr(problem), delivery.max_attempts, delivery.retry_seconds
                )
                if given_up and tracked:
                    await deliveries.email_outcome(db, email.id, email.key.declaration_id, "FAILED")
            log.warning("e-mail failed", kind=kind, delivery=email.id, error=repr(problem), given_up=bool(given_up))
            continue
        async with database.transaction(pool) as db:
            await deliveries.done(db, [email.id])
            if message is not None and tracked:
                await deliveries.email_outcome(db, email.id, email.key.declaration_id, "SENT")
        sent += message is not None
    return sent
