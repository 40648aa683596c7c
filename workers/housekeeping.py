"""Periodic housekeeping jobs."""

import datetime
from typing import Any

import structlog

from portal import clock
from portal.idempotency import repository
from portal.retention import service as retention

log = structlog.get_logger(__name__)


async def purge_idempotency_keys(ctx: dict[str, Any]) -> int:
    """Forget stored answers older than the retry window: a key is only for retrying one request."""
    hours = ctx["settings"].idempotency_key_hours
    cutoff = clock.now() - datetime.timedelta(hours=hours)
    purged = await repository.purge(ctx["db_pool"], cutoff)
    log.info("purged idempotency keys", count=purged, older_than_hours=hours)
    return purged


async def apply_retention(ctx: dict[str, Any]) -> int:
    """Drop the months past retention and prepare the months ahead; return the months dropped."""
    async with ctx["db_pool"].acquire() as db:
        dropped = await retention.apply(db, ctx["settings"], clock.today())
    log.info("retention applied", months_dropped=len(dropped), rows=sum(month.rows for month in dropped))
    return len(dropped)
