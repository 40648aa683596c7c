"""``portal bench``: the figures of issue 4 in one run, each beside the machine's own limit.

Bulk: the raw COPY rate of the same rows into a bare table, against declarations per second
end to end through ``POST /declarations/bulk`` (validated, rules checked, stored, events
written), and the peak RSS of the server process that took the upload. Single requests: a
minimal litestar + asyncpg endpoint inserting one row, against create + submit of the portal,
both served by granian with the same workers and driven by the same locust users.
"""

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
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

from loadtests.quick import run_scenario
from portal import clock
from portal.bulk import repository as bulk_sql
from portal.bulk import validate
from portal.db import migrate
from portal.embedded import services_for
from portal.fleet.files import write
from portal.fleet.generator import generate
from portal.operators.service import register_operator
from portal.settings import get_settings

LOADTESTS = Path(__file__).parent
COPY_BATCH = 5000


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


async def _prepare(server_url: str, name: str) -> tuple[str, uuid.UUID, str]:
    admin = await asyncpg.connect(server_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    url = with_database(server_url, name)
    await migrate(url)
    db = await asyncpg.connect(url)
    await db.execute("CREATE TABLE bench_minimal_rows (id bigserial PRIMARY KEY, name text NOT NULL)")
    async with db.transaction():
        operator_id, api_key = await register_operator(db, "Bench Transport", "PL")
    await db.close()
    return url, operator_id, api_key


async def _raw_copy_rate(url: str, records_file: Path, operator_id: uuid.UUID) -> float:
    """COPY the rows the bulk path stages into a bare table; only the COPY is timed."""
    upload = validate.Upload(
        operator_id=operator_id,
        establishment_country="PL",
        today=clock.today(),
        now=clock.now(),
        submit_by_default=True,
    )
    db = await asyncpg.connect(url)
    bare = bulk_sql.CREATE_STAGING.replace(
        "CREATE TEMP TABLE IF NOT EXISTS bulk_staging", "CREATE TABLE bench_raw_copy"
    )
    await db.execute(
        bare.replace("ON COMMIT DELETE ROWS", "").replace("position integer PRIMARY KEY", "position integer")
    )
    copied, spent = 0, 0.0
    register = validate.Register({})  # the baseline copies rows; what the register says does not matter
    rows: list[tuple[object, ...]] = []
    with records_file.open("rb") as lines:
        for position, line in enumerate(lines):
            record, errors = validate.check(line, upload, register)
            if record is not None and not errors:
                rows.append(validate.staging_row(position, record, upload))
            if len(rows) >= COPY_BATCH:
                started = time.perf_counter()
                await db.copy_records_to_table("bench_raw_copy", records=rows, columns=bulk_sql.STAGING_COLUMNS)
                spent += time.perf_counter() - started
                copied += len(rows)
                rows = []
    if rows:
        started = time.perf_counter()
        await db.copy_records_to_table("bench_raw_copy", records=rows, columns=bulk_sql.STAGING_COLUMNS)
        spent += time.perf_counter() - started
        copied += len(rows)
    await db.close()
    return copied / spent


def _peak_rss(process: psutil.Process, stop: threading.Event, peak: list[int]) -> None:
    while not stop.is_set():
        with contextlib.suppress(psutil.Error):
            for member in [process, *process.children(recursive=True)]:
                peak[0] = max(peak[0], member.memory_info().rss)
        time.sleep(0.2)


def _bulk(
    port: int, records_file: Path, headers: dict[str, str], server: "subprocess.Popen[bytes]"
) -> tuple[dict[str, Any], float, int]:
    def chunks() -> Iterator[bytes]:
        with records_file.open("rb") as source:
            while chunk := source.read(256 * 1024):
                yield chunk

    stop, peak = threading.Event(), [0]
    sampler = threading.Thread(target=_peak_rss, args=(psutil.Process(server.pid), stop, peak), daemon=True)
    sampler.start()
    started = time.perf_counter()
    with httpx.Client(timeout=httpx.Timeout(30, read=None)) as client:
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


def _rows(stats: list[dict[str, str]], name: str) -> dict[str, str]:
    return next(row for row in stats if row["Name"] == name)


def main(records: int, drivers: int, users: int, seconds: int, workers: int) -> None:
    settings = get_settings()
    name = f"portal_bench_{uuid.uuid4().hex[:8]}"
    with (
        tempfile.TemporaryDirectory() as folder,
        services_for(settings.database_url, settings.redis_url, Path(folder) / "embedded") as (server_url, redis_url),
    ):
        url, operator_id, api_key = asyncio.run(_prepare(server_url, name))
        headers = {"x-operator-id": str(operator_id), "x-api-key": api_key}
        records_file = Path(folder) / "fleet.ndjson"
        print(f"generating {records:,} records for {drivers:,} drivers ...", file=sys.stderr)
        write(records_file, generate(drivers, records))
        print("measuring raw COPY ...", file=sys.stderr)
        copy_rate = asyncio.run(_raw_copy_rate(url, records_file, operator_id))
        env = os.environ | {"DATABASE_URL": url, "REDIS_URL": redis_url, "PORTAL_DATA_DIR": folder}
        portal_port, minimal_port = free_port(), free_port()
        serve = [sys.executable, "-m", "portal", "serve", "--no-worker", "--workers", str(workers)]
        with served([*serve, "--port", str(portal_port)], env, portal_port, "/ping") as portal:
            print(f"filing {records:,} records through POST /declarations/bulk ...", file=sys.stderr)
            summary, elapsed, peak = _bulk(portal_port, records_file, headers, portal)
            load_env = env | {"PORTAL_LOAD_OPERATOR_ID": str(operator_id), "PORTAL_LOAD_API_KEY": api_key}
            print("single requests: create + submit ...", file=sys.stderr)
            filing = run_scenario("FilingUser", f"http://127.0.0.1:{portal_port}", users, seconds, load_env)
        minimal = [
            sys.executable, "-m", "granian", "--interface", "asgi", "--factory", "--workers", str(workers),
            "--port", str(minimal_port), "--no-log", "loadtests.minimal_app:create_app",
        ]  # fmt: skip
        with served(minimal, env, minimal_port, "/rows"):
            print("single requests: the minimal insert endpoint ...", file=sys.stderr)
            yardstick = run_scenario(
                "MinimalInsertUser", f"http://127.0.0.1:{minimal_port}", users, seconds, env, LOADTESTS / "yardstick.py"
            )
        asyncio.run(drop_database(server_url, name))
    _report(records, summary, elapsed, peak, copy_rate, filing, yardstick, workers, users, seconds)


async def drop_database(server_url: str, name: str) -> None:
    admin = await asyncpg.connect(server_url)
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()


def _report(
    records: int,
    summary: dict[str, Any],
    elapsed: float,
    peak: int,
    copy_rate: float,
    filing: list[dict[str, str]],
    yardstick: list[dict[str, str]],
    workers: int,
    users: int,
    seconds: int,
) -> None:
    bulk_rate = summary["accepted"] / elapsed
    minimal = _rows(yardstick, "/rows")
    minimal_rate = float(minimal["Requests/s"])
    print(f"\nportal bench: {os.cpu_count()} cores, {workers} server workers, {users} locust users, {seconds} s a run")
    print(f"{'figure':46} {'value':>12} {'limit':>12} {'ratio':>7}  target")
    print(f"{'bulk: raw COPY of the same rows (rows/s)':46} {copy_rate:12,.0f}")
    print(
        f"{'bulk: POST /declarations/bulk (declarations/s)':46} {bulk_rate:12,.0f} {copy_rate:12,.0f}"
        f" {bulk_rate / copy_rate:7.0%}  >= 40%"
    )
    print(
        f"{'bulk: ' + format(records, ',') + ' records filed in (s)':46} {elapsed:12.1f}"
        f" {'':12} {'':7}  1M in <= 60 s ({1_000_000 / bulk_rate:.0f} s at this rate)"
    )
    print(f"{'bulk: accepted / refused':46} {summary['accepted']:>6,} / {summary['rejected']:,}")
    print(f"{'bulk: portal peak RSS (MB)':46} {peak / 2**20:12.0f} {'':12} {'':7}  < 300 MB")
    print(
        f"{'single: minimal insert (req/s, p50, p99 ms)':46} {minimal_rate:12,.0f}"
        f"   p50 {minimal['50%']} p99 {minimal['99%']}"
    )
    for name in ("/declarations", "/declarations/{id}/submit"):
        row = _rows(filing, name)
        rate = float(row["Requests/s"])
        label = "create" if name == "/declarations" else "submit"
        print(
            f"{'single: ' + label + ' (req/s)':46} {rate:12,.0f} {minimal_rate:12,.0f} {rate / minimal_rate:7.0%}"
            f"  >= 60%, p99 {row['99%']} ms (< 50)"
        )
