"""The job that builds a ZIP of PDFs asked for with POST /declarations/pdf-archive."""

import uuid
from typing import Any

import structlog

from portal.archives import repository, service

log = structlog.get_logger(__name__)


async def build_archive(ctx: dict[str, Any], archive_id: str) -> bool:
    """Build one archive; False if it is built already or gone (a job run twice builds once)."""
    settings, pool = ctx["settings"], ctx["db_pool"]
    archive = await repository.fetch(pool, uuid.UUID(archive_id))
    if archive is None or archive.state != "BUILDING":
        return False
    try:
        await service.build(pool, ctx["rendering"], ctx["archive_store"], archive, settings.documents.pages_per_job)
    except Exception as problem:
        delivery = settings.delivery
        await repository.failed(pool, archive.id, repr(problem), delivery.max_attempts, delivery.retry_seconds)
        log.warning("archive failed", archive=archive_id, error=repr(problem))
        return False
    log.info("archive built", archive=archive_id, declarations=len(archive.declaration_ids))
    return True
