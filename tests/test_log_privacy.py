"""No personal data in logs: a served portal (server and worker) files and is searched with
distinctive names, numbers and plates, then its whole log is searched for them."""

import json
import os
import random
import string
from pathlib import Path

import asyncpg
import httpx

from tests.conftest import new_authority, new_operator
from tests.factories import declaration_body, driver_body, vehicle_body
from tests.servers import running_portal


async def test_the_logs_carry_routes_never_personal_data(
    servers: tuple[str, str], database_url: str, db: asyncpg.Connection, tmp_path: Path
) -> None:
    operator = await new_operator(db)
    inspector = await new_authority(db, "FR")
    # Letters only: names may hold nothing else.
    marker = "".join(random.choices(string.ascii_uppercase, k=10))
    personal = {
        "driverLatinFirstName": f"Ottokar{marker.lower()}",
        "driverLatinLastName": f"Brzęczyszczykiewicz{marker.lower()}",
        "driverLicenseNumber": f"LIC{marker}",
        "driverDocumentNumber": f"DOC{marker}",
        "driverDateOfBirth": "1977-07-17",
    }
    plate = f"PD{marker}"
    env = os.environ | {
        "DATABASE_URL": database_url,
        "REDIS_URL": servers[1],
        "PORTAL_DATA_DIR": str(tmp_path),
        "PORTAL_LOG_LEVEL": "DEBUG",
    }
    log = tmp_path / "portal.log"
    with running_portal(env, log, "--workers", "1") as url:
        async with httpx.AsyncClient(base_url=url, headers=operator.headers) as client:
            driver = (await client.post("/drivers", json=driver_body(**personal))).json()
            assert (await client.post("/plate-numbers", json=vehicle_body(plate))).status_code == 201
            draft = (await client.post("/declarations", json=declaration_body(driver["driverId"], [plate]))).json()
            submitted = await client.post(f"/declarations/{draft['declarationId']}/submit")
            assert submitted.status_code == 200
            # Refusals echo nothing personal into the log either.
            refused = await client.post("/drivers", json=driver_body(**personal | {"driverDateOfBirth": "2099-01-01"}))
            assert refused.status_code == 422
            bulk = await client.post(
                "/declarations/bulk?submit=false",
                content=json.dumps({"clientReference": marker, "driverLatinLastName": personal["driverLatinLastName"]}),
                headers={"content-type": "application/x-ndjson"},
            )
            assert bulk.status_code in (200, 201, 202), bulk.text
        async with httpx.AsyncClient(base_url=url, headers=inspector.headers) as authority:
            for query in (
                {"plate": plate.lower()},
                {"licenceNumber": personal["driverLicenseNumber"]},
                {"documentNumber": personal["driverDocumentNumber"]},
                {"lastName": personal["driverLatinLastName"], "dateOfBirth": personal["driverDateOfBirth"]},
                {"lastName": "X"},  # refused: the query is still not logged
            ):
                response = await authority.get("/authority/declarations", params=query | {"purpose": f"case {marker}"})
                assert response.status_code in (200, 400)
            assert (await authority.get("/authority/declarations", params={"plate": plate, "purpose": "x"})).json()
    text = log.read_text(errors="replace")
    # The log is there and speaks of the requests, by route.
    assert "route=/authority/declarations" in text
    assert "route=/declarations/{declaration_id}/submit" in text
    for value in [*personal.values(), plate, plate.lower(), marker, marker.lower()]:
        assert value not in text, f"{value!r} found in the portal's log"
    assert "?" not in "".join(line for line in text.splitlines() if "route=" in line)
