"""The worker as a real process, broken in the ways a deployment breaks it: PostgreSQL restarted
under it, killed with -9 in the middle of a batch, Redis restarted with its data wiped, the store
refusing writes, the SMTP relay refusing for a while. Afterwards every submitted version has
exactly its PDF, each stored once, each e-mail was accepted once, and declarationEmailStatus
says SENT."""

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from email import message_from_bytes
from pathlib import Path

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from portal import settings as configuration
from portal.app import create_app
from portal.db import migrate, transaction
from portal.embedded import EmbeddedServices
from portal.identity.service import register_operator
from portal.settings import Settings
from tests.conftest import settings_for
from tests.documents.relays import CountingRelay, counting_relay
from tests.factories import Operator
from tests.helpers import submitted

DECLARATIONS = 24
pytestmark = pytest.mark.timeout(300)


class Worker:
    """``portal worker`` in a session of its own, so that it dies whole (its renderers too)."""

    def __init__(self, settings: Settings) -> None:
        environment = os.environ | configuration.as_environment(settings)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "portal", "worker"],
            env=environment,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()


async def counts(url: str) -> dict[tuple[str, str], int]:
    db = await asyncpg.connect(url)
    try:
        rows = await db.fetch("SELECT kind::text, state::text, count(*) FROM deliveries GROUP BY 1, 2")
    finally:
        await db.close()
    return {(row[0], row[1]): row[2] for row in rows}


async def wait_for(url: str, predicate: object, seconds: float) -> dict[tuple[str, str], int]:
    deadline = time.monotonic() + seconds
    while True:
        try:
            found = await counts(url)
        except (OSError, asyncpg.PostgresError):
            found = {}
        if predicate(found):  # type: ignore[operator]
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached within {seconds} s: {found}")
        await asyncio.sleep(0.5)


@pytest.fixture
async def private_servers(tmp_path: Path) -> AsyncIterator[tuple[EmbeddedServices, EmbeddedServices]]:
    """PostgreSQL and Redis of this test's own, so that it can restart and wipe them."""
    database = EmbeddedServices(tmp_path / "pg", database=True, cache=False).start()
    cache = EmbeddedServices(tmp_path / "redis", database=False, cache=True).start()
    try:
        yield database, cache
    finally:
        cache.stop()
        database.stop()


async def test_the_worker_survives_what_breaks_and_delivers_everything_once(
    private_servers: tuple[EmbeddedServices, EmbeddedServices], tmp_path: Path
) -> None:
    database, cache = private_servers
    await migrate(database.database_url)
    async with counting_relay() as relay:
        await _break_and_recover(database, cache, relay, tmp_path)


async def _break_and_recover(
    database: EmbeddedServices, cache: EmbeddedServices, relay: CountingRelay, tmp_path: Path
) -> None:
    smtp_url = relay.url
    store = tmp_path / "store"
    settings = configuration.replace(
        settings_for(database.database_url, cache.redis_url),
        documents={"store_path": str(store), "pages_per_job": 4},
        delivery={
            "drain_seconds": 1,
            "requeue_seconds": 3,
            "lease_seconds": 15,
            "retry_seconds": 1,
            "max_attempts": 30,
        },
        mail={"smtp_url": smtp_url, "timeout_seconds": 5},
    )
    db = await asyncpg.connect(database.database_url)
    async with transaction(db) as tx:
        operator_id, key = await register_operator(tx, "Faults Transport", "PL")
    await db.close()
    operator = Operator(operator_id, key)
    async with AsyncTestClient(create_app(settings)) as client:
        filed = [
            await submitted(client, operator, driverEmail=f"driver{index}@example.com") for index in range(DECLARATIONS)
        ]

    worker = Worker(settings)
    try:
        # Rendering has begun; e-mails are refused meanwhile.
        await wait_for(database.database_url, lambda c: c.get(("PDF", "DONE"), 0) >= 2, 120)
        database.stop()  # PostgreSQL restarted under the running worker
        database.start()
        before = (await counts(database.database_url)).get(("PDF", "DONE"), 0)
        await wait_for(database.database_url, lambda c: c.get(("PDF", "DONE"), 0) > before, 120)
        worker.kill()  # in the middle of a batch
    finally:
        worker.stop()

    cache.stop()  # Redis restarted with its data wiped
    shutil.rmtree(cache.data_dir / "redis")
    cache.start()
    aside = tmp_path / "store-aside"
    store.rename(aside)
    store.write_text("not a folder")  # the store refuses every write for a while
    relay.refusing = False

    worker = Worker(settings)
    try:
        await asyncio.sleep(4)
        store.unlink()
        aside.rename(store)
        done = await wait_for(
            database.database_url,
            lambda c: c.get(("PDF", "DONE"), 0) == DECLARATIONS and c.get(("EMAIL", "DONE"), 0) == DECLARATIONS,
            180,
        )
    finally:
        worker.stop()

    assert done.get(("PDF", "FAILED"), 0) == 0
    assert done.get(("EMAIL", "FAILED"), 0) == 0
    db = await asyncpg.connect(database.database_url)
    try:
        documents = await db.fetch("SELECT declaration_id, version, sha256 FROM documents")
        statuses = await db.fetch("SELECT DISTINCT email_status::text FROM declarations")
    finally:
        await db.close()
    # Every submitted version has exactly its PDF, stored once under its digest.
    assert sorted((str(row[0]), row[1]) for row in documents) == sorted(
        (declaration["declarationId"], declaration["declarationVersion"]) for declaration in filed
    )
    assert len(documents) == DECLARATIONS
    files = list(store.rglob("*.pdf"))
    assert len(files) == len({row[2] for row in documents}) == DECLARATIONS
    assert not list(store.rglob(".incoming-*"))  # nothing half-written left behind
    # Each e-mail accepted once by the relay, to its own address.
    ids = Counter(message_from_bytes(message)["Message-ID"] for message in relay.accepted)
    assert len(ids) == DECLARATIONS
    assert set(ids.values()) == {1}
    assert [row[0] for row in statuses] == ["SENT"]
