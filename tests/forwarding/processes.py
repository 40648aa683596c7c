"""What the forwarding fault tests run and break: PostgreSQL and Redis of a test's own, ``portal
worker`` and ``portal receiver`` as real processes, each in a session of its own (so that a kill
takes it whole) and logging unbuffered to a file of the test's; and the scene they play in, an
operator filing through the API in the test's process for an authority with one endpoint."""

import asyncio
import contextlib
import itertools
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from asyncio.subprocess import PIPE
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import httpx
from litestar import Litestar
from litestar.testing import AsyncTestClient

from portal import settings as configuration
from portal.app import create_app
from portal.embedded import EmbeddedServices
from portal.forwarding.signature import new_secret
from portal.settings import Settings
from tests.conftest import new_authority, new_operator, settings_for
from tests.factories import Authority, Operator, declaration_body, driver_body

T = TypeVar("T")
Client = AsyncTestClient[Litestar]
_plates = itertools.count(1)
# A line of ``portal receiver``'s log (structlog's key=value): its event, then the fields after it.
_LOGGED = re.compile(r"\bevent=(?P<event>[a-z ]+?) (?P<fields>\w+=.*)$")


class Services:
    """PostgreSQL and Redis of the test's own (in ``folder``), so that it can restart and wipe them."""

    def __init__(self, folder: Path) -> None:
        self.database = EmbeddedServices(folder / "pg", database=True, cache=False).start()
        try:
            self.cache = EmbeddedServices(folder / "redis", database=False, cache=True).start()
        except BaseException:
            self.database.stop()
            raise

    async def restart_postgres(self, down_seconds: float) -> None:
        """PostgreSQL stopped (every connection of the worker and of the API cut) and started again."""
        self.database.stop()
        await asyncio.sleep(down_seconds)
        self.database.start()

    async def wipe_redis(self, down_seconds: float) -> None:
        """Redis stopped, and started again with its data gone: the queued jobs lost, and arq's
        keys of the running ones."""
        self.cache.stop()
        shutil.rmtree(self.cache.data_dir / "redis")
        await asyncio.sleep(down_seconds)
        self.cache.start()

    def stop(self) -> None:
        self.cache.stop()
        self.database.stop()


def _started(arguments: list[str], log: Path, environment: dict[str, str]) -> "subprocess.Popen[bytes]":
    # Appended to: a receiver started again goes on with the same log, for the reader of a failure.
    with log.open("ab") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "portal", *arguments],
            env=environment | {"PYTHONUNBUFFERED": "1"},
            start_new_session=True,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def _ended(process: "subprocess.Popen[bytes]", signum: int) -> None:
    """``signum`` to the process's whole group, and wait for it (killed if it lingers)."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signum)
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)


def environment_of(settings: Settings) -> dict[str, str]:
    """What a ``portal`` command run with ``settings`` reads."""
    return os.environ | configuration.as_environment(settings)


class Worker:
    """``portal worker`` with ``settings``."""

    def __init__(self, settings: Settings, log: Path) -> None:
        self.log = log
        self.process = _started(["worker"], log, environment_of(settings))

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """kill -9 of the worker and of every process it started: no cleanup of any kind runs."""
        _ended(self.process, signal.SIGKILL)

    def stop(self) -> None:
        _ended(self.process, signal.SIGTERM)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class ReceiverProcess:
    """``portal receiver`` on a port of its own, its store in ``data``: stopped and started again,
    it listens on the same port and keeps what it stored. It starts with a secret nobody signs
    with (an endpoint's is only known once registered): tell it the real one with ``secrets``."""

    def __init__(self, data: Path, log: Path) -> None:
        self.data = data
        self.log = log
        self.url = f"http://127.0.0.1:{free_port()}"
        self._secrets = [new_secret()]
        self._process: subprocess.Popen[bytes] | None = None

    async def start(self) -> None:
        arguments = ["receiver", "--port", self.url.rpartition(":")[2], "--data", str(self.data)]
        for secret in self._secrets:
            arguments += ["--secret", secret]
        self._process = _started(arguments, self.log, dict(os.environ))
        await until(self._healthy, 20, "the receiver answers")

    async def _healthy(self) -> bool:
        assert self._process is not None
        if self._process.poll() is not None:
            raise AssertionError(f"the receiver exited with {self._process.returncode}: see {self.log}")
        try:
            await self.control("/_control/health")
        except httpx.TransportError:
            return False
        return True

    def stop(self) -> None:
        """The receiver down: its process stopped, connections refused until it is started again."""
        if self._process is not None:
            _ended(self._process, signal.SIGTERM)

    async def secrets(self, *secrets: str) -> None:
        """The secrets it verifies with from now on (and once started again)."""
        self._secrets = list(secrets)
        await self.control("/_control/secrets", {"secrets": self._secrets})

    async def mode(self, mode: str, **more: Any) -> None:
        await self.control("/_control/mode", {"mode": mode} | more)

    async def stats(self) -> dict[str, Any]:
        stats: dict[str, Any] = await self.control("/_control/stats")
        return stats

    async def events(self) -> list[dict[str, Any]]:
        """Every event it stored, in the order they arrived."""
        events: list[dict[str, Any]] = []
        after = 0
        while True:
            page = await self.control(f"/_control/events?after={after}&limit=10000")
            if not page["events"]:
                return events
            events += page["events"]
            after = page["next"]

    async def control(self, path: str, body: dict[str, Any] | None = None) -> Any:
        async with httpx.AsyncClient(base_url=self.url, timeout=10) as http:
            answer = await (http.post(path, json=body) if body is not None else http.get(path))
            answer.raise_for_status()
            return answer.json()

    def logged(self, event: str) -> list[dict[str, str]]:
        """The fields of each line of its log about ``event`` ("batch received", say)."""
        found = []
        for line in self.log.read_text(errors="replace").splitlines():
            match = _LOGGED.search(line)
            if match and match["event"] == event:
                found.append(dict(re.findall(r"(\w+)=(\S*)", match["fields"])))
        return found


async def until(check: Callable[[], Awaitable[T]], seconds: float, what: str, every: float = 0.2) -> T:
    """The first truthy result of ``check``, polled until ``seconds`` have passed."""
    deadline = time.monotonic() + seconds
    while True:
        found = await check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds} s: {what} (last seen: {found!r})")
        await asyncio.sleep(every)


def fault_settings(services: Services, **forwarding: Any) -> Settings:
    """Retries a fraction of a second apart and waits of 2 s at most, so that delivery resumes
    moments after a fault ends; a lease of 3 s, so that a killed worker's endpoint is soon
    another job's; batches of 10, so that a few dozen events make several batches."""
    return configuration.replace(
        settings_for(services.database.database_url, services.cache.redis_url),
        delivery={"drain_seconds": 1},
        forwarding={
            "allow_http": True,
            "allow_private": True,
            "retry_seconds": 0.2,
            "max_retry_seconds": 2.0,
            "timeout_seconds": 2.0,
            "lease_seconds": 3,
            "run_seconds": 10,
            "batch_size": 10,
        }
        | forwarding,
    )


class Scene:
    """An operator filing declarations for France, whose authority has one endpoint at the
    receiver; the versions filed, to hold against what the receiver got."""

    def __init__(self, settings: Settings, client: Client, folder: Path) -> None:
        self.settings = settings
        self.client = client
        self.folder = folder
        self.receiver = ReceiverProcess(folder / "receiver.sqlite3", folder / "receiver.log")
        self.workers: list[Worker] = []
        # Each declaration's versions that are events: submitted, updated, withdrawn.
        self.filed: dict[str, list[int]] = {}
        self.operator: Operator
        self.authority: Authority
        self.endpoint_id: str

    async def begin(self) -> None:
        db = await asyncpg.connect(self.settings.database.url)
        try:
            self.operator = await new_operator(db)
            self.authority = await new_authority(db, "FR")
        finally:
            await db.close()
        await self.receiver.start()
        made = await self.authority_post("/authority/endpoints", {"url": self.receiver.url + "/events"}, status=201)
        self.endpoint_id = made["endpointId"]
        await self.receiver.secrets(made["secret"])

    def worker(self) -> Worker:
        started = Worker(self.settings, self.folder / f"worker-{len(self.workers) + 1}.log")
        self.workers.append(started)
        return started

    async def file_in_bulk(self, count: int) -> list[str]:
        """``count`` declarations submitted in one upload (one transaction); their ids."""
        body = b"".join(json.dumps(_record()).encode() + b"\n" for _ in range(count))
        headers = self.operator.headers | {"content-type": "application/x-ndjson"}
        upload = await self.client.post("/declarations/bulk", content=body, headers=headers)
        assert (upload.status_code, upload.json()["submitted"]) == (202, count), upload.text
        results = await self.client.get(upload.json()["resultsUrl"], headers=self.operator.headers)
        ids = [json.loads(line)["declarationId"] for line in results.text.splitlines()]
        for declaration_id in ids:
            read = await self.client.get(f"/declarations/{declaration_id}", headers=self.operator.headers)
            self.filed[declaration_id] = [read.json()["declarationVersion"]]
        return ids

    async def update(self, declaration_id: str) -> None:
        versions = self.filed[declaration_id]
        phone = f"+33 1 23 45 {len(versions):02d} 89"  # another each time: an update changes something
        answer = await self.client.put(
            f"/declarations/{declaration_id}/submit", json={"otherContactPhone": phone}, headers=self.operator.headers
        )
        assert answer.status_code == 200, answer.text
        versions.append(answer.json()["declarationVersion"])

    async def withdraw(self, declaration_id: str) -> None:
        answer = await self.client.post(f"/declarations/{declaration_id}/withdraw", headers=self.operator.headers)
        assert answer.status_code == 200, answer.text
        self.filed[declaration_id].append(answer.json()["declarationVersion"])

    async def file_mixed(self, count: int) -> None:
        """``count`` declarations in bulk, a third of them updated, a sixth updated twice and
        withdrawn: a declaration's versions must arrive in order. 5 events for 3 declarations."""
        ids = await self.file_in_bulk(count)
        for declaration_id in ids[: count // 3]:
            await self.update(declaration_id)
        for declaration_id in ids[: count // 6]:
            await self.update(declaration_id)
            await self.withdraw(declaration_id)

    async def authority_post(self, path: str, body: dict[str, Any], status: int = 200) -> dict[str, Any]:
        answer = await self.client.post(path, json=body, headers=self.authority.headers)
        assert answer.status_code == status, answer.text
        made: dict[str, Any] = answer.json()
        return made

    async def endpoint(self) -> dict[str, Any]:
        """The endpoint as its authority reads it: backlog, failures, last error, dead events."""
        answer = await self.client.get("/authority/endpoints", headers=self.authority.headers)
        items: list[dict[str, Any]] = answer.json()["items"]
        [endpoint] = [item for item in items if item["endpointId"] == self.endpoint_id]
        return endpoint

    async def received(self) -> int:
        """Events stored at the receiver."""
        return int((await self.receiver.stats())["events"])

    async def received_more_than(self, count: int) -> bool:
        return await self.received() > count

    def expected(self) -> set[tuple[str, int]]:
        return {(declaration_id, version) for declaration_id, versions in self.filed.items() for version in versions}

    async def all_delivered(self, *, rejections: bool = False, seconds: float = 60) -> dict[str, Any]:
        """Wait until the receiver has every event filed and the endpoint nothing more to send;
        assert that each event is stored once, none is a conflict, each declaration's versions
        arrived in order, and none was refused (unless ``rejections``). The receiver's counts."""
        expected = self.expected()
        await until(self._done, seconds, f"{len(expected)} events at the receiver, none left to send")
        events = await self.receiver.events()
        assert len(events) == len(expected)  # an eventId is stored once
        assert {(event["declarationId"], event["version"]) for event in events} == expected
        arrived: dict[str, list[int]] = {}
        for event in events:
            arrived.setdefault(event["declarationId"], []).append(event["version"])
        assert arrived == {declaration_id: sorted(versions) for declaration_id, versions in self.filed.items()}
        stats = await self.receiver.stats()
        assert (stats["conflicts"], stats["outOfOrder"]) == (0, 0), stats
        assert stats["rejected"]["stale"] == stats["rejected"]["malformed"] == 0, stats
        assert rejections or stats["rejected"]["signature"] == 0, stats
        return stats

    async def _done(self) -> bool:
        if await self.received() < len(self.expected()):
            return False
        endpoint = await self.endpoint()
        return (endpoint["backlog"], endpoint["dead"], endpoint["redriving"]) == (0, 0, 0)

    def stop(self) -> None:
        for started in self.workers:
            started.stop()
        self.receiver.stop()


def _record() -> dict[str, Any]:
    """A bulk record: a driver of its own, a heavy-goods plate of its own, submitted, no e-mail."""
    declaration = declaration_body("unused", [f"FW{next(_plates):06d}"])
    del declaration["driverId"], declaration["driverEmail"]
    return {"clientReference": str(uuid.uuid4()), "submit": True} | driver_body() | declaration


@contextlib.asynccontextmanager
async def scene(services: Services, folder: Path, **forwarding: Any) -> AsyncIterator[Scene]:
    """The API in this process, the receiver and the endpoint ready; the workers are the test's."""
    settings = fault_settings(services, **forwarding)
    async with AsyncTestClient(create_app(settings)) as client:
        made = Scene(settings, client, folder)
        try:
            await made.begin()
            yield made
        finally:
            made.stop()


async def admin(filing: Scene, *arguments: str) -> bytes:
    """What ``portal admin`` prints, run as an operator of the portal would."""
    command = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "portal", "admin", *arguments, env=environment_of(filing.settings), stdout=PIPE
    )
    output, _ = await command.communicate()
    assert command.returncode == 0, output
    return output
