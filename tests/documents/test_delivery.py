"""The worker's side: a submission drained into a PDF delivery, rendered once, in the reader's language."""

from typing import Any

import asyncpg
import msgspec

from portal import i18n
from portal.db import transaction
from portal.identity.repository import set_operator_profile
from portal.identity.storage import OperatorProfile
from schemas.drivers import DriverFields
from tests.documents.reading import text
from tests.factories import Operator
from tests.helpers import Client, submitted
from workers import queue
from workers.deliveries import drain, render_documents


async def deliveries_of(db: asyncpg.Connection, declaration_id: str, kind: str = "PDF") -> list[asyncpg.Record]:
    return await db.fetch(
        """
        SELECT id, version, kind::text, language, address, state::text, attempts FROM deliveries
        WHERE declaration_id = $1 AND kind = $2::delivery_kind ORDER BY id
        """,
        declaration_id,
        kind,
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


async def test_the_driver_language_comes_before_the_operator_language(
    client: Client, operator: Operator, db: asyncpg.Connection, worker: dict[str, Any]
) -> None:
    async with transaction(db) as tx:
        await set_operator_profile(tx, operator.operator_id, OperatorProfile(language="fr"))
    declaration = await submitted(client, operator)
    driver_path = f"/drivers/{declaration['driverId']}"
    driver = (await client.get(driver_path, headers=operator.headers)).json()
    assert driver["driverLanguage"] is None
    fields = {key: value for key, value in driver.items() if key in DriverFields.__struct_encode_fields__}
    changed = await client.put(driver_path, json=fields | {"driverLanguage": "lt"}, headers=operator.headers)
    assert changed.status_code == 200, changed.text
    assert changed.json()["driverLanguage"] == "lt"
    assert changed.json()["driverLastUpdate"] == driver["driverLastUpdate"]  # a preference: no new version
    refused = await client.put(driver_path, json=fields | {"driverLanguage": "xx"}, headers=operator.headers)
    assert refused.status_code == 422
    updated = await client.put(
        f"/declarations/{declaration['declarationId']}/submit",
        json={"declarationEndDate": declaration["declarationStartDate"]},
        headers=operator.headers,
    )
    assert updated.status_code == 200, updated.text
    await drain(worker)
    languages = {(row["version"], row["language"]) for row in await deliveries_of(db, declaration["declarationId"])}
    assert (updated.json()["declarationVersion"], "lt") in languages
    emails = await deliveries_of(db, declaration["declarationId"], "EMAIL")
    assert [row["language"] for row in emails][-1:] == ["lt"]
