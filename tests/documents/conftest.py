"""What the worker's jobs are given, on the servers of the tests, with a mail sink to send to."""

import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from portal import settings as configuration
from portal.db import create_pool
from portal.documents.service import Rendering, archive_store
from portal.mail.sink import MailSink
from portal.settings import Settings
from workers import queue


@pytest.fixture(scope="session")
def mail_sink() -> Iterator[MailSink]:
    with MailSink(Path(tempfile.mkdtemp(prefix="portal-mail-"))) as sink:
        yield sink


@pytest.fixture
def worker_settings(settings: Settings, mail_sink: MailSink) -> Settings:
    # Retries a second apart, so that a test sees a delivery fail, wait and succeed; and room in
    # the queue for every test's deliveries (the tests share a database, and no worker renders
    # the PDFs that the other tests' submissions planned).
    return configuration.replace(
        settings,
        mail={"smtp_url": mail_sink.url, "timeout_seconds": 5},
        delivery={"retry_seconds": 1},
        worker={"max_jobs": 400},
    )


@pytest.fixture
async def worker(worker_settings: Settings) -> AsyncIterator[dict[str, Any]]:
    """arq's ctx of a worker process."""
    ctx: dict[str, Any] = {
        "settings": worker_settings,
        "db_pool": await create_pool(worker_settings.database.url, min_size=1, max_size=2),
        "redis": await queue.connect(worker_settings.redis.url),
        "rendering": Rendering.of(worker_settings),
        "archive_store": archive_store(worker_settings),
    }
    yield ctx
    ctx["rendering"].renderer.close()
    await ctx["redis"].aclose()
    await ctx["db_pool"].close()
