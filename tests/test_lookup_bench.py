"""``portal bench-lookups`` end to end at a tiny size: it loads, measures every phase and prints
every row of its table. The figures are for people to read beside their limits, never asserted:
on a shared machine they are noise at this size."""

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import asyncpg

ROOT = Path(__file__).resolve().parents[1]
ROWS = (
    "load: declarations",
    "load: time",
    "load: database size",
    "client ceiling: asyncpg SELECT 1, saturation",
    "client ceiling: GET /ping, saturation",
    "bare SELECT by plate (asyncpg), saturation",
    "bare SELECT by plate at 100 q/s offered: p99",
    "bare SELECT, PostgreSQL's default planning, saturation",
    "GET /authority/declarations?plate=, saturation",
    "HTTP look-up saturation rate vs the bare SELECT's",
    "HTTP look-up at 100 req/s offered: p99",
    "HTTP look-up at 100 req/s while filing: p99",
    "filing meanwhile: POST /declarations/bulk",
)


async def _bench_databases(server_url: str) -> set[str]:
    admin = await asyncpg.connect(server_url)
    names = {
        row[0] for row in await admin.fetch("SELECT datname FROM pg_database WHERE datname LIKE 'portal_lookups_%'")
    }
    await admin.close()
    return names


def test_bench_lookups_prints_every_row_and_drops_its_database(servers: tuple[str, str], tmp_path: Path) -> None:
    before = asyncio.run(_bench_databases(servers[0]))
    env = os.environ | {"DATABASE_URL": servers[0], "REDIS_URL": servers[1], "PORTAL_DATA_DIR": str(tmp_path)}
    run = subprocess.run(
        [
            sys.executable, "-m", "portal", "bench-lookups", "--declarations", "2000", "--seconds", "1",
            "--rate", "100", "--concurrency", "4",
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=150,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-4000:]
    lines = run.stdout.splitlines()
    for label in ROWS:
        assert any(line.startswith(label) for line in lines), f"no row {label!r} in:\n{run.stdout}"
    assert "p99 < 10 ms at 100/s" in run.stdout
    assert ">= 50% of the bare saturation rate" in run.stdout
    assert asyncio.run(_bench_databases(servers[0])) == before
