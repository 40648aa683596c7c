"""Retention on a database of its own: declarations go the day they are due, with their versions,
events and the driver versions only they showed; the audit log goes a whole month at a time."""

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

from portal import cli, commands
from portal.app import create_app
from portal.dates import add_months
from portal.retention import service
from portal.settings import Settings
from schemas.drivers import DriverFields
from tests.conftest import _with_database, new_authority, new_operator, settings_for
from tests.factories import days, today
from tests.helpers import Client
from tests.test_roadside import filed, search

DRIVER_FIELDS = {field.encode_name for field in msgspec.structs.fields(DriverFields)}


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
    settings = settings_for(url, servers[1])
    db = await asyncpg.connect(url)
    async with AsyncTestClient(create_app(settings)) as client:
        yield World(url, settings, client, db)
    await db.close()
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()


def due_day(end: str, months: int) -> datetime.date:
    """The first day on which a declaration ending on ``end`` is past ``months`` of retention."""
    return add_months(datetime.date.fromisoformat(end), months) + datetime.timedelta(days=1)


async def count(db: asyncpg.Connection, sql: str, *args: Any) -> int:
    value: int = await db.fetchval(sql, *args)
    return value


async def test_declarations_go_when_due_and_the_rest_stays(world: World) -> None:
    operator = await new_operator(world.db)
    inspector = await new_authority(world.db, "FR")
    soon = await filed(world.client, operator, "RT" + uuid.uuid4().hex[:6].upper(), declarationEndDate=days(20))
    # A version superseded by an update, and a driver change: history that goes with it.
    updated = await world.client.put(
        f"/declarations/{soon['declarationId']}/submit", json={"declarationEndDate": days(21)}, headers=operator.headers
    )
    assert updated.status_code == 200, updated.text
    later = await filed(world.client, operator, "RT" + uuid.uuid4().hex[:6].upper(), declarationEndDate=days(40))
    for declaration in (soon, later):
        await search(world.client, inspector, f"declarationId={declaration['declarationId']}")
    retention = world.settings.retention
    # Each version printed: their files go with them, the later declaration's stays.
    pdfs = {}
    for declaration in (soon, later):
        link = await world.client.post(
            f"/declarations/{declaration['declarationId']}/print",
            json={"declarationLanguage": "en"},
            headers=operator.headers,
        )
        assert link.status_code == 200, link.text
        pdfs[declaration["declarationId"]] = await world.db.fetchval(
            "SELECT sha256 FROM documents WHERE declaration_id = $1", declaration["declarationId"]
        )
    store = world.client.app.state.rendering.store

    day_before = due_day(days(21), retention.months) - datetime.timedelta(days=1)
    assert (await service.due(world.db, retention, day_before)).declarations == 0
    day = due_day(days(21), retention.months)
    assert (await service.due(world.db, retention, day)).declarations == 1

    done = await service.apply(world.db, retention, day, store)
    assert done.declarations == 1
    assert not store.path_of(pdfs[soon["declarationId"]]).exists()
    assert store.path_of(pdfs[later["declarationId"]]).exists()
    ids = [str(row["id"]) for row in await world.db.fetch("SELECT id FROM declarations")]
    assert ids == [later["declarationId"]]
    events = await world.db.fetch("SELECT DISTINCT declaration_id FROM declaration_events")
    assert [str(row["declaration_id"]) for row in events] == [later["declarationId"]]
    response = await world.client.get(f"/declarations/{soon['declarationId']}", headers=operator.headers)
    assert response.status_code == 404
    # The audit keeps both look-ups: its own period is longer.
    assert await count(world.db, "SELECT count(*) FROM authority_audit") == 2
    # The audit log's months ahead of that day are ready.
    assert (
        await count(
            world.db,
            "SELECT count(*) FROM portal_partition_months('authority_audit') WHERE month = $1",
            add_months(day, retention.months_ahead).replace(day=1),
        )
        == 1
    )

    # When the audit period has passed too, the look-ups go as well, a month at a time.
    audit_day = add_months(today().replace(day=1), retention.audit_months + 1)
    await service.apply(world.db, retention, audit_day, world.client.app.state.rendering.store)
    assert await count(world.db, "SELECT count(*) FROM authority_audit") == 0
    assert await count(world.db, "SELECT count(*) FROM authority_audit_hits") == 0


async def test_a_driver_as_they_were_goes_with_the_last_declaration_that_showed_them(world: World) -> None:
    operator = await new_operator(world.db)
    declaration = await filed(world.client, operator, "RV" + uuid.uuid4().hex[:6].upper(), declarationEndDate=days(5))
    driver = (await world.client.get(f"/drivers/{declaration['driverId']}", headers=operator.headers)).json()
    moved = {key: value for key, value in driver.items() if key in DRIVER_FIELDS} | {"driverAddressCity": "Poznań"}
    response = await world.client.put(f"/drivers/{declaration['driverId']}", json=moved, headers=operator.headers)
    assert response.status_code == 200, response.text
    versions = "SELECT count(*) FROM driver_versions WHERE driver_id = $1"
    driver_id = uuid.UUID(declaration["driverId"])
    # The declaration followed the move: its first version (in Warszawa) is kept as history.
    assert await count(world.db, versions, driver_id) == 2
    await service.apply(
        world.db,
        world.settings.retention,
        due_day(days(5), world.settings.retention.months),
        world.client.app.state.rendering.store,
    )
    # Only the driver as they are now is left.
    assert await count(world.db, versions, driver_id) == 1


async def test_filing_goes_on_while_retention_deletes(world: World) -> None:
    operator = await new_operator(world.db)
    await filed(world.client, operator, "RF" + uuid.uuid4().hex[:6].upper(), declarationEndDate=days(3))
    day = due_day(days(3), world.settings.retention.months)
    # A transaction reading declarations is open when retention starts: neither waits for the other.
    held = await asyncpg.connect(world.url)
    transaction = held.transaction()
    await transaction.start()
    await held.execute("SELECT count(*) FROM declarations")
    retention_db = await asyncpg.connect(world.url)
    deleting = asyncio.create_task(
        service.apply(retention_db, world.settings.retention, day, world.client.app.state.rendering.store)
    )
    created = await asyncio.wait_for(
        filed(world.client, operator, "RG" + uuid.uuid4().hex[:6].upper(), declarationEndDate=days(30)), timeout=5
    )
    assert created["declarationStatus"] == "SUBMITTED"
    done = await asyncio.wait_for(deleting, timeout=30)
    assert done.declarations == 1
    await transaction.commit()
    await held.close()
    await retention_db.close()


def test_dry_run_says_what_would_go(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", world.url)
    commands.settings.cache_clear()
    try:
        day = due_day(today().isoformat(), 24)
        result = CliRunner().invoke(cli.main, ["admin", "retention", "--dry-run", "--today", day.isoformat()])
    finally:
        commands.settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert f"would delete 0 declarations that ended before {add_months(day, -24)}" in result.output
    assert "declarations 24 months after their end date" in result.output
