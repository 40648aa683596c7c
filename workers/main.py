"""The worker process: ``portal worker`` runs this."""

from typing import Any

from portal import logs
from portal.db import create_pool
from portal.settings import Settings
from workers import queue
from workers.housekeeping import apply_retention, purge_idempotency_keys


def run(settings: Settings) -> None:
    logs.configure(settings.log_level, as_json=settings.log_json)

    async def startup(ctx: dict[str, Any]) -> None:
        ctx["settings"] = settings
        ctx["db_pool"] = await create_pool(settings.database_url, min_size=1, max_size=4)

    async def shutdown(ctx: dict[str, Any]) -> None:
        await ctx["db_pool"].close()

    worker = queue.build_worker(
        settings.redis_url,
        jobs=[],
        periodic=[
            queue.every_minutes(purge_idempotency_keys, 15, timeout_seconds=120),
            # At night, when filing is quiet; a detach waits for the transactions already running.
            queue.daily(apply_retention, hour=2, minute=30, timeout_seconds=1800),
        ],
        on_startup=startup,
        on_shutdown=shutdown,
    )
    worker.run()
