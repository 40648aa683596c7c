"""``portal bench-pdf`` end to end at a tiny size: it files, renders naively and through the
worker, and prints every row of its table. The figures are for people to read beside their
targets, never asserted: on a shared machine they are noise at this size."""

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import asyncpg

ROOT = Path(__file__).resolve().parents[1]
ROWS = (
    "naive: one weasyprint call per document",
    "worker: submitted -> stored, from delivery states",
    "worker: PDFs stored / asked",
    "worker: peak RSS of the whole process tree",
    "API create at 50/s, worker idle: p99",
    "API create at 50/s, worker rendering: p99",
)


async def _bench_databases(server_url: str) -> set[str]:
    admin = await asyncpg.connect(server_url)
    rows = await admin.fetch("SELECT datname FROM pg_database WHERE datname LIKE 'portal_bench_pdf_%'")
    await admin.close()
    return {row[0] for row in rows}


def test_bench_pdf_renders_everything_and_prints_every_row(servers: tuple[str, str], tmp_path: Path) -> None:
    before = asyncio.run(_bench_databases(servers[0]))
    env = os.environ | {"DATABASE_URL": servers[0], "REDIS_URL": servers[1], "PORTAL_DATA_DIR": str(tmp_path)}
    run = subprocess.run(
        [sys.executable, "-m", "portal", "bench-pdf", "--documents", "12", "--naive", "2", "--seconds", "1"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert run.returncode == 0, run.stderr[-4000:]
    lines = run.stdout.splitlines()
    for label in ROWS:
        assert any(line.startswith(label) for line in lines), f"no row {label!r} in:\n{run.stdout}"
    assert any(line.startswith("worker: PDFs stored / asked") and "12 / 12" in line for line in lines), run.stdout
    assert asyncio.run(_bench_databases(servers[0])) == before
