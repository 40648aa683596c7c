"""The worker process: ``portal worker`` runs this, with everything from the settings it is given."""

import time
from typing import Any

import redis.exceptions
import structlog

from portal import logs
from portal.db import close_pool, create_pool
from portal.documents.service import Rendering, archive_store
from portal.forwarding.sender import client as forwarding_client
from portal.settings import Settings
from workers import queue
from workers.accounts import send_account_mails
from workers.archives import build_archive
from workers.deliveries import drain, plan_weekly_emails, render_documents, send_digests, send_emails
from workers.forwarding import forward, observe_forwarding, plan_forwarding
from workers.housekeeping import apply_retention, sweep

log = structlog.get_logger(__name__)


def run(settings: Settings) -> None:
    """Run the worker until it is stopped; when Redis goes away under it (arq's loop does not
    survive that), start it again once Redis answers: the work waits in PostgreSQL meanwhile."""
    logs.configure(settings.log.level, as_json=settings.log.json)
    while True:
        contexts: list[dict[str, Any]] = []
        worker = _worker(settings, contexts)
        try:
            worker.run()
            return
        except (redis.exceptions.ConnectionError, OSError) as problem:
            log.warning("Redis went away: the worker starts again", error=repr(problem))
            # arq's own shutdown needs Redis: what the jobs opened is closed here instead.
            for ctx in contexts:
                if not ctx.get("closed"):
                    worker.loop.run_until_complete(_closed(ctx))
            time.sleep(_RESTART_SECONDS)


# A worker whose Redis went away tries again this often.
_RESTART_SECONDS = 2.0


async def _closed(ctx: dict[str, Any]) -> None:
    ctx["closed"] = True
    ctx["rendering"].renderer.close()
    await ctx["forwarding_client"].aclose()
    await close_pool(ctx["db_pool"])


def _worker(settings: Settings, contexts: list[dict[str, Any]]) -> queue.ArqWorker:
    async def startup(ctx: dict[str, Any]) -> None:
        contexts.append(ctx)
        ctx["settings"] = settings
        ctx["db_pool"] = await create_pool(settings.database.url, min_size=1, max_size=settings.worker.db_pool_max)
        ctx["rendering"] = Rendering.of(settings)
        ctx["archive_store"] = archive_store(settings)
        ctx["forwarding_client"] = forwarding_client(settings.forwarding)

    async def shutdown(ctx: dict[str, Any]) -> None:
        await _closed(ctx)

    retention, mail, forwarding = settings.retention, settings.mail, settings.forwarding
    return queue.build_worker(
        settings.redis.url,
        jobs=[
            queue.job(render_documents, timeout_seconds=300, max_tries=1),
            # Each message has its own SMTP timeout: the job's bounds a batch of them.
            queue.job(send_emails, timeout_seconds=600, max_tries=1),
            queue.job(send_digests, timeout_seconds=600, max_tries=1),
            # 10,000 PDFs at 10 a second, from scratch.
            queue.job(build_archive, timeout_seconds=1800, max_tries=1),
            # A job sends for run_seconds, and its last batch may take the POST's timeout.
            queue.job(forward, timeout_seconds=forwarding.run_seconds + 3 * forwarding.timeout_seconds, max_tries=1),
        ],
        periodic=[
            queue.every_seconds(drain, settings.delivery.drain_seconds, timeout_seconds=60),
            queue.every_seconds(plan_forwarding, 1, timeout_seconds=30),
            queue.every_seconds(send_account_mails, settings.delivery.drain_seconds, timeout_seconds=300),
            queue.every_seconds(observe_forwarding, 15, timeout_seconds=30),
            queue.weekly(plan_weekly_emails, weekday=mail.weekly_weekday, hour=mail.weekly_hour, timeout_seconds=600),
            queue.every_minutes(sweep, settings.worker.sweep_minutes, timeout_seconds=120),
            # At night, when filing is quiet; a detach waits for the transactions already running.
            queue.daily(apply_retention, hour=retention.hour, minute=retention.minute, timeout_seconds=1800),
        ],
        on_startup=startup,
        on_shutdown=shutdown,
        max_jobs=settings.worker.max_jobs,
    )
