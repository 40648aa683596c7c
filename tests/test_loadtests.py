"""Each locust scenario, a few seconds against a real ``portal serve``: it runs, and nothing fails.

A scenario that drifts from the API (a renamed field, a rule it breaks) would otherwise only
show up as failures in someone's measurement.
"""

import csv
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from tests.conftest import new_operator
from tests.servers import running_portal

ROOT = Path(__file__).resolve().parents[1]
LOCUSTFILE = ROOT / "loadtests" / "fleet.py"
SCENARIOS = ["PingUser", "FilingUser", "FleetUser", "BulkUploader", "MixedDay"]


@pytest.fixture(scope="module")
def portal_url(servers: tuple[str, str], database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("portal-serve")
    # With both URLs set, the data folder only holds the metrics files: no embedded servers.
    env = os.environ | {"DATABASE_URL": database_url, "REDIS_URL": servers[1], "PORTAL_DATA_DIR": str(folder)}
    with running_portal(env, folder / "server.log", "--workers", "1", "--no-worker") as url:
        yield url


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
