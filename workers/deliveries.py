"""The jobs of deliveries: the drain (and sweep) that enqueues them, and the PDF renderer."""

import datetime
from typing import Any

import structlog

from portal import db as database
from portal.delivery import repository as deliveries
from portal.documents import service as documents
from portal.documents.repository import DocumentKey
from workers import queue

log = structlog.get_logger(__name__)


async def drain(ctx: dict[str, Any]) -> dict[str, int]:
    """Make the deliveries of newly committed events, then enqueue what is due: new deliveries,
    retries whose wait is over, and any enqueued too long ago and never done (the sweep)."""
    settings, pool, redis = ctx["settings"], ctx["db_pool"], ctx["redis"]
    delivery = settings.delivery
    async with database.transaction(pool) as db:
        made = await deliveries.drain(db) or 0
    room = delivery.queued_max - await queue.waiting(redis)
    if room <= 0:
        return {"made": made, "enqueued": 0}
    per_job = settings.documents.pages_per_job
    async with database.transaction(pool) as db:
        due = await deliveries.take_due(db, room * per_job, datetime.timedelta(minutes=delivery.requeue_minutes))
    # Enqueued after the commit that marked them: a job never runs before its delivery says so.
    jobs = 0
    pdfs = [item.id for item in due if item.kind == "PDF"]
    for batch in _batched(pdfs, per_job):
        await queue.enqueue(redis, "render_documents", list(batch), job_id=f"pdf:{batch[0]}:{batch[-1]}")
        jobs += 1
    if made or jobs:
        log.info("deliveries drained", made=made, jobs=jobs)
    return {"made": made, "enqueued": jobs}


def _batched(items: list[int], size: int) -> list[list[int]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


async def render_documents(ctx: dict[str, Any], ids: list[int]) -> int:
    """Render and store the PDFs of PDF deliveries ``ids``; return how many were done."""
    settings, pool = ctx["settings"], ctx["db_pool"]
    todo = await deliveries.pending(pool, ids, "PDF")
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
