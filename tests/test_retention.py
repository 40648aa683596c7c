"""Retention on a database of its own: whole months go when due, filing goes on meanwhile."""

import asyncio
import datetime
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import msgspec
import pytest
from click.testing import CliRunner
from litestar.testing import AsyncTestClient

from portal import cli
from portal.app import create_app
from portal.declarations.rules import add_months
from portal.retention import service
from portal.settings import Settings, get_settings
from tests.conftest import _with_database, new_authority, new_operator
from tests.factories import days, today
from tests.helpers import Client, fleet
from tests.test_roadside import filed, search


class World(msgspec.Struct):
    url: str
    settings: Settings
    client: Client
    db: asyncpg.Connection


@pytest.fixture
async def world(servers: tuple[str, str]) -> AsyncIterator[World]:
    """A fresh database: retention drops months, which must not touch other tests' data."""
    from portal.db import migrate

    name = f"portal_retention_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(servers[0])
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = _with_database(servers[0], name)
    await migrate(url)
    settings = Settings(database_url=url, redis_url=servers[1], auth_cache_seconds=0.0)
    db = await asyncpg.connect(url)
    async with AsyncTestClient(create_app(settings)) as client:
        yield World(url, settings, client, db)
    await db.close()
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()


def month_after_retention(end: str, months: int) -> datetime.date:
    """The first day on which the month of ``end`` is past ``months`` of retention."""
    return add_months(datetime.date.fromisoformat(end).replace(day=1), months + 1)


async def count(db: asyncpg.Connection, sql: str, *args: Any) -> int:
    value: int = await db.fetchval(sql, *args)
    return value


async def test_months_past_retention_go_whole_and_the_rest_stays(world: World) -> None:
    operator = await new_operator(world.db)
    inspector = await new_authority(world.db, "FR")
    soon = await filed(world.client, operator, "RT" + uuid.uuid4().hex[:6].upper(), declarationEndDate=days(20))
    later_end = (datetime.date.fromisoformat(days(1)) + datetime.timedelta(days=170)).isoformat()
    later = await filed(world.client, operator, "RT" + uuid.uuid4().hex[:6].upper(), declarationEndDate=later_end)
    for declaration in (soon, later):
        await search(world.client, inspector, f"declarationId={declaration['declarationId']}")

    # The day the month of the first end date is 24 months behind: only the first goes.
    day = month_after_retention(days(20), world.settings.retention_months)
    assert datetime.date.fromisoformat(later_end) >= add_months(day.replace(day=1), -24)
    due = await service.due(world.db, world.settings, day)
    assert {(m.table, m.rows) for m in due if m.rows} == {("declarations", 1), ("declaration_events", 1)}

    dropped = await service.apply(world.db, world.settings, day)
    assert {m.partition for m in dropped} == {m.partition for m in due}
    ids = [row["id"] for row in await world.db.fetch("SELECT id FROM declarations")]
    assert [str(i) for i in ids] == [later["declarationId"]]
    events = await world.db.fetch("SELECT DISTINCT declaration_id FROM declaration_events")
    assert [str(row["declaration_id"]) for row in events] == [later["declarationId"]]
    response = await world.client.get(f"/declarations/{soon['declarationId']}", headers=operator.headers)
    assert response.status_code == 404
    # The audit keeps both look-ups: its own period is longer.
    assert await count(world.db, "SELECT count(*) FROM authority_audit") == 2
    # Months ahead of that day are ready, so filing could go on then.
    assert (
        await count(
            world.db,
            "SELECT count(*) FROM portal_partition_months('declarations') WHERE month = $1",
            add_months(day, 24).replace(day=1),
        )
        == 1
    )

    # When the audit period has passed too, the look-ups go as well.
    audit_day = add_months(today().replace(day=1), world.settings.audit_retention_months + 1)
    await service.apply(world.db, world.settings, audit_day)
    assert await count(world.db, "SELECT count(*) FROM authority_audit") == 0
    assert await count(world.db, "SELECT count(*) FROM authority_audit_hits") == 0


async def test_filing_goes_on_while_a_month_is_dropped(world: World) -> None:
    operator = await new_operator(world.db)
    driver_id, plates = await fleet(world.client, operator)
    day = month_after_retention(days(20), world.settings.retention_months)
    # A filing transaction is open when retention starts: the concurrent detach waits for it...
    held = await asyncpg.connect(world.url)
    transaction = held.transaction()
    await transaction.start()
    await held.execute("SELECT count(*) FROM declarations")
    retention_db = await asyncpg.connect(world.url)
    dropping = asyncio.create_task(service.apply(retention_db, world.settings, day))
    await asyncio.sleep(0.5)
    assert not dropping.done()
    # ... and meanwhile other requests still file and read.
    created = await asyncio.wait_for(filed(world.client, operator, plates[0], declarationEndDate=days(30)), timeout=5)
    assert created["declarationStatus"] == "SUBMITTED"
    await transaction.commit()
    dropped = await asyncio.wait_for(dropping, timeout=30)
    assert dropped
    await held.close()
    await retention_db.close()
    assert driver_id


def test_dry_run_says_what_would_go(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", world.url)
    get_settings.cache_clear()
    try:
        day = month_after_retention(today().isoformat(), 24)
        result = CliRunner().invoke(cli.main, ["admin", "retention", "--dry-run", "--today", day.isoformat()])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert f"would delete declarations of {today():%Y-%m}: 0 rows" in result.output
    assert "declarations 24 months after their end date" in result.output
