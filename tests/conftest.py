"""Real PostgreSQL and Redis for every test: the environment's servers when DATABASE_URL and
REDIS_URL are set, else embedded ones in a temporary folder. Each test run gets a database of
its own built by the real migrations; each test files under operators of its own, so tests
cannot see each other's data."""

import contextlib
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from portal import clock
from portal.app import create_app
from portal.db import migrate, transaction
from portal.embedded import services_for
from portal.identity.service import register_authority, register_operator
from portal.settings import Auth, Database, Redis, Settings, Web
from tests.factories import Authority, Operator


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--clock-shift-days",
        type=int,
        default=0,
        help="run with the portal's clock this many days from the calendar's (the rules must hold on any day)",
    )


@pytest.fixture(scope="session", autouse=True)
def shifted_clock(request: pytest.FixtureRequest) -> Iterator[int]:
    """The portal's clock as this run asks: every date a test uses is relative to it."""
    days: int = request.config.getoption("--clock-shift-days")
    clock.shift(days)
    yield days
    clock.shift(0)


@pytest.fixture(scope="session")
def servers() -> Iterator[tuple[str, str]]:
    # Not under pytest's basetemp: pytest keeps the last three and deletes older ones, so a
    # second test run on the machine (CI beside a developer's) would delete this run's
    # embedded PostgreSQL under it.
    data_dir = Path(tempfile.mkdtemp(prefix="portal-embedded-"))
    try:
        with services_for(os.environ.get("DATABASE_URL", ""), os.environ.get("REDIS_URL", ""), data_dir) as urls:
            yield urls
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


@contextlib.asynccontextmanager
async def empty_database(server_url: str, prefix: str) -> AsyncIterator[str]:
    """The URL of a new database on the server of ``server_url``, dropped after."""
    name = f"{prefix}{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(server_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _with_database(server_url, name)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture(scope="session")
async def database_url(servers: tuple[str, str]) -> AsyncIterator[str]:
    async with empty_database(servers[0], "portal_test_") as url:
        await migrate(url)
        yield url


def _with_database(url: str, name: str) -> str:
    base, _, query = url.partition("?")
    scheme_and_host, _, _ = base.rpartition("/")
    return f"{scheme_and_host}/{name}" + (f"?{query}" if query else "")


@pytest.fixture(scope="session")
def settings(database_url: str, servers: tuple[str, str]) -> Settings:
    return settings_for(database_url, servers[1])


def settings_for(database_url: str, redis_url: str) -> Settings:
    """The settings of an application under test: keys are looked up at every request; its files
    (the PDFs) in a folder of its own; every test's browser has the same address, so the limit
    of logins per address is out of the way (the one per account is tested)."""
    return Settings(
        data_dir=Path(tempfile.mkdtemp(prefix="portal-test-")),
        secret_key="a secret of the tests only",
        database=Database(url=database_url),
        redis=Redis(url=redis_url),
        auth=Auth(cache_seconds=0.0),
        web=Web(logins_per_minute_address=1_000_000),
    )


@pytest.fixture(scope="session")
def app(settings: Settings) -> Litestar:
    return create_app(settings)


@pytest.fixture(scope="session")
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app) as test_client:
        yield test_client


@pytest.fixture(scope="session")
async def db(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(database_url)
    yield connection
    await connection.close()


async def new_operator(db: asyncpg.Connection, country: str = "PL") -> Operator:
    async with transaction(db) as tx:
        operator_id, key = await register_operator(tx, f"Operator {uuid.uuid4().hex[:6]}", country)
    return Operator(operator_id, key)


async def new_authority(db: asyncpg.Connection, country: str = "FR") -> Authority:
    async with transaction(db) as tx:
        authority_id, key = await register_authority(tx, f"Inspection {uuid.uuid4().hex[:6]}", country)
    return Authority(authority_id, key, country)


@pytest.fixture
async def operator(db: asyncpg.Connection) -> Operator:
    return await new_operator(db)


@pytest.fixture
async def other_operator(db: asyncpg.Connection) -> Operator:
    return await new_operator(db, "LT")
