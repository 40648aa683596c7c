"""What the benchmarks share: their servers and database, the portal served as a process, its
peak memory sampled, a bulk upload posted, and single requests offered at a fixed rate."""

import contextlib
import datetime
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import msgspec
import psutil

from loadtests.open_loop import Measured, http_lanes, offer, raw_request, saturate
from loadtests.scenarios.common import driver_fields, token
from portal import clock
from portal.commands import settings as environment_settings
from portal.db import migrate, transaction
from portal.embedded import services_for
from portal.identity.service import register_operator

# The driver and lorry the single-request runs file for (a draft may overlap another).
LOAD_DRIVER = driver_fields(token())
LOAD_VEHICLE = {
    "plateNumber": f"OL{token()}",
    "registrationCountry": "PL",
    "transportType": "CARRIAGE_OF_GOODS",
    "vehicleWeight": "HEAVY",
}
JSON = {"content-type": "application/json"}
# Connections that offer requests at a fixed rate.
LANES = 32


@contextlib.contextmanager
def bench_servers() -> Iterator[tuple[Path, str, str]]:
    """A temporary folder, and the PostgreSQL and Redis servers DATABASE_URL and REDIS_URL name
    (embedded ones in the folder where unset): (folder, server URL, Redis URL)."""
    settings = environment_settings()
    with (
        tempfile.TemporaryDirectory() as temporary,
        services_for(settings.database.url, settings.redis.url, Path(temporary) / "embedded") as (
            server_url,
            redis_url,
        ),
    ):
        yield Path(temporary), server_url, redis_url


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def with_database(url: str, name: str) -> str:
    base, _, query = url.partition("?")
    return f"{base.rpartition('/')[0]}/{name}" + (f"?{query}" if query else "")


@contextlib.contextmanager
def served(command: list[str], env: dict[str, str], port: int, probe_path: str) -> Iterator["subprocess.Popen[bytes]"]:
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{port}{probe_path}", timeout=1).status_code < 500:
                    break
            time.sleep(0.2)
        else:
            raise RuntimeError(f"{command[2:4]} did not start on port {port}")
        yield process
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()


async def prepare_database(server_url: str, name: str) -> tuple[str, uuid.UUID, str]:
    admin = await asyncpg.connect(server_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    url = with_database(server_url, name)
    await migrate(url)
    db = await asyncpg.connect(url)
    await db.execute("CREATE TABLE bench_minimal_rows (id bigserial PRIMARY KEY, name text NOT NULL)")
    async with transaction(db) as tx:
        operator_id, api_key = await register_operator(tx, "Bench Transport", "PL")
    await db.close()
    return url, operator_id, api_key


def peak_rss(process: psutil.Process, stop: threading.Event, peak: list[int]) -> None:
    while not stop.is_set():
        with contextlib.suppress(psutil.Error):
            for member in [process, *process.children(recursive=True)]:
                peak[0] = max(peak[0], member.memory_info().rss)
        time.sleep(0.2)


def post_bulk(
    port: int, records_file: Path, headers: dict[str, str], server: "subprocess.Popen[bytes]"
) -> tuple[dict[str, Any], float, int]:
    def chunks() -> Iterator[bytes]:
        with records_file.open("rb") as source:
            while chunk := source.read(256 * 1024):
                yield chunk

    stop, peak = threading.Event(), [0]
    sampler = threading.Thread(target=peak_rss, args=(psutil.Process(server.pid), stop, peak), daemon=True)
    sampler.start()
    started = time.perf_counter()
    # No write timeout: the server reads a batch, then files it before it reads on.
    with httpx.Client(timeout=httpx.Timeout(30, read=None, write=None)) as client:
        response = client.post(
            f"http://127.0.0.1:{port}/declarations/bulk?submit=true",
            content=chunks(),
            headers=headers | {"content-type": "application/x-ndjson"},
        )
    elapsed = time.perf_counter() - started
    stop.set()
    sampler.join()
    response.raise_for_status()
    return msgspec.json.decode(response.content), elapsed, peak[0]


async def offered(port: int, requests: list[bytes], rate: float, seconds: float, expect: int) -> Measured:
    """Open loop: ``rate`` requests a second, each due at its time, latency counted from then."""
    lanes, connections = await http_lanes(port, requests, LANES, expect)
    await saturate(lanes[:4], 1.0)  # connections and prepared statements warm
    measured = await offer(lanes, rate, seconds)
    for connection in connections:
        assert connection.transport is not None
        connection.transport.close()
    return measured


def create_requests(port: int, headers: dict[str, str]) -> list[bytes]:
    """Drafts for a driver and a lorry of their own (drafts may overlap: one body will do)."""
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers) as client:
        driver = client.post("/drivers", json=LOAD_DRIVER).json()["driverId"]
        plate = client.post("/plate-numbers", json=LOAD_VEHICLE).json()["plateNumber"]
    start = clock.today() + datetime.timedelta(days=2)
    body = {
        "driverId": driver,
        "declarationPostingCountry": "FR",
        "declarationStartDate": start.isoformat(),
        "declarationEndDate": (start + datetime.timedelta(days=1)).isoformat(),
        "declarationOperationType": ["INTERNATIONAL_CARRIAGE"],
        "declarationTransportType": ["CARRIAGE_OF_GOODS"],
        "declarationVehiclePlateNumberHeavy": [plate],
        "otherContactAsTransportManager": True,
    }
    return [raw_request("POST", "/declarations", headers | JSON, msgspec.json.encode(body))]


async def drop_database(server_url: str, name: str) -> None:
    admin = await asyncpg.connect(server_url)
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()
