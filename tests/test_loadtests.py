"""Each locust scenario, a few seconds against a real ``portal serve``: it runs, and nothing fails.

A scenario that drifts from the API (a renamed field, a rule it breaks) would otherwise only
show up as failures in someone's measurement.
"""

import contextlib
import csv
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests.conftest import new_operator

ROOT = Path(__file__).resolve().parents[1]
LOCUSTFILE = ROOT / "loadtests" / "fleet.py"
SCENARIOS = ["PingUser", "FilingUser", "FleetUser", "BulkUploader", "MixedDay"]
STARTUP_SECONDS = 20


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _tail(path: Path, size: int = 3000) -> str:
    return path.read_text(errors="replace")[-size:] if path.exists() else ""


def _wait_until_up(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"portal serve exited with {server.returncode}:\n{_tail(log)}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/ping", timeout=1).status_code == 200:
                return
        time.sleep(0.2)
    pytest.fail(f"portal serve did not answer /ping within {STARTUP_SECONDS} s:\n{_tail(log)}")


def _stop(server: subprocess.Popen[bytes]) -> None:
    """Stop the server and every process it started: its session is its own (start_new_session)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        server.wait(15)
    # Whatever did not stop gracefully (granian's worker processes included) is killed.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGKILL)
    server.wait(5)


@pytest.fixture(scope="module")
def portal_url(servers: tuple[str, str], database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("portal-serve")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    # With both URLs set, the data folder only holds the metrics files: no embedded servers.
    env = os.environ | {"DATABASE_URL": database_url, "REDIS_URL": servers[1], "PORTAL_DATA_DIR": str(folder)}
    log = folder / "server.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "portal", "serve", "--port", str(port), "--workers", "1", "--no-worker"],
            env=env,
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            _wait_until_up(url, server, log)
            yield url
        finally:
            _stop(server)


@pytest.fixture(scope="module")
async def load_env(db: asyncpg.Connection) -> dict[str, str]:
    operator = await new_operator(db)
    # Only what the scenarios read: a failing test shows this fixture, not the whole environment.
    return {
        "PORTAL_LOAD_OPERATOR_ID": str(operator.operator_id),
        "PORTAL_LOAD_API_KEY": operator.api_key,
        "PORTAL_LOAD_BULK_RECORDS": "50",
    }


@pytest.mark.parametrize("user_class", SCENARIOS)
def test_scenario_runs_without_failures(
    user_class: str, portal_url: str, load_env: dict[str, str], tmp_path: Path
) -> None:
    prefix = tmp_path / "stats"
    run = subprocess.run(
        [
            sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "-u", "2", "-r", "2", "-t", "4s",
            "--host", portal_url, "--only-summary", "--csv", str(prefix), user_class,
        ],
        env=os.environ | load_env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )  # fmt: skip
    stats = Path(f"{prefix}_stats.csv")
    assert stats.exists(), f"locust wrote no statistics (exit {run.returncode}):\n{run.stderr[-3000:]}"
    with stats.open(newline="") as source:
        rows = {(row["Type"], row["Name"]): row for row in csv.DictReader(source)}
    total = next(row for (_, name), row in rows.items() if name == "Aggregated")
    failures = Path(f"{prefix}_failures.csv").read_text()
    assert int(total["Request Count"]) > 0, run.stderr[-3000:]
    assert int(total["Failure Count"]) == 0, f"{failures}\n{run.stderr[-3000:]}"
    if user_class == "BulkUploader":
        assert int(rows[("POST", "/declarations/bulk")]["Request Count"]) > 0
