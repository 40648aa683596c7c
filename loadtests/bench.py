"""``portal bench``: the filing figures in one run, each beside the machine's own limit.

Bulk: the raw COPY rate of the same rows into a bare table (each record as the portal stores it:
its declaration's columns and its driver's, nothing checked, no index), against declarations per
second end to end through ``POST /declarations/bulk`` (validated, rules checked, drivers matched,
stored with every index, events written), the peak RSS of the server process that took the
upload, and the database's bytes per declaration. Single requests: a minimal litestar + asyncpg
endpoint inserting one row, against create alone and submit alone (of drafts filed beforehand),
all served by granian with the same workers and driven by the same locust users.
"""

import asyncio
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import msgspec

from loadtests import pages_offered
from loadtests.harness import (
    JSON,
    bench_servers,
    create_requests,
    drop_database,
    free_port,
    offered,
    post_bulk,
    prepare_database,
    served,
)
from loadtests.open_loop import Measured, raw_request
from loadtests.quick import run_scenario
from loadtests.synthetic.files import write
from loadtests.synthetic.generator import generate
from portal import clock
from portal import db as database
from portal.accounts import service as accounts
from portal.bulk import validate
from portal.declarations.storage import COLUMNS
from portal.operators.drivers.storage import DRIVER_COLUMNS

LOADTESTS = Path(__file__).parent
COPY_BATCH = 5000
RAW_COPY_TABLE = "bench_raw_copy"
# Drafts filed before the submit run, for SubmittingUser to submit one each.
DRAFTS = 60_000


async def _raw_copy_rate(url: str, records_file: Path, operator_id: uuid.UUID) -> float:
    """COPY each record's rows (declaration and driver columns, as the portal maps them) into a
    bare table; only the COPY is timed, not the checking that makes the rows."""
    upload = validate.Upload(
        upload_id=uuid.uuid4(),
        operator_id=operator_id,
        establishment_country="PL",
        today=clock.today(),
        now=clock.now(),
        submit_by_default=True,
    )
    db = await asyncpg.connect(url)
    await db.execute(
        f"CREATE TABLE {RAW_COPY_TABLE} AS SELECT d.*, {', '.join(f'v.{c}' for c in DRIVER_COLUMNS)}"
        " FROM declarations d JOIN driver_versions v ON v.driver_id = d.driver_id WITH NO DATA"
    )
    columns = (*COLUMNS, *DRIVER_COLUMNS)
    copied, spent = 0, 0.0
    register = validate.Register({})  # the baseline copies rows; what the register says does not matter
    rows: list[tuple[object, ...]] = []

    async def copy() -> float:
        started = time.perf_counter()
        await db.copy_records_to_table(RAW_COPY_TABLE, records=rows, columns=columns)
        return time.perf_counter() - started

    with records_file.open("rb") as lines:
        for position, line in enumerate(lines):
            record, errors = validate.check(line, upload, register)
            if record is not None and not errors:
                filing = validate.filing(position, record, upload, register)
                rows.append((*msgspec.structs.astuple(filing.declaration), *msgspec.structs.astuple(filing.driver)))
            if len(rows) >= COPY_BATCH:
                spent += await copy()
                copied += len(rows)
                rows = []
    if rows:
        spent += await copy()
        copied += len(rows)
    await db.close()
    return copied / spent


def _rows(stats: list[dict[str, str]], name: str) -> dict[str, str]:
    return next(row for row in stats if row["Name"] == name)


async def _database_size(url: str, *, dropping: str | None = None) -> int:
    db = await asyncpg.connect(url)
    if dropping:
        await db.execute(f"DROP TABLE IF EXISTS {dropping}")
    await db.execute("CHECKPOINT")
    size: int = await db.fetchval("SELECT pg_database_size(current_database())")
    await db.close()
    return size


def _drafts(port: int, folder: Path, headers: dict[str, str]) -> Path:
    """File DRAFTS drafts (for drivers of their own) and list their ids, for SubmittingUser."""
    drafts_file, ids_file = folder / "drafts.ndjson", folder / "drafts.ids"
    # Generated records ask to be submitted; these stay drafts.
    records = generate(DRAFTS // 20, DRAFTS, seed=4242, operator_country="PL")
    write(drafts_file, (record | {"submit": False} for record in records))
    with httpx.Client(timeout=httpx.Timeout(30, read=None)) as client:
        filed = client.post(
            f"http://127.0.0.1:{port}/declarations/bulk",
            content=drafts_file.read_bytes(),
            headers=headers | {"content-type": "application/x-ndjson"},
        )
        filed.raise_for_status()
        results = client.get(f"http://127.0.0.1:{port}{filed.json()['resultsUrl']}", headers=headers)
    ids = [outcome["declarationId"] for outcome in map(msgspec.json.decode, results.content.splitlines())]
    ids_file.write_text("".join(f"{declaration_id}\n" for declaration_id in ids if declaration_id))
    return ids_file


class Figures(msgspec.Struct):
    records: int
    summary: dict[str, Any]
    elapsed: float
    peak: int
    copy_rate: float
    bytes_per_declaration: float
    create: dict[str, str]
    submit: dict[str, str]
    minimal: dict[str, str]
    offered_rate: float
    minimal_offered: Measured
    create_offered: Measured
    submit_offered: Measured
    pages: dict[str, dict[str, str]]
    pages_api: dict[str, dict[str, str]]
    pages_offered: dict[str, Measured]
    page_rates: dict[str, float]


# The share of the minimal endpoint's rate the portal must reach; its latency is measured at it.
TARGET_SHARE = 0.6


def _submit_requests(drafts: Path, headers: dict[str, str], count: int) -> list[bytes]:
    """A submission of each of the last ``count`` drafts (SubmittingUser takes from the first)."""
    ids = drafts.read_text().split()[-count:]
    return [raw_request("POST", f"/declarations/{declaration_id}/submit", headers) for declaration_id in ids]


# The person of the load operator whom PagesUser logs in as.
LOAD_PERSON = ("load.person@example.com", "load person's long password")
PAGE_ACTIONS = ("list", "open", "file")
# The share of the API's rate for the same action the pages must reach.
PAGE_SHARE = 0.5


async def _load_person(url: str, operator_id: uuid.UUID) -> dict[str, str]:
    async with database.transaction(await asyncpg.connect(url)) as db:
        await accounts.add_person(db, *LOAD_PERSON, operator_id, "OWNER")
    return {"PORTAL_LOAD_EMAIL": LOAD_PERSON[0], "PORTAL_LOAD_PASSWORD": LOAD_PERSON[1]}


def main(records: int, drivers: int, users: int, seconds: int, workers: int) -> None:
    name = f"portal_bench_{uuid.uuid4().hex[:8]}"
    with bench_servers() as (folder, server_url, redis_url):
        url, operator_id, api_key = asyncio.run(prepare_database(server_url, name))
        headers = {"x-operator-id": str(operator_id), "x-api-key": api_key}
        records_file = folder / "fleet.ndjson"
        print(f"generating {records:,} records for {drivers:,} drivers ...", file=sys.stderr)
        write(records_file, generate(drivers, records))
        print("measuring raw COPY ...", file=sys.stderr)
        copy_rate = asyncio.run(_raw_copy_rate(url, records_file, operator_id))
        size_before = asyncio.run(_database_size(url, dropping=RAW_COPY_TABLE))
        env = os.environ | {"DATABASE_URL": url, "REDIS_URL": redis_url, "PORTAL_DATA_DIR": str(folder)}
        portal_port, minimal_port = free_port(), free_port()
        minimal = [
            sys.executable, "-m", "granian", "--interface", "asgi", "--factory", "--workers", str(workers),
            "--port", str(minimal_port), "--no-log", "loadtests.minimal_app:create_app",
        ]  # fmt: skip
        with served(minimal, env, minimal_port, "/rows"):
            print("single requests: the minimal insert endpoint ...", file=sys.stderr)
            yardstick = run_scenario(
                "MinimalInsertUser", f"http://127.0.0.1:{minimal_port}", users, seconds, env, LOADTESTS / "yardstick.py"
            )
            rate = TARGET_SHARE * float(_rows(yardstick, "/rows")["Requests/s"])
            print(f"  ... and at {rate:,.0f}/s offered", file=sys.stderr)
            row = raw_request("POST", "/rows", JSON, b'{"name": "yardstick"}')
            minimal_offered = asyncio.run(offered(minimal_port, [row], rate, seconds, 201))
        serve = [sys.executable, "-m", "portal", "serve", "--no-worker", "--workers", str(workers)]
        with served([*serve, "--port", str(portal_port)], env, portal_port, "/ping") as portal:
            print(f"filing {records:,} records through POST /declarations/bulk ...", file=sys.stderr)
            summary, elapsed, peak = post_bulk(portal_port, records_file, headers, portal)
            size_after = asyncio.run(_database_size(url))
            load_env = env | {"PORTAL_LOAD_OPERATOR_ID": str(operator_id), "PORTAL_LOAD_API_KEY": api_key}
            host = f"http://127.0.0.1:{portal_port}"
            print("single requests: create ...", file=sys.stderr)
            created = run_scenario("CreatingUser", host, users, seconds, load_env)
            print(f"  ... and at {rate:,.0f}/s offered", file=sys.stderr)
            create_offered = asyncio.run(
                offered(portal_port, create_requests(portal_port, headers), rate, seconds, 201)
            )
            print(f"single requests: filing {DRAFTS:,} drafts, then submitting them ...", file=sys.stderr)
            drafts = _drafts(portal_port, folder, headers)
            submitted = run_scenario(
                "SubmittingUser", host, users, seconds, load_env | {"PORTAL_LOAD_DRAFTS": str(drafts)}
            )
            print(f"  ... and at {rate:,.0f}/s offered", file=sys.stderr)
            submit_offered = asyncio.run(
                offered(portal_port, _submit_requests(drafts, headers, int(rate * (seconds + 2))), rate, seconds, 200)
            )
            print("people on the pages: list, open, file; then the same through the API ...", file=sys.stderr)
            people_env = load_env | asyncio.run(_load_person(url, operator_id))
            pages = run_scenario("PagesUser", host, users, seconds, people_env, LOADTESTS / "pages.py")
            pages_api = run_scenario("PagesApiUser", host, users, seconds, people_env, LOADTESTS / "pages.py")
            # The target's rate: half the API's for the same action; the pages' p99 measured at it.
            page_rates = {action: PAGE_SHARE * float(_rows(pages_api, action)["Requests/s"]) for action in PAGE_ACTIONS}
            print("  ... and each page at half the API's rate offered", file=sys.stderr)
            at_rate = pages_offered.measure(portal_port, *LOAD_PERSON, headers, page_rates, seconds)
        asyncio.run(drop_database(server_url, name))
    figures = Figures(
        records=records,
        summary=summary,
        elapsed=elapsed,
        peak=peak,
        copy_rate=copy_rate,
        bytes_per_declaration=(size_after - size_before) / max(summary["accepted"], 1),
        create=_rows(created, "/declarations"),
        submit=_rows(submitted, "/declarations/{id}/submit"),
        minimal=_rows(yardstick, "/rows"),
        offered_rate=rate,
        minimal_offered=minimal_offered,
        create_offered=create_offered,
        submit_offered=submit_offered,
        pages={action: _rows(pages, action) for action in PAGE_ACTIONS},
        pages_api={action: _rows(pages_api, action) for action in PAGE_ACTIONS},
        pages_offered=at_rate,
        page_rates=page_rates,
    )
    _report(figures, workers, users, seconds)


def _report(f: Figures, workers: int, users: int, seconds: int) -> None:
    bulk_rate = f.summary["accepted"] / f.elapsed
    minimal_rate = float(f.minimal["Requests/s"])
    print(f"\nportal bench: {os.cpu_count()} cores, {workers} server workers, {users} locust users, {seconds} s a run")
    print(f"{'figure':50} {'value':>12} {'limit':>12} {'ratio':>7}  target")
    print(f"{'bulk: raw COPY of the same rows (rows/s)':50} {f.copy_rate:12,.0f}")
    print(
        f"{'bulk: POST /declarations/bulk (declarations/s)':50} {bulk_rate:12,.0f} {f.copy_rate:12,.0f}"
        f" {bulk_rate / f.copy_rate:7.0%}  >= 40%"
    )
    print(
        f"{'bulk: ' + format(f.records, ',') + ' records filed in (s)':50} {f.elapsed:12.1f}"
        f" {'':12} {'':7}  1M in <= 60 s ({1_000_000 / bulk_rate:.0f} s at this rate)"
    )
    print(f"{'bulk: accepted / refused':50} {f.summary['accepted']:>6,} / {f.summary['rejected']:,}")
    print(f"{'bulk: portal peak RSS (MB)':50} {f.peak / 2**20:12.0f} {'':12} {'':7}  < 300 MB")
    print(
        f"{'bulk: database bytes per declaration, indexes incl.':50} {f.bytes_per_declaration:12,.0f}"
        f" {'':12} {'':7}  <= 700"
    )
    print(
        f"{'single: minimal insert (req/s, p50, p99 ms)':50} {minimal_rate:12,.0f}"
        f"   p50 {f.minimal['50%']} p99 {f.minimal['99%']}"
    )
    for label, row in (("create", f.create), ("submit", f.submit)):
        rate = float(row["Requests/s"])
        failures = f", {row['Failure Count']} failed" if int(row["Failure Count"]) else ""
        print(
            f"{'single: ' + label + ' alone, saturated (req/s)':50} {rate:12,.0f} {minimal_rate:12,.0f}"
            f" {rate / minimal_rate:7.0%}  >= 60% (p99 {row['99%']} ms with {users} users waiting){failures}"
        )
    for label, measured in (
        ("minimal insert", f.minimal_offered),
        ("create", f.create_offered),
        ("submit", f.submit_offered),
    ):
        failures = f", {measured.failed:,} failed" if measured.failed else ""
        print(
            f"{'single: ' + label + f' at {f.offered_rate:,.0f}/s offered: p99 (ms)':50} {measured.p99_ms:12.1f}"
            f" {50:12} {measured.p99_ms / 50:7.0%}  < 50 ms at 60% of the minimal's rate"
            f" (p50 {measured.p50_ms:.1f} ms, {measured.rate:,.0f}/s answered{failures})"
        )
    for action in PAGE_ACTIONS:
        page, api = f.pages[action], f.pages_api[action]
        page_rate, api_rate = float(page["Requests/s"]), float(api["Requests/s"])
        failed = int(page["Failure Count"]) + int(api["Failure Count"])
        print(
            f"{'pages: ' + action + ', page beside API (req/s)':50} {page_rate:12,.0f} {api_rate:12,.0f}"
            f" {page_rate / max(api_rate, 1e-9):7.0%}  >= 50% (p99 page {page['99%']} ms, API {api['99%']} ms,"
            f" target < 100 ms; {users} users waiting){f', {failed} failed' if failed else ''}"
        )
    for action in PAGE_ACTIONS:
        measured = f.pages_offered[action]
        failures = f", {measured.failed:,} failed" if measured.failed else ""
        print(
            f"{'pages: ' + action + f' at {f.page_rates[action]:,.0f}/s offered: p99 (ms)':50} {measured.p99_ms:12.1f}"
            f" {100:12} {measured.p99_ms / 100:7.0%}  < 100 ms at half the API's rate"
            f" (p50 {measured.p50_ms:.1f} ms, {measured.rate:,.0f}/s answered{failures})"
        )
