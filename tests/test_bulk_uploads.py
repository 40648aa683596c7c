"""Bulk uploads that race, and servers that stop or die in the middle of one: never a 500,
never a record filed twice, and the client can always send the upload again to file the rest."""

import asyncio
import contextlib
import datetime
import json
import os
import signal
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import msgspec
import pytest
from litestar.testing import AsyncTestClient

from portal.app import create_app
from portal.bulk.service import partition_of, sweep_interrupted
from portal.settings import Bulk
from tests.conftest import new_operator, settings_for
from tests.factories import Operator, driver_body
from tests.helpers import Client
from tests.servers import served_portal
from tests.test_bulk import NDJSON, ndjson, record

RECORDS = 3000


def records(prefix: str, count: int) -> list[dict[str, Any]]:
    return [record(f"{prefix}-{index:05d}") for index in range(count)]


async def trickle(lines: list[dict[str, Any]], per_chunk: int, pause: float) -> AsyncIterator[bytes]:
    """The records a few at a time, as a slow client sends them."""
    for start in range(0, len(lines), per_chunk):
        yield ndjson(lines[start : start + per_chunk])
        await asyncio.sleep(pause)


async def state(db: asyncpg.Connection, upload_id: uuid.UUID) -> asyncpg.Record:
    row = await db.fetchrow("SELECT state, received, accepted, message FROM bulk_uploads WHERE id = $1", upload_id)
    assert row is not None
    return row


async def filed(db: asyncpg.Connection, operator: Operator) -> int:
    count: int = await db.fetchval("SELECT count(*) FROM declarations WHERE operator_id = $1", operator.operator_id)
    return count


async def test_two_uploads_with_one_id_at_once_give_one_202_and_one_409(
    client: Client, operator: Operator, db: asyncpg.Connection
) -> None:
    upload_id = uuid.uuid4()
    url = f"/declarations/bulk?uploadId={upload_id}"
    headers = operator.headers | NDJSON
    answers = await asyncio.gather(
        client.post(url, content=ndjson(records("RACE-A", 20)), headers=headers),
        client.post(url, content=ndjson(records("RACE-B", 20)), headers=headers),
    )
    assert sorted(answer.status_code for answer in answers) == [202, 409]
    [refused] = [answer for answer in answers if answer.status_code == 409]
    assert [error["code"] for error in refused.json()["errors"]] == ["upload_exists"]
    assert await filed(db, operator) == 20


@pytest.fixture
def portal_env(servers: tuple[str, str], database_url: str, tmp_path: Path) -> dict[str, str]:
    return os.environ | {
        "DATABASE_URL": database_url,
        "REDIS_URL": servers[1],
        "PORTAL_DATA_DIR": str(tmp_path),
        # Small batches, so that some commit while the upload is still being sent.
        "PORTAL_BULK_BATCH_SIZE": "200",
        "PORTAL_BULK_STOP_SECONDS": "10",
    }


async def _upload_until_some_are_filed(
    url: str, operator: Operator, db: asyncpg.Connection, upload_id: uuid.UUID, lines: list[dict[str, Any]]
) -> "asyncio.Task[httpx.Response]":
    """Start sending ``lines`` slowly; return once a few batches are filed."""
    client = httpx.AsyncClient(base_url=url, timeout=httpx.Timeout(60, read=None))

    async def send() -> httpx.Response:
        async with client:
            return await client.post(
                f"/declarations/bulk?uploadId={upload_id}&submit=true",
                content=trickle(lines, 100, 0.1),
                headers=operator.headers | NDJSON,
            )

    sending = asyncio.create_task(send())
    for _ in range(300):
        row = await db.fetchrow("SELECT accepted FROM bulk_uploads WHERE id = $1", upload_id)
        if row is not None and row["accepted"] >= 400:
            return sending
        await asyncio.sleep(0.05)
    raise AssertionError("the upload filed nothing")


async def _send_again(client: Client, operator: Operator, lines: list[dict[str, Any]]) -> dict[str, Any]:
    again = await client.post(
        "/declarations/bulk?submit=true", content=ndjson(lines), headers=operator.headers | NDJSON
    )
    assert again.status_code == 202, again.text
    summary: dict[str, Any] = again.json()
    return summary


async def test_an_upload_of_a_killed_server_is_marked_interrupted_and_sent_again(
    client: Client, db: asyncpg.Connection, portal_env: dict[str, str], tmp_path: Path
) -> None:
    operator = await new_operator(db)
    lines = records("KILL", RECORDS)
    upload_id = uuid.uuid4()
    with served_portal(portal_env, tmp_path / "portal.log", "--workers", "1", "--no-worker") as (url, server):
        sending = await _upload_until_some_are_filed(url, operator, db, upload_id, lines)
        # While it is being read, another upload under its id is refused at once.
        async with httpx.AsyncClient(base_url=url) as other:
            late = await other.post(
                f"/declarations/bulk?uploadId={upload_id}", content=b"", headers=operator.headers | NDJSON
            )
        assert late.status_code == 409, late.text
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(10)
        with contextlib.suppress(httpx.HTTPError):
            await sending
    assert (await state(db, upload_id))["state"] == "RUNNING"
    # The worker's sweep finds it held by no one: interrupted, with its counts as committed.
    for _ in range(100):
        if await sweep_interrupted(db, quiet_seconds=0):
            break
        await asyncio.sleep(0.1)
    interrupted = await state(db, upload_id)
    assert interrupted["state"] == "INTERRUPTED"
    assert "send the upload again" in interrupted["message"]
    assert interrupted["accepted"] == await filed(db, operator) >= 400
    assert await filed(db, operator) < RECORDS
    summary = await _send_again(client, operator, lines)
    assert (summary["state"], summary["accepted"], summary["rejected"]) == ("DONE", RECORDS, 0)
    assert await filed(db, operator) == RECORDS


async def test_a_server_stopped_for_a_deploy_finishes_its_batch_and_marks_the_upload_interrupted(
    client: Client, db: asyncpg.Connection, portal_env: dict[str, str], tmp_path: Path
) -> None:
    operator = await new_operator(db)
    lines = records("STOP", RECORDS)
    upload_id = uuid.uuid4()
    with served_portal(portal_env, tmp_path / "portal.log", "--workers", "1", "--no-worker") as (url, server):
        sending = await _upload_until_some_are_filed(url, operator, db, upload_id, lines)
        os.killpg(server.pid, signal.SIGTERM)
        await asyncio.to_thread(server.wait, 30)
        with contextlib.suppress(httpx.HTTPError):
            await sending
    stopped = await state(db, upload_id)
    assert stopped["state"] == "INTERRUPTED", (await asyncio.to_thread((tmp_path / "portal.log").read_text))[-3000:]
    assert "the server stopped" in stopped["message"]
    assert stopped["accepted"] == stopped["received"] == await filed(db, operator)
    summary = await _send_again(client, operator, lines)
    assert (summary["state"], summary["accepted"]) == ("DONE", RECORDS)
    assert await filed(db, operator) == RECORDS


def test_records_are_whole_lines() -> None:
    assert json.loads(ndjson(records("X", 1)).decode())["clientReference"] == "X-00000"


async def test_one_reference_in_two_partitions_files_one_declaration(
    database_url: str, servers: tuple[str, str], db: asyncpg.Connection
) -> None:
    """Records of two drivers go to two partitions, each filing on its own: the same reference
    in both is filed once, the other record answered with the declaration filed under it."""
    settings = msgspec.structs.replace(settings_for(database_url, servers[1]), bulk=Bulk(partitions=2, batch_size=50))
    operator = await new_operator(db)
    first = record("TWICE")
    second = record("TWICE", driver_body())
    while partition_of(second["driverLicenseNumber"], datetime.date.fromisoformat(second["driverDateOfBirth"]), 2) == (
        partition_of(first["driverLicenseNumber"], datetime.date.fromisoformat(first["driverDateOfBirth"]), 2)
    ):
        second = record("TWICE", driver_body())
    async with AsyncTestClient(create_app(settings)) as client:
        response = await client.post(
            "/declarations/bulk?submit=true", content=ndjson([first, second]), headers=operator.headers | NDJSON
        )
        assert response.status_code == 202, response.text
        assert (response.json()["state"], response.json()["accepted"]) == ("DONE", 2)
        results = await client.get(response.json()["resultsUrl"], headers=operator.headers)
    ids = {json.loads(line)["declarationId"] for line in results.text.splitlines()}
    assert len(ids) == 1
    assert await filed(db, operator) == 1
