"""The reference receiver (``portal receiver``) as its users see it: batches signed by the
Standard Webhooks library posted over HTTP, what it answers, counts and keeps; the faults it
plays when told; and the command itself run as a process."""

import asyncio
import base64
import datetime
import os
import signal
import sqlite3
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
from click.testing import CliRunner
from standardwebhooks.webhooks import Webhook

from portal.receiver.command import receiver as receiver_command
from portal.receiver.server import Receiver, ReceiverConfig
from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[1]


def new_secret() -> str:
    return "whsec_" + base64.b64encode(os.urandom(32)).decode()


def event(declaration_id: str, version: int, kind: str = "SUBMITTED", **more: object) -> dict[str, Any]:
    declaration = {"declarationId": declaration_id, "postingCountry": "FR", **more}
    return {"eventId": f"{declaration_id}:{version}", "type": kind, "version": version, "declaration": declaration}


def new_event() -> dict[str, Any]:  # a new declaration's first
    return event(str(uuid.uuid4()), 1)


def batch(*events: dict[str, Any]) -> bytes:
    return msgspec.json.encode({"events": list(events)})


def signed(secret: str, body: bytes, *, webhook_id: str | None = None, age: float = 0) -> dict[str, str]:
    """Standard Webhooks headers for ``body``, signed ``age`` seconds ago (negative: ahead)."""
    webhook_id = webhook_id or f"msg_{uuid.uuid4().hex}"
    at = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=age)
    signature = Webhook(secret).sign(webhook_id, at, body.decode())
    return {"webhook-id": webhook_id, "webhook-timestamp": str(int(at.timestamp())), "webhook-signature": signature}


@pytest.fixture
def secret() -> str:
    return new_secret()


@pytest.fixture
async def receiver(secret: str, tmp_path: Path) -> AsyncIterator[Receiver]:
    config = ReceiverConfig(secrets=[secret], port=0, data=str(tmp_path / "receiver.sqlite3"))
    async with Receiver(config) as started:
        yield started


@pytest.fixture
async def http(receiver: Receiver) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=receiver.url, timeout=5) as client:
        yield client


async def deliver(http: httpx.AsyncClient, secret: str, *events: dict[str, Any], **signing: Any) -> httpx.Response:
    body = batch(*events)
    return await http.post("/events", content=body, headers=signed(secret, body, **signing))


async def stats(http: httpx.AsyncClient) -> dict[str, Any]:
    counts: dict[str, Any] = (await http.get("/_control/stats")).raise_for_status().json()
    return counts


async def mode(http: httpx.AsyncClient, **told: Any) -> None:
    (await http.post("/_control/mode", json=told)).raise_for_status()


async def test_a_signed_batch_is_stored_counted_and_listed(http: httpx.AsyncClient, secret: str) -> None:
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    answer = await deliver(http, secret, event(first, 1), event(second, 1, driverName="Jan Kowalski"))
    assert (answer.status_code, answer.json()) == (200, {"stored": 2, "duplicates": 0})
    counts = await stats(http)
    assert (counts["batches"], counts["events"], counts["duplicates"], counts["mode"]) == (1, 2, 0, "ok")
    assert counts["rejected"] == {"signature": 0, "stale": 0, "malformed": 0}
    received_at = datetime.datetime.fromisoformat(counts["lastReceivedAt"])
    assert datetime.timedelta(0) <= datetime.datetime.now(datetime.UTC) - received_at < datetime.timedelta(minutes=1)
    page = (await http.get("/_control/events?after=0&limit=1")).json()
    assert [e["eventId"] for e in page["events"]] == [f"{first}:1"]
    [rest] = (await http.get(f"/_control/events?after={page['next']}")).json()["events"]
    listed = (rest["eventId"], rest["type"], rest["version"], rest["declarationId"])
    assert listed == (f"{second}:1", "SUBMITTED", 1, second)
    assert (await http.get("/_control/health")).json() == {"status": "ok"}
    assert (await http.post("/_control/reset-store")).status_code == 200
    assert (await stats(http))["events"] == 0
    assert (await http.get("/_control/events")).json()["events"] == []


async def test_bad_signatures_and_stale_timestamps_are_refused(http: httpx.AsyncClient, secret: str) -> None:
    assert (await deliver(http, new_secret(), new_event())).status_code == 401
    unsigned = await http.post("/events", content=batch(new_event()))
    assert (unsigned.status_code, unsigned.json()["error"]) == (401, "Unauthorized")
    assert (await deliver(http, secret, new_event(), age=6 * 60)).status_code == 401
    assert (await deliver(http, secret, new_event(), age=-6 * 60)).status_code == 401
    counts = await stats(http)
    assert (counts["events"], counts["batches"]) == (0, 0)
    assert counts["rejected"] == {"signature": 2, "stale": 2, "malformed": 0}


async def test_a_replayed_webhook_id_is_answered_but_not_stored_again(http: httpx.AsyncClient, secret: str) -> None:
    body = batch(new_event())
    headers = signed(secret, body)
    assert (await http.post("/events", content=body, headers=headers)).json() == {"stored": 1, "duplicates": 0}
    again = await http.post("/events", content=body, headers=headers)
    assert (again.status_code, again.json()["stored"]) == (200, 0)
    counts = await stats(http)
    assert (counts["batches"], counts["events"], counts["replayedBatches"], counts["duplicates"]) == (1, 1, 1, 0)


async def test_duplicates_and_conflicts_by_event_id(receiver: Receiver, http: httpx.AsyncClient, secret: str) -> None:
    declaration = str(uuid.uuid4())
    await deliver(http, secret, event(declaration, 1, note="first"))
    same = await deliver(http, secret, event(declaration, 1, note="first"))
    assert same.json() == {"stored": 0, "duplicates": 1}
    other = await deliver(http, secret, event(declaration, 1, note="second"))
    assert (other.status_code, other.json()["conflicts"]) == (200, 1)
    counts = await stats(http)
    assert (counts["events"], counts["duplicates"], counts["conflicts"]) == (1, 1, 1)
    # The first body is the one kept, as delivered.
    with sqlite3.connect(receiver.config.data) as store:
        [(body,)] = store.execute("SELECT body FROM events WHERE event_id = ?", (f"{declaration}:1",)).fetchall()
    assert msgspec.json.decode(body)["declaration"]["note"] == "first"


async def test_a_lower_version_after_a_higher_one_is_out_of_order(http: httpx.AsyncClient, secret: str) -> None:
    declaration = str(uuid.uuid4())
    await deliver(http, secret, event(declaration, 1), event(declaration, 3, "UPDATED"))
    await deliver(http, secret, event(declaration, 2, "UPDATED"))
    await deliver(http, secret, event(declaration, 4, "WITHDRAWN"))
    counts = await stats(http)
    assert (counts["events"], counts["outOfOrder"]) == (4, 1)


async def test_a_body_that_is_not_a_batch_is_400(http: httpx.AsyncClient, secret: str) -> None:
    for body in (b"not json", b'{"events": [{"eventId": "x"}]}', b'{"events": [' + b"1" * 10 + b"]}"):
        answer = await http.post("/events", content=body, headers=signed(secret, body))
        assert answer.status_code == 400, answer.text
    counts = await stats(http)
    assert (counts["events"], counts["rejected"]["malformed"]) == (0, 3)


async def test_fail_throttle_and_gone_for_the_time_set(http: httpx.AsyncClient, secret: str) -> None:
    await mode(http, mode="fail", status=503)
    assert (await deliver(http, secret, new_event())).status_code == 503
    await mode(http, mode="throttle", retryAfter=7)
    throttled = await deliver(http, secret, new_event())
    assert (throttled.status_code, throttled.headers["retry-after"]) == (429, "7")
    await mode(http, mode="gone")
    assert (await deliver(http, secret, new_event())).status_code == 410
    await mode(http, mode="fail", seconds=0.5)
    assert (await deliver(http, secret, new_event())).status_code == 500
    assert ((await stats(http))["mode"], (await http.get("/_control/health")).status_code) == ("fail", 200)
    await asyncio.sleep(0.6)
    assert (await deliver(http, secret, new_event())).status_code == 200
    counts = await stats(http)
    assert (counts["mode"], counts["failedOnPurpose"], counts["events"]) == ("ok", 4, 1)


async def test_reset_drops_the_connection_with_an_rst(receiver: Receiver, http: httpx.AsyncClient, secret: str) -> None:
    await mode(http, mode="reset", seconds=5)
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError, httpx.ConnectError, httpx.WriteError)):
        await deliver(http, secret, new_event())
    # Seen from a socket: an RST (ECONNRESET), not a clean close.
    body = batch(new_event())
    reader, writer = await asyncio.open_connection("127.0.0.1", receiver.port)
    writer.write(f"POST /events HTTP/1.1\r\nhost: x\r\ncontent-length: {len(body)}\r\n\r\n".encode() + body)
    with pytest.raises(ConnectionResetError):
        await reader.read()
    writer.close()
    await mode(http, mode="ok")
    assert (await deliver(http, secret, new_event())).status_code == 200
    assert (await stats(http))["events"] == 1


async def test_stall_outlasts_the_senders_timeout_and_stores_nothing(http: httpx.AsyncClient, secret: str) -> None:
    await mode(http, mode="stall", seconds=3)
    body = batch(new_event())
    with pytest.raises(httpx.TimeoutException):
        await http.post("/events", content=body, headers=signed(secret, body, webhook_id="msg_stalled"), timeout=0.3)
    await mode(http, mode="ok")  # also answers (503) whatever is still stalled
    assert (await stats(http))["events"] == 0
    again = await http.post("/events", content=body, headers=signed(secret, body, webhook_id="msg_stalled"))
    assert again.json() == {"stored": 1, "duplicates": 0}


async def test_told_secrets_replace_those_accepted(http: httpx.AsyncClient, secret: str) -> None:
    rotated, next_one = new_secret(), new_secret()
    refused = await http.post("/_control/secrets", json={"secrets": ["whsec_"]})
    assert refused.status_code == 400
    assert (await http.post("/_control/secrets", json={"secrets": [rotated, next_one]})).status_code == 200
    assert (await deliver(http, secret, new_event())).status_code == 401
    assert (await deliver(http, rotated, new_event())).status_code == 200
    assert (await deliver(http, next_one, new_event())).status_code == 200


async def test_a_restarted_receiver_keeps_its_events_and_counts(secret: str, tmp_path: Path) -> None:
    config = ReceiverConfig(secrets=[secret], port=0, data=str(tmp_path / "kept.sqlite3"))
    declaration = str(uuid.uuid4())
    async with Receiver(config) as first, httpx.AsyncClient(base_url=first.url) as http:
        await deliver(http, secret, event(declaration, 1), event(declaration, 2, "UPDATED"))
        await deliver(http, new_secret(), event(declaration, 3, "UPDATED"))
        before = await stats(http)
    async with Receiver(config) as again, httpx.AsyncClient(base_url=again.url) as http:
        assert await stats(http) == before
        assert (await deliver(http, secret, event(declaration, 2, "UPDATED"))).json()["duplicates"] == 1
        listed = (await http.get("/_control/events")).json()["events"]
    assert [e["eventId"] for e in listed] == [f"{declaration}:1", f"{declaration}:2"]
    assert (before["events"], before["rejected"]["signature"]) == (2, 1)


async def test_many_requests_on_one_connection_and_a_chunked_body(receiver: Receiver, secret: str) -> None:
    # Two requests written at once on one socket: both answered, in order, the socket kept.
    reader, writer = await asyncio.open_connection("127.0.0.1", receiver.port)
    writer.write(b"GET /_control/health HTTP/1.1\r\nhost: x\r\n\r\n" * 2)
    answers = b""
    while answers.count(b'{"status":"ok"}') < 2 and (more := await reader.read(65536)):
        answers += more
    assert answers.count(b"HTTP/1.1 200 ") == 2
    writer.close()
    body = batch(*(new_event() for _ in range(3)))

    async def in_pieces() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 50):
            yield body[start : start + 50]

    async with httpx.AsyncClient(base_url=receiver.url) as http:
        chunked = await http.post("/events", content=in_pieces(), headers=signed(secret, body))
        assert (chunked.status_code, chunked.json()) == (200, {"stored": 3, "duplicates": 0}), chunked.text


async def test_full_batches_of_500_events_on_one_connection(http: httpx.AsyncClient, secret: str) -> None:
    # The portal's batch size. The rate is printed, never asserted: on a shared machine it is noise.
    bodies = [batch(*(event(str(uuid.uuid4()), 1, notes="x" * 1300) for _ in range(500))) for _ in range(6)]
    assert 1400 <= len(bodies[0]) / 500 <= 1600
    deliveries = [(body, signed(secret, body)) for body in bodies]
    started = time.perf_counter()
    for body, headers in deliveries:
        assert (await http.post("/events", content=body, headers=headers)).json() == {"stored": 500, "duplicates": 0}
    print(f"receiver in-process, one connection: {3000 / (time.perf_counter() - started):,.0f} events/s")
    assert (await stats(http))["events"] == 3000


async def test_the_command_prints_its_address_plays_its_mode_and_stops_on_sigterm(tmp_path: Path) -> None:
    secret, port, data, log = new_secret(), free_port(), tmp_path / "cli.sqlite3", tmp_path / "receiver.log"
    command = [sys.executable, "-c", "from portal.receiver.command import receiver; receiver()", "--port", str(port)]
    command += ["--data", str(data), "--mode", "fail", "--mode-seconds", "1"]
    environment = os.environ | {"PORTAL_RECEIVER_SECRET": secret}
    with log.open("wb") as output:  # a file, not a pipe nobody reads: it logs a line per batch
        process = await asyncio.create_subprocess_exec(*command, cwd=ROOT, stdout=output, env=environment)
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(400):  # 20 s
            if "\n" in log.read_text() or process.returncode is not None:
                break
            await asyncio.sleep(0.05)
        assert log.read_text().partition("\n")[0] == f"Receiver:  {url}  (stats: {url}/_control/stats)", log.read_text()
        async with httpx.AsyncClient(base_url=url, timeout=5) as http:
            assert (await deliver(http, secret, new_event())).status_code == 500
            await asyncio.sleep(1.1)
            assert (await deliver(http, secret, new_event())).status_code == 200
            counts = await stats(http)
        assert (counts["events"], counts["failedOnPurpose"]) == (1, 1)
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 10) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    with sqlite3.connect(data) as store:
        assert store.execute("SELECT count(*) FROM events").fetchone() == (1,)
    assert "batch received" in log.read_text()


def test_the_help_says_what_it_is_and_a_bad_secret_is_refused() -> None:
    shown = CliRunner().invoke(receiver_command, ["--help"])
    assert shown.exit_code == 0
    for words in ("reference receiver", "Standard Webhooks", "/_control/mode", "127.0.0.1", "--secret", "SQLite"):
        assert words in shown.output
    refused = CliRunner().invoke(receiver_command, ["--secret", "whsec_", "--data", ":memory:"])
    assert refused.exit_code == 2
    assert "--secret" in refused.output
