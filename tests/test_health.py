"""Liveness and readiness: ready while the database answers, whatever Redis does (filing does
not need it), and a filing goes on while Redis is down."""

import uuid

import asyncpg
from litestar.testing import AsyncTestClient

from portal.app import create_app
from portal.db import migrate
from tests.conftest import _with_database, new_operator, settings_for
from tests.factories import declaration_body, driver_body, vehicle_body
from tests.helpers import Client
from tests.servers import free_port


async def test_live_and_ready(client: Client) -> None:
    for path in ("/ping", "/health/live"):
        response = await client.get(path)
        assert (response.status_code, response.json()) == (200, {"status": "ok"})
    ready = await client.get("/health/ready")
    assert (ready.status_code, ready.json()) == (200, {"status": "ok", "database": "ok", "redis": "ok"})
    assert (await client.get("/health")).json() == ready.json()


async def test_ready_and_filing_while_redis_is_down(database_url: str, db: asyncpg.Connection) -> None:
    nobody = f"redis://127.0.0.1:{free_port()}/0"  # a port no Redis listens on
    operator = await new_operator(db)
    async with AsyncTestClient(create_app(settings_for(database_url, nobody))) as client:
        ready = await client.get("/health/ready")
        assert (ready.status_code, ready.json()) == (200, {"status": "ok", "database": "ok", "redis": "unavailable"})
        driver = await client.post("/drivers", json=driver_body(), headers=operator.headers)
        plate = await client.post("/plate-numbers", json=vehicle_body(), headers=operator.headers)
        body = declaration_body(driver.json()["driverId"], [plate.json()["plateNumber"]])
        draft = await client.post("/declarations", json=body, headers=operator.headers)
        submitted = await client.post(f"/declarations/{draft.json()['declarationId']}/submit", headers=operator.headers)
        assert submitted.status_code == 200, submitted.text


async def test_not_ready_when_the_database_is_gone(servers: tuple[str, str]) -> None:
    name = f"portal_health_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(servers[0])
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = _with_database(servers[0], name)
    await migrate(url)
    try:
        async with AsyncTestClient(create_app(settings_for(url, servers[1]))) as client:
            assert (await client.get("/health/ready")).status_code == 200
            await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            ready = await client.get("/health/ready")
            assert (ready.status_code, ready.json()["database"]) == (503, "unavailable")
            assert (await client.get("/health/live")).status_code == 200
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
