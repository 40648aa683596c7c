"""Each submission, update and withdrawal reaches the host country's endpoints, signed as
Standard Webhooks v1 says, in version order, each event with a stable id and body."""

import asyncio
import base64
import hashlib
import hmac
from typing import Any

import asyncpg
import httpx
from standardwebhooks.webhooks import Webhook

from portal.receiver.server import Receiver
from tests.conftest import new_authority, new_operator
from tests.forwarding.conftest import Client, Register, control, run_forwarding
from tests.helpers import submitted
from workers.forwarding import observe_forwarding


async def _received(receiver: Receiver, declaration_id: str) -> list[dict[str, Any]]:
    page = await control(receiver, "/_control/events?limit=1000")
    return [event for event in page["events"] if event["declarationId"] == declaration_id]


async def test_a_declarations_versions_reach_the_endpoint_in_order(
    open_client: Client, db: asyncpg.Connection, jobs: dict[str, Any], receiver: Receiver, register: Register
) -> None:
    authority = await new_authority(db, "FR")
    operator = await new_operator(db)
    endpoint = await register(authority, receiver)
    declaration = await submitted(open_client, operator)
    declaration_id = declaration["declarationId"]
    path = f"/declarations/{declaration_id}"
    updated = await open_client.put(
        f"{path}/submit", json={"otherContactPhone": "+33 1 23 45 67 89"}, headers=operator.headers
    )
    assert updated.status_code == 200, updated.text
    assert (await open_client.post(f"{path}/withdraw", headers=operator.headers)).status_code == 200

    await run_forwarding(jobs)

    received = await _received(receiver, declaration_id)
    first = declaration["declarationVersion"]  # a draft's versions are not forwarded
    assert [(event["type"], event["version"]) for event in received] == [
        ("SUBMITTED", first),
        ("UPDATED", first + 1),
        ("WITHDRAWN", first + 2),
    ]
    assert [event["eventId"] for event in received] == [f"{declaration_id}:{first + n}" for n in (0, 1, 2)]
    stats = await control(receiver, "/_control/stats")
    assert stats["conflicts"] == 0
    assert stats["outOfOrder"] == 0
    assert stats["rejected"] == {"signature": 0, "stale": 0, "malformed": 0}
    # The operator sees it forwarded to the authority.
    read = (await open_client.get(path, headers=operator.headers)).json()
    assert {"authorityId": str(authority.authority_id), "state": "FORWARDED"}.items() <= read["forwarding"][0].items()
    listed = (await open_client.get("/authority/endpoints", headers=authority.headers)).json()["items"]
    [mine] = [item for item in listed if item["endpointId"] == endpoint["endpointId"]]
    assert mine["backlog"] == 0
    assert mine["lastSuccessAt"]
    assert mine["failureStreak"] == 0


async def test_a_batch_is_verified_by_the_standard_webhooks_library_unchanged(
    open_client: Client, db: asyncpg.Connection, jobs: dict[str, Any], register: Register
) -> None:
    """A receiver of our own: the request exactly as the portal sent it, checked with the
    standardwebhooks package and by hand from the specification."""
    seen: list[httpx.Request] = []
    authority = await new_authority(db, "BE")
    operator = await new_operator(db)

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        headers = {name.lower(): value for name, value in (line.split(": ", 1) for line in lines[1:] if line)}
        body = await reader.readexactly(int(headers["content-length"]))
        seen.append(httpx.Request("POST", "http://receiver" + lines[0].split()[1], headers=headers, content=body))
        writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    made = await open_client.post(
        "/authority/endpoints", json={"url": f"http://127.0.0.1:{port}/in"}, headers=authority.headers
    )
    assert made.status_code == 201, made.text
    secret = made.json()["secret"]
    try:
        declaration = await submitted(open_client, operator, declarationPostingCountry="BE")
        await run_forwarding(jobs)
    finally:
        server.close()
        await open_client.post(f"/authority/endpoints/{made.json()['endpointId']}/disable", headers=authority.headers)
    request = seen[0]
    headers = {name: request.headers[name] for name in ("webhook-id", "webhook-timestamp", "webhook-signature")}
    Webhook(secret).verify(request.content, headers)
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + request.content
    expected = hmac.digest(base64.b64decode(secret.removeprefix("whsec_")), signed, hashlib.sha256)
    assert headers["webhook-signature"] == "v1," + base64.b64encode(expected).decode()
    events = httpx.Response(200, content=request.content).json()["events"]
    assert events[-1]["declaration"]["declarationId"] == declaration["declarationId"]
    assert "declarationEmailStatus" not in events[-1]["declaration"]


async def test_a_retry_sends_the_same_batch_under_the_same_id(
    open_client: Client, db: asyncpg.Connection, jobs: dict[str, Any], receiver: Receiver, register: Register
) -> None:
    authority = await new_authority(db, "FR")
    operator = await new_operator(db)
    await register(authority, receiver)
    declaration = await submitted(open_client, operator)
    await control(receiver, "/_control/mode", {"mode": "fail", "seconds": 0.5})
    await run_forwarding(jobs)  # fails, then waits less than a second and succeeds
    await asyncio.sleep(0.6)
    await run_forwarding(jobs)
    received = await _received(receiver, declaration["declarationId"])
    assert [event["version"] for event in received] == [declaration["declarationVersion"]]
    stats = await control(receiver, "/_control/stats")
    assert stats["failedOnPurpose"] >= 1
    assert stats["conflicts"] == 0


async def test_each_endpoints_backlog_and_deliveries_are_metrics(
    open_client: Client, db: asyncpg.Connection, jobs: dict[str, Any], receiver: Receiver, register: Register
) -> None:
    authority = await new_authority(db, "FR")
    endpoint = await register(authority, receiver)
    await control(receiver, "/_control/mode", {"mode": "fail"})
    await submitted(open_client, await new_operator(db))
    await run_forwarding(jobs)
    await observe_forwarding(jobs)
    label = f'endpoint="{endpoint["endpointId"]}"'
    metrics = (await open_client.get("/metrics")).text
    assert f"portal_forwarding_failure_streak{{{label}}} 1.0" in metrics
    backlog = [line for line in metrics.splitlines() if line.startswith(f"portal_forwarding_backlog_events{{{label}}}")]
    assert backlog
    assert float(backlog[0].split()[-1]) >= 1
    assert f'portal_forwarding_attempts_total{{{label},outcome="failed"}} 1.0' in metrics
