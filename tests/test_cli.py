"""The real ``portal`` command, run as a subprocess against the test database.

DATABASE_URL is set, and ``migrate``/``admin`` never need Redis, so no embedded server starts.
"""

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient


def run_portal(database_url: str, data_dir: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "DATABASE_URL": database_url, "PORTAL_DATA_DIR": str(data_dir)}
    return subprocess.run(
        [sys.executable, "-m", "portal", *arguments],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def portal(database_url: str, data_dir: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    # In a thread: the session's event loop also serves the test client and must not block.
    return await asyncio.to_thread(run_portal, database_url, data_dir, *arguments)


async def test_create_operator_prints_only_json_and_the_key_works(
    database_url: str, tmp_path: Path, client: AsyncTestClient[Litestar]
) -> None:
    result = await portal(
        database_url, tmp_path, "admin", "create-operator", "--name", "Trans Sp. z o.o.", "--country", "PL",
        "--licence", "X", "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    # The whole of stdout must parse: scripts pipe it straight into a JSON reader.
    created = msgspec.json.decode(result.stdout)
    assert isinstance(created, dict)
    assert set(created) == {"operatorId", "apiKey"}
    leftovers = await asyncio.to_thread(os.listdir, tmp_path)
    assert not leftovers, "an embedded server started although DATABASE_URL was set"
    headers = {"x-api-key": created["apiKey"], "x-operator-id": created["operatorId"]}
    response = await client.get("/drivers?limit=1", headers=headers)
    assert response.status_code == 200, response.text


async def test_create_authority_prints_only_json(database_url: str, tmp_path: Path) -> None:
    result = await portal(
        database_url, tmp_path, "admin", "create-authority", "--name", "DREAL", "--country", "FR", "--json"
    )
    assert result.returncode == 0, result.stderr
    created = msgspec.json.decode(result.stdout)
    assert isinstance(created, dict)
    assert set(created) == {"authorityId", "apiKey"}


async def test_greece_as_el_is_refused_with_a_hint(database_url: str, tmp_path: Path) -> None:
    result = await portal(database_url, tmp_path, "admin", "create-operator", "--name", "Hellas AE", "--country", "EL")
    assert result.returncode != 0
    assert "GR" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert result.stdout == ""


async def test_migrate_on_a_migrated_database_says_up_to_date(database_url: str, tmp_path: Path) -> None:
    result = await portal(database_url, tmp_path, "migrate")
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stdout


@pytest.mark.parametrize(
    ("arguments", "mentions"),
    [
        (["--help"], ["serve", "worker", "migrate", "admin", "DATABASE_URL", "PORTAL_DATA_DIR"]),
        (["serve", "--help"], ["--host", "--port", "--workers", "--demo", "--no-worker"]),
        (["worker", "--help"], ["--help"]),
        (["migrate", "--help"], ["--help"]),
        (["admin", "create-operator", "--help"], ["--name", "--country", "--licence", "--json"]),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) and value[-1] == "--help" else "",
)
def test_help(arguments: list[str], mentions: list[str], tmp_path: Path) -> None:
    # Help needs no database: an unreachable URL proves nothing is connected to.
    result = run_portal("postgresql://nobody@127.0.0.1:1/none", tmp_path, *arguments)
    assert result.returncode == 0, result.stderr
    for option in mentions:
        assert option in result.stdout
