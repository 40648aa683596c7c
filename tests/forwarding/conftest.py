"""Forwarding under test: a portal that may post to 127.0.0.1, the worker's jobs run in this
process, and reference receivers to post to."""

import asyncio
import datetime
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from portal import db as database
from portal import settings as configuration
from portal.app import create_app
from portal.db import create_pool
from portal.delivery import repository as deliveries
from portal.forwarding import repository
from portal.forwarding.sender import client as forwarding_client
from portal.forwarding.signature import new_secret
from portal.receiver.server import Receiver, ReceiverConfig
from portal.settings import Settings
from tests.factories import Authority
from workers import queue
from workers.forwarding import forward

Client = AsyncTestClient[Litestar]


@pytest.fixture(scope="session")
def forwarding_settings(settings: Settings) -> Settings:
    # Retries a fraction of a second apart, so that a test sees an attempt fail, wait and succeed.
    return configuration.replace(
        settings,
        forwarding={
            "allow_http": True,
            "allow_private": True,
            "retry_seconds": 0.1,
            "max_retry_seconds": 0.5,
            "timeout_seconds": 2.0,
            "run_seconds": 10,
            "batch_size": 50,
        },
    )


@pytest.fixture(scope="session")
async def open_client(forwarding_settings: Settings) -> AsyncIterator[Client]:
    """The API of a portal that may post to local receivers (as ``portal serve --demo``'s)."""
    async with AsyncTestClient(create_app(forwarding_settings)) as test_client:
        yield test_client


@pytest.fixture
async def jobs(forwarding_settings: Settings) -> AsyncIterator[dict[str, Any]]:
    """arq's ctx of a worker process, for its forwarding jobs."""
    ctx: dict[str, Any] = {
        "settings": forwarding_settings,
        "db_pool": await create_pool(forwarding_settings.database.url, min_size=1, max_size=3),
        "redis": await queue.connect(forwarding_settings.redis.url),
        "forwarding_client": forwarding_client(forwarding_settings.forwarding),
    }
    yield ctx
    await ctx["forwarding_client"].aclose()
    await ctx["redis"].aclose()
    await ctx["db_pool"].close()


async def run_forwarding(ctx: dict[str, Any], rounds: int = 50) -> int:
    """What the worker does: drain new events into the feed, then send to every endpoint due,
    until none is due; how many events were taken."""
    taken = 0
    for _ in range(rounds):
        async with database.transaction(ctx["db_pool"]) as db:
            await deliveries.drain(db)
        async with database.transaction(ctx["db_pool"]) as db:
            leased = await repository.claim_due(db, datetime.timedelta(seconds=30), 100)
        if not leased:
            return taken
        for endpoint_id, token in leased:
            taken += await forward(ctx, str(endpoint_id), str(token))
    return taken


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with Receiver(ReceiverConfig(secrets=[new_secret()], port=0, data=":memory:")) as started:
        yield started


async def control(receiver: Receiver, path: str, body: dict[str, Any] | None = None) -> Any:
    async with httpx.AsyncClient(base_url=receiver.url, timeout=5) as http:
        answer = await (http.post(path, json=body) if body is not None else http.get(path))
        answer.raise_for_status()
        return answer.json()


Register = Callable[[Authority, Receiver], Awaitable[dict[str, Any]]]


@pytest.fixture
async def register(open_client: Client) -> AsyncIterator[Register]:
    """Registers an endpoint of an authority at a receiver, which verifies with its secret from
    then on; the endpoints are disabled after the test, so that no later test posts to them."""
    made: list[tuple[Authority, str]] = []

    async def registered(authority: Authority, receiver: Receiver) -> dict[str, Any]:
        answer = await open_client.post(
            "/authority/endpoints", json={"url": receiver.url + "/events"}, headers=authority.headers
        )
        assert answer.status_code == 201, answer.text
        endpoint: dict[str, Any] = answer.json()
        made.append((authority, endpoint["endpointId"]))
        await control(receiver, "/_control/secrets", {"secrets": [endpoint["secret"]]})
        return endpoint

    yield registered
    for authority, endpoint_id in made:
        await open_client.post(f"/authority/endpoints/{endpoint_id}/disable", headers=authority.headers)


async def eventually(check: Any, seconds: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "not within the time"
        await asyncio.sleep(0.1)
