"""``portal bench-lookups``: roadside plate look-ups on a year of declarations (issue 5), in one run.

A year of EU volume is loaded by COPY (``loadtests.lookup_loader``), then plates present in it
are looked up, each in its own posting country: the bare indexed SELECT through an asyncpg pool
(the yardstick), the real ``GET /authority/declarations?plate=`` with its audit write, and the
same while a bulk upload files. Each at saturation and at a fixed offered rate, open loop: a
request is due at its time whether or not earlier ones are answered, and its latency counts
from then, so that queueing shows. The client's own ceiling is measured in the same run.
"""

import asyncio
import contextlib
import datetime
import os
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import asyncpg
import httpx
import msgspec

from loadtests.harness import bench_servers, drop_database, free_port, served, with_database
from loadtests.lookup_loader import Loaded, load
from loadtests.lookup_report import Figures, report
from loadtests.open_loop import Call, Measured, http_lanes, offer, saturate
from loadtests.synthetic.files import write
from loadtests.synthetic.generator import generate
from portal.authorities.repository import SEARCH_CONDITIONS, found
from portal.db import create_pool, migrate, transaction
from portal.identity.service import register_authority, register_operator

SAMPLE = 20_000
# The roadside search by plate without its audit, its key as $3: the yardstick of the look-ups.
BARE_PLATE_SEARCH = found(SEARCH_CONDITIONS["plate"].replace("$7", "$3"))
WARM_UP_SECONDS = 2.0
# A run's load is kept in the database, so that a reused one reports how it was loaded.
_RUNS_TABLE = "bench_lookup_loads"


class Target(NamedTuple):
    """A plate present in the loaded rows, with the host country it was declared for."""

    country: str
    plate: str


async def _sample(db: asyncpg.Connection) -> list[Target]:
    rows = await db.fetchval("SELECT reltuples::bigint FROM pg_class WHERE relname = 'declarations'")
    percent = min(100.0, 100.0 * 4 * SAMPLE / max(rows or 1, 1))
    found = await db.fetch(
        f"""
        SELECT posting_country, plate FROM declarations TABLESAMPLE SYSTEM ({percent})
        CROSS JOIN LATERAL unnest(plates_passengers || plates_light || plates_heavy) AS plate
        WHERE status <> 'DRAFT' ORDER BY random() LIMIT {SAMPLE}
        """
    )
    if not found:
        raise RuntimeError("no declaration with a plate in the database: nothing to look up")
    return [Target(row[0], row[1]) for row in found]


def _bare_lanes(pool: asyncpg.Pool, targets: list[Target], count: int) -> list[Call]:
    query, today = BARE_PLATE_SEARCH, datetime.datetime.now(datetime.UTC).date()

    async def call(number: int) -> bool:
        target = targets[number % len(targets)]
        return bool(await pool.fetch(query, target.country, today, target.plate))

    return [call] * count


def _select_one_lanes(pool: asyncpg.Pool, count: int) -> list[Call]:
    async def call(number: int) -> bool:
        one: int = await pool.fetchval("SELECT 1")
        return one == 1

    return [call] * count


async def _authorities(db: asyncpg.Connection, countries: set[str]) -> dict[str, tuple[uuid.UUID, str]]:
    made = {}
    async with transaction(db) as tx:
        for country in sorted(countries):
            made[country] = await register_authority(tx, f"Roadside bench {country}", country)
    return made


def _requests(targets: list[Target], authorities: dict[str, tuple[uuid.UUID, str]]) -> list[bytes]:
    return [
        (
            f"GET /authority/declarations?plate={target.plate}&purpose=bench HTTP/1.1\r\nhost: 127.0.0.1\r\n"
            f"x-api-key: {authorities[target.country][1]}\r\nx-authority-id: {authorities[target.country][0]}\r\n\r\n"
        ).encode()
        for target in targets
    ]


async def _bare(url: str, targets: list[Target], rate: float, seconds: float, concurrency: int) -> list[Measured]:
    # The yardstick runs as the portal's look-ups do: a pool that plans each statement once, JIT
    # and parallel workers off (portal.db.create_pool), so only the HTTP layer and the audit
    # write differ.
    pool = await create_pool(url, min_size=concurrency, max_size=concurrency)
    lanes = _bare_lanes(pool, targets, concurrency)
    print("bare SELECT: client ceiling (SELECT 1), saturation, fixed rate ...", file=sys.stderr)
    select_one = await saturate(_select_one_lanes(pool, concurrency), seconds / 2)
    await saturate(lanes, WARM_UP_SECONDS)
    figures = [select_one, await saturate(lanes, seconds), await offer(lanes, rate, seconds)]
    await pool.close()
    # Not the yardstick, the reason for it: with PostgreSQL's defaults each look-up is planned
    # anew and may start parallel workers, which cost more than the look-up itself.
    default = await asyncpg.create_pool(url, min_size=concurrency, max_size=concurrency)
    assert default is not None
    default_lanes = _bare_lanes(default, targets, concurrency)
    await saturate(default_lanes, WARM_UP_SECONDS)
    figures.append(await saturate(default_lanes, seconds))
    await default.close()
    return figures


async def _http(port: int, requests: list[bytes], rate: float, seconds: float, concurrency: int) -> list[Measured]:
    print("HTTP: client ceiling (/ping), saturation, fixed rate ...", file=sys.stderr)
    ping, ping_connections = await http_lanes(port, [b"GET /ping HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n"], concurrency)
    lanes, connections = await http_lanes(port, requests, concurrency)
    figures = [await saturate(ping, seconds / 2)]
    await saturate(lanes, WARM_UP_SECONDS)
    figures += [await saturate(lanes, seconds), await offer(lanes, rate, seconds)]
    for connection in ping_connections + connections:
        assert connection.transport is not None
        connection.transport.close()
    return figures


async def _offer_http(port: int, requests: list[bytes], rate: float, seconds: float, concurrency: int) -> Measured:
    lanes, connections = await http_lanes(port, requests, concurrency)
    measured = await offer(lanes, rate, seconds)
    for connection in connections:
        assert connection.transport is not None
        connection.transport.close()
    return measured


def _while_filing(
    port: int, requests: list[bytes], rate: float, seconds: float, concurrency: int, filing: "Filing"
) -> tuple[Measured, tuple[dict[str, Any], float]]:
    """Look-ups at the offered rate while a bulk upload files, started a moment before them."""
    outcome: list[tuple[dict[str, Any], float]] = []
    started = time.perf_counter()

    def upload() -> None:
        with contextlib.suppress(httpx.HTTPError):  # cut off when the server stops: reported unfinished
            outcome.append(_upload(port, filing))

    uploading = threading.Thread(target=upload, daemon=True)
    uploading.start()
    time.sleep(1)
    measured = asyncio.run(_offer_http(port, requests, rate, seconds, concurrency))
    # The look-ups are measured; the upload may finish, but is not waited for without end.
    uploading.join(timeout=max(60.0, 3 * seconds))
    if not outcome:
        return measured, ({}, time.perf_counter() - started)
    return measured, outcome[0]


def _upload(port: int, filing: "Filing") -> tuple[dict[str, Any], float]:
    """POST the records file as NDJSON; no time limit on writes, which stall while a CPU-starved
    server files the batch before."""

    def chunks() -> Iterator[bytes]:
        with filing.records_file.open("rb") as source:
            while chunk := source.read(256 * 1024):
                yield chunk

    started = time.perf_counter()
    with httpx.Client(timeout=None) as client:
        response = client.post(
            f"http://127.0.0.1:{port}/declarations/bulk?submit=true",
            content=chunks(),
            headers=filing.headers | {"content-type": "application/x-ndjson"},
        )
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    summary: dict[str, Any] = msgspec.json.decode(response.content)
    return summary, elapsed


class Filing(NamedTuple):
    records_file: Path
    headers: dict[str, str]


async def prepare_database(server_url: str, name: str, declarations: int, jobs: int) -> tuple[str, Loaded]:
    """The database ``name`` loaded with ``declarations``, or as a previous run left it."""
    admin = await asyncpg.connect(server_url)
    exists = await admin.fetchval("SELECT true FROM pg_database WHERE datname = $1", name)
    if not exists:
        await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    url = with_database(server_url, name)
    await migrate(url)
    db = await asyncpg.connect(url)
    await db.execute(
        f"CREATE TABLE IF NOT EXISTS {_RUNS_TABLE} (declarations bigint, seconds float8, notes text[],"
        " at timestamptz DEFAULT now())"
    )
    previous = await db.fetchrow(f"SELECT declarations, seconds, notes FROM {_RUNS_TABLE} ORDER BY at DESC LIMIT 1")
    await db.close()
    if previous is not None:
        notes = [*previous["notes"], f"database {name} loaded by an earlier run, not loaded again"]
        return url, Loaded(previous["declarations"], previous["seconds"], notes)
    print(f"loading {declarations:,} declarations into {name} ...", file=sys.stderr)
    loaded = await load(url, declarations, jobs)
    db = await asyncpg.connect(url)
    await db.execute(f"INSERT INTO {_RUNS_TABLE} VALUES ($1, $2, $3)", *loaded)
    await db.close()
    return url, loaded


async def _setup(url: str, filing_records: int, folder: Path) -> tuple[list[Target], list[bytes], Filing, int]:
    db = await asyncpg.connect(url)
    targets = await _sample(db)
    authorities = await _authorities(db, {target.country for target in targets})
    async with transaction(db) as tx:
        operator_id, api_key = await register_operator(tx, f"Filing bench {uuid.uuid4().hex[:6]}", "PL")
    size: int = await db.fetchval("SELECT pg_database_size(current_database())")
    await db.close()
    records_file = folder / "filing.ndjson"
    print(f"generating {filing_records:,} records to file during the look-ups ...", file=sys.stderr)
    write(records_file, generate(max(1, filing_records // 10), filing_records, seed=int(time.time())))
    headers = {"x-operator-id": str(operator_id), "x-api-key": api_key}
    return targets, _requests(targets, authorities), Filing(records_file, headers), size


def main(
    declarations: int,
    seconds: float,
    rate: float,
    workers: int,
    concurrency: int,
    database: str | None,
    keep: bool,
) -> None:
    name = database or f"portal_lookups_{uuid.uuid4().hex[:8]}"
    filing_records = max(1000, int(seconds * 5000))
    with bench_servers() as (folder, server_url, redis_url):
        url, loaded = asyncio.run(prepare_database(server_url, name, declarations, os.cpu_count() or 2))
        targets, requests, filing, size = asyncio.run(_setup(url, filing_records, folder))
        select_one, bare_saturated, bare_offered, bare_default_plans = asyncio.run(
            _bare(url, targets, rate, seconds, concurrency)
        )
        env = os.environ | {"DATABASE_URL": url, "REDIS_URL": redis_url, "PORTAL_DATA_DIR": str(folder)}
        port = free_port()
        serve = [sys.executable, "-m", "portal", "serve", "--no-worker", "--workers", str(workers), "--port", str(port)]
        with served(serve, env, port, "/ping"):
            ping, http_saturated, http_offered = asyncio.run(_http(port, requests, rate, seconds, concurrency))
            print(f"HTTP at {rate:,.0f}/s while {filing_records:,} declarations are filed in bulk ...", file=sys.stderr)
            http_filing, filed = _while_filing(port, requests, rate, seconds, concurrency, filing)
        if not (keep or database):
            asyncio.run(drop_database(server_url, name))
    figures = Figures(
        select_one=select_one,
        bare_saturated=bare_saturated,
        bare_offered=bare_offered,
        bare_default_plans=bare_default_plans,
        ping=ping,
        http_saturated=http_saturated,
        http_offered=http_offered,
        http_filing=http_filing,
        filing=filed,
    )
    report(loaded, size, len(targets), figures, rate, seconds, workers, concurrency, name if keep or database else None)
