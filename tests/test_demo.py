"""A newcomer's first five minutes: ``portal serve --demo``, file with the printed operator key,
print the PDF, find the declaration with the printed authority key, open the QR code's page,
and read the e-mail the worker sent the driver where ``portal serve`` said it keeps them."""

import asyncio
import os
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.conftest import empty_database
from tests.documents.reading import qr_codes
from tests.factories import days
from tests.servers import running_portal


def kept_messages(folder: Path, seconds: float) -> list[Path]:
    """The messages kept in ``folder``, once there is one (or ``seconds`` have passed)."""
    deadline = time.monotonic() + seconds
    while not (found := list(folder.glob("*.eml"))) and time.monotonic() < deadline:
        time.sleep(0.5)
    return found


@pytest.fixture
async def fresh_database(servers: tuple[str, str]) -> AsyncIterator[str]:
    """A database of its own: the worker that serve starts drains every event it holds."""
    async with empty_database(servers[0], "portal_demo_") as url:
        yield url


async def test_serve_demo_prints_keys_that_file_and_find(
    servers: tuple[str, str], fresh_database: str, tmp_path: Path
) -> None:
    env = os.environ | {"DATABASE_URL": fresh_database, "REDIS_URL": servers[1], "PORTAL_DATA_DIR": str(tmp_path)}
    log = tmp_path / "serve.log"
    with running_portal(env, log, "--demo", "--workers", "1") as url:
        printed = log.read_text()
        operator = re.search(r"Demo operator:\s+operatorId (\S+)\s+apiKey (\S+)", printed)
        authority = re.search(r"Demo authority:\s+authorityId (\S+)\s+apiKey (\S+)", printed)
        assert operator, printed
        assert authority, printed
        kept = re.search(r"E-mail:\s+kept as .eml files in (\S+)", printed)
        assert kept, printed
        receiver = re.search(r"Demo receiver:\s+(\S+)", printed)
        assert receiver, printed
        operator_headers = {"x-operator-id": operator[1], "x-api-key": operator[2]}
        async with httpx.AsyncClient(base_url=url, headers=operator_headers) as client:
            driver_id = (await client.get("/drivers?limit=1")).json()["items"][0]["driverId"]
            body = {
                "driverId": driver_id,
                "declarationPostingCountry": "FR",
                "declarationStartDate": days(0),
                "declarationEndDate": days(30),
                "declarationOperationType": ["CABOTAGE_OPERATIONS"],
                "declarationTransportType": ["CARRIAGE_OF_GOODS"],
                "declarationVehiclePlateNumberHeavy": ["wx 1234a"],
                "otherContactAsTransportManager": True,
                "driverEmail": "demo.driver@example.com",
            }
            draft = await client.post("/declarations", json=body)
            assert draft.status_code == 201, draft.text
            declaration_id = draft.json()["declarationId"]
            assert (await client.post(f"/declarations/{declaration_id}/submit")).status_code == 200
            link = await client.post(f"/declarations/{declaration_id}/print", json={"declarationLanguage": "fr"})
            assert link.status_code == 200, link.text
            pdf = (await client.get(link.text)).content
        authority_headers = {"x-authority-id": authority[1], "x-api-key": authority[2]}
        async with httpx.AsyncClient(base_url=url, headers=authority_headers) as inspector:
            found = await inspector.get("/authority/declarations", params={"plate": "wx-1234a", "purpose": "demo"})
            assert found.status_code == 200, found.text
            verdicts = {item["declarationId"]: item["verdict"] for item in found.json()["items"]}
            assert verdicts[declaration_id] == "VALID"
        [code] = qr_codes(pdf)
        async with httpx.AsyncClient() as browser:
            page = await browser.get(code.partition("#")[0], headers={"accept": "application/json"})
        assert urlsplit(code).netloc == urlsplit(url).netloc
        assert page.json()["valid"] is True
        # The worker e-mails the driver on submission: the message is kept where serve said.
        [message] = await asyncio.to_thread(kept_messages, Path(kept[1]), 90)
        assert "To: demo.driver@example.com" in message.read_text()
        # And forwards the submission to the demo authority's receiver, which stored it.
        async with httpx.AsyncClient(base_url=receiver[1]) as watcher:
            deadline = time.monotonic() + 60
            while not (events := (await watcher.get("/_control/events")).json()["events"]):
                assert time.monotonic() < deadline, "nothing forwarded to the demo receiver"
                await asyncio.sleep(0.5)
        assert [(event["declarationId"], event["type"]) for event in events] == [(declaration_id, "SUBMITTED")]
