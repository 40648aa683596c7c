"""``portal bench-forwarding`` end to end at a tiny size: it files, measures the receiver alone,
drains the backlog through the worker to a receiver, and prints every row of its table. The
figures are for people to read beside their targets, never asserted: at this size, on a shared
machine, they are noise (and with the default settings the worker's PDFs may hold forwarding
back for longer than a test waits: the test shortens the queue as the benchmark's runs did)."""

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import asyncpg
import redis

ROOT = Path(__file__).resolve().parents[1]
EVENTS = 300
ROWS = (
    "receiver alone: 1 sender, one keep-alive connection",
    "receiver alone: 3 senders at once",
    "worker: delivered, first batch -> last stored",
    "worker: backlog drained, worker start -> last stored",
    "worker: first batch stored, after the worker's start",
    "worker: distinct events stored / filed",
    "receiver: conflicts, out of order",
    "receiver: duplicates, replayed batches, rejected",
    "endpoint: backlog left, failures in a row",
    "worker: PDFs rendered / planned, when drained",
    "worker: peak RSS of the whole process tree",
    "CPU while draining: worker / its renderers",
    "CPU while draining: receiver / PostgreSQL / portal",
    "API create at 20/s, worker idle: p99",
    "API submit at 20/s, worker idle: p99",
    "API create at 20/s, worker draining: p99",
    "API submit at 20/s, worker draining: p99",
    "API create at 20/s, worker rendering, drained: p99",
    "API submit at 20/s, worker rendering, drained: p99",
)


async def _bench_databases(server_url: str) -> set[str]:
    admin = await asyncpg.connect(server_url)
    rows = await admin.fetch("SELECT datname FROM pg_database WHERE datname LIKE 'portal_bench_forwarding_%'")
    await admin.close()
    return {row[0] for row in rows}


def _claimed_redis_databases(redis_url: str) -> int:
    """Redis databases the benchmark holds (it claims an empty one with this key, and empties it after)."""
    if not redis_url.startswith("redis://"):
        return 0
    claimed = 0
    for number in range(1, 16):
        with redis.Redis.from_url(redis_url.rsplit("/", 1)[0] + f"/{number}") as client:
            claimed += bool(client.exists("portal:bench-forwarding:claim"))
    return claimed


def test_bench_forwarding_delivers_everything_and_prints_every_row(servers: tuple[str, str], tmp_path: Path) -> None:
    before = asyncio.run(_bench_databases(servers[0]))
    claimed = _claimed_redis_databases(servers[1])
    env = os.environ | {"DATABASE_URL": servers[0], "REDIS_URL": servers[1], "PORTAL_DATA_DIR": str(tmp_path)}
    command = [sys.executable, "-m", "portal", "bench-forwarding", "--events", str(EVENTS), "--batch-size", "100"]
    command += ["--receiver-events", "300", "--rate", "20", "--seconds", "1", "--timeout", "60"]
    run = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=110)
    assert run.returncode == 0, run.stderr[-4000:]
    lines = run.stdout.splitlines()
    for label in ROWS:
        assert any(line.startswith(label) for line in lines), f"no row {label!r} in:\n{run.stdout}"
    stored = next(line for line in lines if line.startswith("worker: distinct events stored / filed"))
    assert f"{EVENTS} / {EVENTS}" in stored, run.stdout
    assert asyncio.run(_bench_databases(servers[0])) == before
    assert _claimed_redis_databases(servers[1]) == claimed
