"""What ``portal bench-forwarding`` is built of: the fleet it files (every declaration to France,
none with a driver's e-mail), the drafts its submit requests need, the reference receiver run as
a process, the authority and endpoint it forwards to, a sender that posts signed batches to a
receiver as fast as it takes them, and the CPU each process spent.

The sender is the yardstick: the worker's delivery rate is printed as a share of what the same
receiver takes from a client that does nothing but post (its batches cost a copy and an HMAC).
"""

import asyncio
import contextlib
import datetime
import itertools
import math
import os
import sys
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import asyncpg
import httpx
import psutil
import redis

from loadtests.forwarding_options import YEAR_DAYS
from loadtests.harness import JSON, LANES, free_port, served
from loadtests.open_loop import Measured, http_lanes, offer, raw_request, saturate
from loadtests.synthetic.generator import generate
from portal import clock
from portal.db import create_pool, transaction, unproxied
from portal.forwarding.events import batch_body, events_of
from portal.forwarding.feed_repository import FedEvent
from portal.forwarding.signature import signature, webhook_id
from portal.identity.service import register_authority
from schemas.forwarding import ForwardedEvent

# The endpoint's country: every declaration of the fleet is posted there.
HOST = "FR"
# The drafts' country: their submissions are not the endpoint's, so it is sent the fleet alone.
DRAFT_HOST = "DE"
# A driver's declarations to France follow one another in windows of the year ahead (YEAR_DAYS
# long at most), each period this long at most.
_PERIOD_DAYS = 30
_CLAIM = "portal:bench-forwarding:claim"


def most_per_driver(events: int, drivers: int) -> int:
    """Declarations per driver; at most YEAR_DAYS, one window of days each."""
    return math.ceil(events / drivers)


def fleet_records(events: int, drivers: int) -> Iterator[dict[str, Any]]:
    """``events`` submitted declarations to France by ``drivers`` drivers, none with a
    ``driverEmail``: the worker's e-mails are no part of forwarding (its PDFs still are made)."""
    window = YEAR_DAYS // most_per_driver(events, drivers)
    first = clock.today() + datetime.timedelta(days=1)
    for position, record in enumerate(generate(drivers, events)):
        begin = first + datetime.timedelta(days=(position // drivers) * window)
        record.pop("driverEmail", None)
        record["declarationPostingCountry"] = HOST
        record["declarationStartDate"] = begin.isoformat()
        record["declarationEndDate"] = (begin + datetime.timedelta(days=min(window, _PERIOD_DAYS) - 1)).isoformat()
        yield record


def draft_records(count: int, fleet_drivers: int) -> Iterator[dict[str, Any]]:
    """``count`` drafts to Germany, each of a driver of its own, so that any of them can be
    submitted without overlapping another: the fleet's seed's drivers after the fleet's (one
    seed's drivers are distinct people with distinct plates; another seed's might not be)."""
    start = clock.today() + datetime.timedelta(days=2)
    records = generate(fleet_drivers + count, fleet_drivers + count)
    for number, record in enumerate(itertools.islice(records, fleet_drivers, None)):
        record.pop("driverEmail", None)
        record["clientReference"] = f"BENCH-DRAFT-{number:08d}"
        record["submit"] = False
        record["declarationPostingCountry"] = DRAFT_HOST
        record["declarationStartDate"] = start.isoformat()
        record["declarationEndDate"] = (start + datetime.timedelta(days=1)).isoformat()
        yield record


@contextlib.contextmanager
def private_redis(url: str) -> Iterator[str]:
    """A database of the benchmark's own on the Redis server ``url`` names, emptied after.

    The worker's queue and its periodic jobs' locks have fixed names: a worker of another run
    on the same database (a test suite beside the benchmark) would take this run's jobs, and
    this worker its, and only one of the two would drain at each tick. An embedded server
    (a Unix socket of the run's own) is private already.
    """
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "redis":
        yield url
        return
    for number in range(15, 0, -1):
        candidate = parts._replace(path=f"/{number}").geturl()
        client = redis.Redis.from_url(candidate)
        # Claimed by a key of its own at once, so that another run choosing meanwhile passes it by.
        if client.dbsize() == 0 and client.set(_CLAIM, os.getpid(), nx=True):
            try:
                yield candidate
            finally:
                client.flushdb()
                client.close()
            return
        client.close()
    raise RuntimeError(f"no empty database on the Redis server of {url}: the benchmark needs one of its own")


@contextlib.contextmanager
def receiver_process(folder: Path, name: str, secret: str) -> Iterator["ReceiverProcess"]:
    """``portal receiver`` on a free port, storing in an SQLite file in ``folder``."""
    port = free_port()
    data = folder / f"{name}.sqlite3"
    command = [sys.executable, "-m", "portal", "receiver", "--port", str(port), "--data", str(data)]
    # The secret in its environment, not on a command line that every user of the machine can read.
    with served(command, os.environ | {"PORTAL_RECEIVER_SECRET": secret}, port, "/_control/health") as process:
        yield ReceiverProcess(f"http://127.0.0.1:{port}", psutil.Process(process.pid))


class ReceiverProcess(NamedTuple):
    url: str
    process: psutil.Process

    def stats(self) -> dict[str, Any]:
        """GET /_control/stats: batches, events (distinct stored), duplicates, conflicts, outOfOrder..."""
        answer = httpx.get(f"{self.url}/_control/stats", timeout=30)
        answer.raise_for_status()
        stats: dict[str, Any] = answer.json()
        return stats

    def accept(self, secret: str) -> None:
        """Verify signatures with ``secret`` only, from now on."""
        httpx.post(f"{self.url}/_control/secrets", json={"secrets": [secret]}, timeout=30).raise_for_status()


async def new_authority(database_url: str) -> tuple[uuid.UUID, str]:
    """An authority of France: (authorityId, API key)."""
    db = await asyncpg.connect(database_url)
    try:
        async with transaction(db) as tx:
            return await register_authority(tx, "Bench Inspection du travail", HOST)
    finally:
        await db.close()


def register_endpoint(port: int, authority: tuple[uuid.UUID, str], url: str) -> str:
    """POST /authority/endpoints as the authority does: the endpoint's secret."""
    headers = {"x-authority-id": str(authority[0]), "x-api-key": authority[1]}
    answer = httpx.post(f"http://127.0.0.1:{port}/authority/endpoints", json={"url": url}, headers=headers, timeout=30)
    answer.raise_for_status()
    secret: str = answer.json()["secret"]
    return secret


async def template_events(database_url: str, size: int) -> list[ForwardedEvent]:
    """``size`` events of the fleet, built as the worker builds them (the declaration as of its version)."""
    pool = await create_pool(database_url, min_size=1, max_size=1)
    try:
        rows = await pool.fetch(
            "SELECT id, version FROM declarations WHERE posting_country = $1 AND status = 'SUBMITTED'"
            " ORDER BY id LIMIT $2",
            HOST,
            size,
        )
        async with pool.acquire() as db:
            return await events_of(unproxied(db), [FedEvent(0, row[0], row[1], "SUBMITTED") for row in rows])
    finally:
        await pool.close()


class Batches:
    """Distinct batches of the size and shape of real ones, each for the price of a copy.

    The body is the worker's encoding of real events. Each batch overwrites the first eight hex
    digits of every event's declaration id (in its eventId and in its declaration) with its own
    number, in place: the receiver stores every event as new (the ids of one batch differ
    after those digits already), while the sender spends next to nothing making them.
    """

    def __init__(self, template: list[ForwardedEvent]) -> None:
        if len({str(event.declaration.declaration_id)[8:] for event in template}) != len(template) or not template:
            raise ValueError("the template's declaration ids must differ after their first eight digits")
        self.body = batch_body(template)
        self.size = len(template)
        self.offsets: list[int] = []
        for event in template:
            text = str(event.declaration.declaration_id).encode()
            at = self.body.find(text)
            while at >= 0:
                self.offsets.append(at)
                at = self.body.find(text, at + 1)

    def batch(self, number: int) -> bytes:
        body = bytearray(self.body)
        prefix = b"%08x" % number
        for at in self.offsets:
            body[at : at + 8] = prefix
        return bytes(body)


async def _post_batches(url: str, secret: str, batches: Batches, numbers: range, deadline: float) -> None:
    """Batches ``numbers`` one after another on one keep-alive connection, signed as the
    portal signs them, as an endpoint's one job posts them; until the deadline at most."""
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx.AsyncClient(base_url=url, timeout=httpx.Timeout(60), limits=limits) as client:
        for number in numbers:
            if time.monotonic() > deadline:
                return
            body = batches.batch(number)
            identity = webhook_id("bench", [str(number)])
            timestamp = int(time.time())
            headers = JSON | {
                "webhook-id": identity,
                "webhook-timestamp": str(timestamp),
                "webhook-signature": signature([secret], identity, timestamp, body),
            }
            (await client.post("/", content=body, headers=headers)).raise_for_status()


class Taken(NamedTuple):
    events: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


def receiver_rate(receiver: ReceiverProcess, secret: str, batches: Batches, events: int, senders: int) -> Taken:
    """Events the receiver stored, and in how long, from ``senders`` clients posting at once
    (each on its connection) about ``events`` events; stopped after 10 minutes at most."""
    count = math.ceil(events / batches.size)
    deadline = time.monotonic() + 600

    async def run() -> None:
        await asyncio.gather(
            *(_post_batches(receiver.url, secret, batches, range(s, count, senders), deadline) for s in range(senders))
        )

    started = time.perf_counter()
    asyncio.run(run())
    return Taken(receiver.stats()["events"], time.perf_counter() - started)


async def draft_ids(database_url: str) -> list[uuid.UUID]:
    db = await asyncpg.connect(database_url)
    try:
        rows = await db.fetch(
            "SELECT id FROM declarations WHERE status = 'DRAFT' AND posting_country = $1 ORDER BY id", DRAFT_HOST
        )
    finally:
        await db.close()
    return [row[0] for row in rows]


def submit_requests(drafts: list[uuid.UUID], headers: dict[str, str]) -> list[bytes]:
    return [raw_request("POST", f"/declarations/{draft}/submit", headers) for draft in drafts]


async def offered_once(
    port: int, warm: list[bytes], requests: list[bytes], rate: float, seconds: float, expect: int
) -> Measured:
    """``harness.offered`` for requests that can be made once only (a draft is submitted once):
    the server is warmed with ``warm`` (creates), then ``requests`` are offered each once."""
    warm_lanes, warm_connections = await http_lanes(port, warm, 4, 201)
    await saturate(warm_lanes, 1.0)
    lanes, connections = await http_lanes(port, requests, LANES, expect)
    measured = await offer(lanes, rate, seconds)
    for connection in [*warm_connections, *connections]:
        assert connection.transport is not None
        connection.transport.close()
    return measured


def cpu_seconds(process: psutil.Process) -> tuple[float, float]:
    """CPU seconds of the process itself, and of its children (those running, and those ended
    that it waited for: renderers are replaced during a run)."""
    with contextlib.suppress(psutil.Error):
        own = process.cpu_times()
        children = own.children_user + own.children_system
        for child in process.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                times = child.cpu_times()
                children += times.user + times.system
        return own.user + own.system, children
    return 0.0, 0.0


def postgres_cpu_seconds() -> float:
    """CPU seconds of the machine's PostgreSQL processes (the benchmark's and any other's)."""
    total = 0.0
    for process in psutil.process_iter(["name", "cpu_times"]):
        if process.info["name"] in ("postgres", "postmaster") and process.info["cpu_times"] is not None:
            times = process.info["cpu_times"]
            total += times.user + times.system + times.children_user + times.children_system
    return total
