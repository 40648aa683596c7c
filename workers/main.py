"""The worker process: ``portal worker`` runs this, with everything from the settings it is given."""

from typing import Any

from portal import logs
from portal.db import close_pool, create_pool
from portal.documents.service import Rendering, archive_store
from portal.settings import Settings
from workers import queue
from workers.archives import build_archive
from workers.deliveries import drain, plan_weekly_emails, render_documents, send_digests, send_emails
from workers.housekeeping import apply_retention, sweep


def run(settings: Settings) -> None:
    logs.configure(settings.log.level, as_json=settings.log.json)

    async def startup(ctx: dict[str, Any]) -> None:
        ctx["settings"] = settings
        ctx["db_pool"] = await create_pool(settings.database.url, min_size=1, max_size=settings.worker.db_pool_max)
        ctx["rendering"] = Rendering.of(settings)
        ctx["archive_store"] = archive_store(settings)

    async def shutdown(ctx: dict[str, Any]) -> None:
        ctx["rendering"].renderer.close()
        await close_pool(ctx["db_pool"])

    retention, mail = settings.retention, settings.mail
    worker = queue.build_worker(
        settings.redis.url,
        jobs=[
            queue.job(render_documents, timeout_seconds=300, max_tries=1),
            # Each message has its own SMTP timeout: the job's bounds a batch of them.
            queue.job(send_emails, timeout_seconds=600, max_tries=1),
            queue.job(send_digests, timeout_seconds=600, max_tries=1),
            # 10,000 PDFs at 10 a second, from scratch.
            queue.job(build_archive, timeout_seconds=1800, max_tries=1),
        ],
        periodic=[
            queue.every_seconds(drain, settings.delivery.drain_seconds, timeout_seconds=60),
            queue.weekly(plan_weekly_emails, weekday=mail.weekly_weekday, hour=mail.weekly_hour, timeout_seconds=600),
            queue.every_minutes(sweep, settings.worker.sweep_minutes, timeout_seconds=120),
            # At night, when filing is quiet; a detach waits for the transactions already running.
            queue.daily(apply_retention, hour=retention.hour, minute=retention.minute, timeout_seconds=1800),
        ],
        on_startup=startup,
        on_shutdown=shutdown,
        max_jobs=settings.worker.max_jobs,
    )
    worker.run()
