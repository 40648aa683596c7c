"""Periodic housekeeping jobs."""

import datetime
from typing import Any

import structlog

from portal import clock

log = structlog.get_logger(__name__)


async def purge_idempotency_keys(ctx: dict[str, Any]) -> int:
    """Forget stored answers older than the retry window: a key is only for retrying one request."""
    hours = ctx["settings"].idempotency_key_hours
    cutoff = clock.now() - datetime.timedelta(hours=hours)
    status = await ctx["db_pool"].execute("DELETE FROM idempotency_keys WHERE created_at < $1", cutoff)
    purged = int(status.split()[-1])
    log.info("purged idempotency keys", count=purged, older_than_hours=hours)
    return purged
