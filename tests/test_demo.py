"""A newcomer's first five minutes: ``portal serve --demo``, file with the printed operator key,
then find the declaration with the printed authority key."""

import os
import re
from pathlib import Path

import httpx

from tests.factories import days
from tests.servers import running_portal


async def test_serve_demo_prints_keys_that_file_and_find(
    servers: tuple[str, str], database_url: str, tmp_path: Path
) -> None:
    env = os.environ | {"DATABASE_URL": database_url, "REDIS_URL": servers[1], "PORTAL_DATA_DIR": str(tmp_path)}
    log = tmp_path / "serve.log"
    with running_portal(env, log, "--demo", "--workers", "1", "--no-worker") as url:
        printed = log.read_text()
        operator = re.search(r"Demo operator:\s+operatorId (\S+)\s+apiKey (\S+)", printed)
        authority = re.search(r"Demo authority:\s+authorityId (\S+)\s+apiKey (\S+)", printed)
        assert operator, printed
        assert authority, printed
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
            }
            draft = await client.post("/declarations", json=body)
            assert draft.status_code == 201, draft.text
            declaration_id = draft.json()["declarationId"]
            assert (await client.post(f"/declarations/{declaration_id}/submit")).status_code == 200
        authority_headers = {"x-authority-id": authority[1], "x-api-key": authority[2]}
        async with httpx.AsyncClient(base_url=url, headers=authority_headers) as inspector:
            found = await inspector.get("/authority/declarations", params={"plate": "wx-1234a", "purpose": "demo"})
            assert found.status_code == 200, found.text
            verdicts = {item["declarationId"]: item["verdict"] for item in found.json()["items"]}
            assert verdicts[declaration_id] == "VALID"
