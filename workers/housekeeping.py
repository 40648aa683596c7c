"""Periodic housekeeping jobs."""

import datetime
from typing import Any

import structlog

from portal import clock
from portal.archives import repository as archives
from portal.bulk.service import sweep_interrupted
from portal.idempotency import repository as idempotency
from portal.retention import service as retention

log = structlog.get_logger(__name__)


async def sweep(ctx: dict[str, Any]) -> dict[str, int]:
    """Forget stored answers older than the retry window (a key is only for retrying one request),
    mark INTERRUPTED the bulk uploads of a server that was killed, and delete the archives of
    PDFs past their days."""
    settings = ctx["settings"]
    cutoff = clock.now() - datetime.timedelta(hours=settings.idempotency.key_hours)
    purged = await idempotency.purge(ctx["db_pool"], cutoff)
    interrupted = await sweep_interrupted(ctx["db_pool"])
    unnamed = await archives.forget(
        ctx["db_pool"], clock.now() - datetime.timedelta(days=settings.documents.archive_days)
    )
    await ctx["archive_store"].delete(unnamed)
    log.info("swept", idempotency_keys=purged, uploads_interrupted=interrupted, archive_files_deleted=len(unnamed))
    return {"idempotency_keys": purged, "uploads_interrupted": interrupted, "archive_files": len(unnamed)}


async def apply_retention(ctx: dict[str, Any]) -> int:
    """Delete what is past retention and prepare the audit log's months ahead; return the
    declarations deleted."""
    async with ctx["db_pool"].acquire() as db:
        done = await retention.apply(db, ctx["settings"].retention, clock.today(), ctx["rendering"].store)
    log.info("retention applied", declarations=done.declarations, audit_months=len(done.audit_months))
    return done.declarations
