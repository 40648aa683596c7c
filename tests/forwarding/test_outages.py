"""A receiver that fails: retried with backoff, honoured when it asks to wait, disabled when it
says 410, and after an outage longer than the limit its events are parked as dead, with every
later event of their declarations behind them, until a redrive delivers them in order."""

import asyncio
import datetime
from typing import Any

import asyncpg

from portal import settings as configuration
from portal.receiver.server import Receiver
from tests.conftest import new_authority, new_operator
from tests.forwarding.conftest import Client, Register, control, run_forwarding
from tests.helpers import submitted


async def _endpoint(client: Client, headers: dict[str, str], endpoint_id: str) -> dict[str, Any]:
    found: dict[str, Any]
    [found] = [
        item
        for item in (await client.get("/authority/endpoints", headers=headers)).json()["items"]
        if item["endpointId"] == endpoint_id
    ]
    return found


async def test_a_410_disables_the_endpoint(
    open_client: Client, db: asyncpg.Connection, jobs: dict[str, Any], receiver: Receiver, register: Register
) -> None:
    authority = await new_authority(db, "FR")
    endpoint = await register(authority, receiver)
    await control(receiver, "/_control/mode", {"mode": "gone"})
    await submitted(open_client, await new_operator(db))
    await run_forwarding(jobs)
    found = await _endpoint(open_client, authority.headers, endpoint["endpointId"])
    assert found["state"] == "DISABLED"
    assert "410" in found["disabledReason"]
    assert found["backlog"] >= 1  # kept for it, should it be enabled again


async def test_a_receiver_asking_to_wait_is_not_posted_to_before_then(
    open_client: Client, db: asyncpg.Connection, jobs: dict[str, Any], receiver: Receiver, register: Register
) -> None:
    authority = await new_authority(db, "FR")
    endpoint = await register(authority, receiver)
    jobs["settings"] = configuration.replace(jobs["settings"], forwarding={"max_retry_seconds": 60})
    await control(receiver, "/_control/mode", {"mode": "throttle", "retryAfter": 30})
    await submitted(open_client, await new_operator(db))
    await run_forwarding(jobs)
    await run_forwarding(jobs)  # not due: nothing posted
    stats = await control(receiver, "/_control/stats")
    assert stats["failedOnPurpose"] == 1
    found = await _endpoint(open_client, authority.headers, endpoint["endpointId"])
    assert found["lastError"] == "HTTP 429"
    assert found["failureStreak"] == 1
    waited = datetime.datetime.fromisoformat(found["nextAttemptAt"]) - datetime.datetime.fromisoformat(
        found["failingSince"]
    )
    assert datetime.timedelta(seconds=29) < waited <= datetime.timedelta(seconds=31)  # as the receiver asked


async def test_after_a_long_outage_events_are_dead_until_a_redrive_delivers_them_in_order(
    open_client: Client, db: asyncpg.Connection, jobs: dict[str, Any], receiver: Receiver, register: Register
) -> None:
    authority = await new_authority(db, "FR")
    operator = await new_operator(db)
    endpoint = await register(authority, receiver)
    # An outage of a second and a half is "longer than the limit" here.
    jobs["settings"] = configuration.replace(jobs["settings"], forwarding={"outage_hours": 1.5 / 3600})
    await control(receiver, "/_control/mode", {"mode": "fail"})
    parked = await submitted(open_client, operator)
    await run_forwarding(jobs)
    await asyncio.sleep(2)
    await run_forwarding(jobs)  # fails again: what waited longer than the limit is parked
    found = await _endpoint(open_client, authority.headers, endpoint["endpointId"])
    assert found["dead"] >= 1
    path = f"/declarations/{parked['declarationId']}"
    read = (await open_client.get(path, headers=operator.headers)).json()
    assert [item["state"] for item in read["forwarding"]] == ["DEAD"]

    # The receiver is back: a later version of the parked declaration waits behind it, others go.
    await control(receiver, "/_control/mode", {"mode": "ok"})
    update = {"otherContactPhone": "+33 1 23 45 67 89"}
    assert (await open_client.put(f"{path}/submit", json=update, headers=operator.headers)).status_code == 200
    other = await submitted(open_client, operator)
    await asyncio.sleep(0.6)  # the wait after the last failure
    await run_forwarding(jobs)
    received = (await control(receiver, "/_control/events?limit=1000"))["events"]
    assert other["declarationId"] in {event["declarationId"] for event in received}
    assert parked["declarationId"] not in {event["declarationId"] for event in received}

    redriven = await open_client.post(
        f"/authority/endpoints/{endpoint['endpointId']}/redrive", json={}, headers=authority.headers
    )
    assert redriven.status_code == 200, redriven.text
    assert redriven.json()["redriven"] >= 2
    await run_forwarding(jobs)
    received = (await control(receiver, "/_control/events?limit=1000"))["events"]
    versions = [event["version"] for event in received if event["declarationId"] == parked["declarationId"]]
    first = parked["declarationVersion"]
    assert versions == [first, first + 1]
    stats = await control(receiver, "/_control/stats")
    assert stats["outOfOrder"] == 0
    assert stats["conflicts"] == 0
    found = await _endpoint(open_client, authority.headers, endpoint["endpointId"])
    assert found["dead"] == 0
    assert found["redriving"] == 0
    read = (await open_client.get(path, headers=operator.headers)).json()
    assert [item["state"] for item in read["forwarding"]] == ["FORWARDED"]
