"""The worker's side: a submission drained into a PDF delivery, rendered once, in the reader's language."""

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import msgspec
import pytest

from portal import i18n
from portal.db import create_pool, transaction
from portal.documents.service import Rendering
from portal.identity.repository import set_operator_profile
from portal.identity.storage import OperatorProfile
from portal.settings import Settings
from tests.documents.reading import text
from tests.factories import Operator
from tests.helpers import Client, submitted
from workers import queue
from workers.deliveries import drain, render_documents


@pytest.fixture
async def worker(settings: Settings) -> AsyncIterator[dict[str, Any]]:
    """What a worker's jobs are given (arq's ctx), on the servers of the tests."""
    ctx: dict[str, Any] = {
        "settings": settings,
        "db_pool": await create_pool(settings.database.url, min_size=1, max_size=2),
        "redis": await queue.connect(settings.redis.url),
        "rendering": Rendering.of(settings),
    }
    yield ctx
    ctx["rendering"].renderer.close()
    await ctx["redis"].aclose()
    await ctx["db_pool"].close()


async def deliveries_of(db: asyncpg.Connection, declaration_id: str) -> list[asyncpg.Record]:
    return await db.fetch(
        "SELECT id, version, kind::text, language, state::text FROM deliveries WHERE declaration_id = $1 ORDER BY id",
        declaration_id,
    )


async def test_a_submission_gets_its_pdf_once(
    client: Client, operator: Operator, db: asyncpg.Connection, worker: dict[str, Any]
) -> None:
    async with transaction(db) as tx:
        await set_operator_profile(tx, operator.operator_id, OperatorProfile(language="fr"))
    declaration = await submitted(client, operator)
    await drain(worker)
    [delivery] = await deliveries_of(db, declaration["declarationId"])
    # The driver has no language of their own: their operator's.
    assert (delivery["kind"], delivery["language"], delivery["state"]) == ("PDF", "fr", "PENDING")
    await drain(worker)  # drained once: nothing more
    assert len(await deliveries_of(db, declaration["declarationId"])) == 1

    assert await render_documents(worker, [delivery["id"]]) == 1
    assert await render_documents(worker, [delivery["id"]]) == 0  # run twice, done once
    [done] = await deliveries_of(db, declaration["declarationId"])
    assert done["state"] == "DONE"
    sha = await db.fetchval(
        "SELECT sha256 FROM documents WHERE declaration_id = $1 AND language = 'fr'", declaration["declarationId"]
    )
    pdf = await worker["rendering"].store.get(sha)
    assert i18n.translations("fr").gettext("Posting declaration") in text(pdf)

    # A print in the same language finds it stored: the same bytes.
    answer = await client.post(
        f"/declarations/{declaration['declarationId']}/print",
        json={"declarationLanguage": "fr"},
        headers=operator.headers,
    )
    download = await client.get(answer.text.removeprefix("http://127.0.0.1:8000"))
    assert download.content == pdf


async def test_a_job_lost_with_the_queue_is_enqueued_again(
    client: Client, operator: Operator, db: asyncpg.Connection, worker: dict[str, Any]
) -> None:
    declaration = await submitted(client, operator)
    await drain(worker)
    [delivery] = await deliveries_of(db, declaration["declarationId"])
    await worker["redis"].flushdb()  # Redis restarted with its data wiped
    # Not again before its time: a job is in the queue, as far as the portal knows ...
    await drain(worker)
    assert await worker["redis"].zcard(queue.QUEUE_NAME) == 0
    # ... and once it has waited too long, it is.
    await db.execute("UPDATE deliveries SET enqueued_at = now() - interval '1 hour' WHERE id = $1", delivery["id"])
    await drain(worker)
    jobs = await worker["redis"].zrange(queue.QUEUE_NAME, 0, -1)
    assert any(str(delivery["id"]) in job.decode() for job in jobs)
    stored = [msgspec.msgpack.decode(await worker["redis"].get(f"arq:job:{job.decode()}")) for job in jobs]
    assert any(delivery["id"] in job["a"][0] for job in stored)
