"""Periodic housekeeping jobs."""

import datetime
from typing import Any

import structlog

from portal import clock
from portal.idempotency import repository

log = structlog.get_logger(__name__)


async def purge_idempotency_keys(ctx: dict[str, Any]) -> int:
    """Forget stored answers older than the retry window: a key is only for retrying one request."""
    hours = ctx["settings"].idempotency_key_hours
    cutoff = clock.now() - datetime.timedelta(hours=hours)
    purged = await repository.purge(ctx["db_pool"], cutoff)
    log.info("purged idempotency keys", count=purged, older_than_hours=hours)
    return purged
