"""The worker process: ``portal worker`` runs this, with everything from the settings it is given."""

from typing import Any

from portal import logs
from portal.db import close_pool, create_pool
from portal.documents.service import Rendering
from portal.settings import Settings
from workers import queue
from workers.deliveries import drain, render_documents
from workers.housekeeping import apply_retention, sweep


def run(settings: Settings) -> None:
    logs.configure(settings.log.level, as_json=settings.log.json)

    async def startup(ctx: dict[str, Any]) -> None:
        ctx["settings"] = settings
        ctx["db_pool"] = await create_pool(settings.database.url, min_size=1, max_size=settings.worker.db_pool_max)
        ctx["rendering"] = Rendering.of(settings)

    async def shutdown(ctx: dict[str, Any]) -> None:
        ctx["rendering"].renderer.close()
        await close_pool(ctx["db_pool"])

    retention = settings.retention
    worker = queue.build_worker(
        settings.redis.url,
        jobs=[queue.job(render_documents, timeout_seconds=300, max_tries=1)],
        periodic=[
            queue.every_seconds(drain, settings.delivery.drain_seconds, timeout_seconds=60),
            queue.every_minutes(sweep, settings.worker.sweep_minutes, timeout_seconds=120),
            # At night, when filing is quiet; a detach waits for the transactions already running.
            queue.daily(apply_retention, hour=retention.hour, minute=retention.minute, timeout_seconds=1800),
        ],
        on_startup=startup,
        on_shutdown=shutdown,
        max_jobs=settings.worker.max_jobs,
    )
    worker.run()
