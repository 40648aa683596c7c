"""``portal admin`` for forwarding, as a coordinator would type it: register an endpoint (and be
refused one inside the network), list how each stands, rotate its secret, re-drive it."""

import json
from pathlib import Path

import asyncpg
import pytest

from portal.receiver.server import Receiver
from tests.conftest import new_authority
from tests.test_cli import portal


async def test_a_coordinator_registers_lists_rotates_and_redrives_an_endpoint(
    database_url: str, db: asyncpg.Connection, tmp_path: Path, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    authority = await new_authority(db, "FR")
    holder = str(authority.authority_id)
    refused = await portal(
        database_url, tmp_path, "admin", "add-endpoint", "--authority", holder, "--url", receiver.url
    )
    assert refused.returncode != 0
    assert "https://" in refused.stderr

    # As in a test deployment: the receiver is on 127.0.0.1, over http.
    monkeypatch.setenv("PORTAL_FORWARDING_ALLOW_HTTP", "true")
    monkeypatch.setenv("PORTAL_FORWARDING_ALLOW_PRIVATE", "true")
    made = await portal(
        database_url, tmp_path, "admin", "add-endpoint", "--authority", holder, "--url", receiver.url, "--json"
    )
    assert made.returncode == 0, made.stderr
    endpoint = json.loads(made.stdout)
    assert endpoint["secret"].startswith("whsec_")
    endpoint_id = endpoint["endpointId"]

    listed = await portal(database_url, tmp_path, "admin", "endpoints", "--authority", holder)
    assert listed.returncode == 0, listed.stderr
    assert f"{endpoint_id}  FR  {receiver.url}  ACTIVE" in listed.stdout
    assert "backlog 0 events" in listed.stdout
    as_json = json.loads((await portal(database_url, tmp_path, "admin", "endpoints", "--json")).stdout)
    assert endpoint_id in {item["endpointId"] for item in as_json["items"]}

    rotated = await portal(database_url, tmp_path, "admin", "rotate-secret", "--endpoint", endpoint_id, "--json")
    assert json.loads(rotated.stdout)["secret"] != endpoint["secret"]
    redriven = await portal(database_url, tmp_path, "admin", "redrive", "--endpoint", endpoint_id)
    assert redriven.stdout.strip() == f"re-driving 0 events to {endpoint_id}"
    disabled = await portal(database_url, tmp_path, "admin", "disable-endpoint", "--endpoint", endpoint_id)
    assert disabled.returncode == 0
    unknown = await portal(database_url, tmp_path, "admin", "disable-endpoint", "--endpoint", holder)
    assert unknown.returncode != 0
    assert "no such endpoint" in unknown.stderr
