"""``GET /authority/feed``: the country's events in commit order from an opaque cursor, the
same as pushed, never skipping an event whose transaction committed late."""

import asyncpg
import pytest

from portal.db import create_pool, transaction
from portal.declarations import lifecycle
from portal.delivery import repository as deliveries
from portal.identity.auth import OperatorPrincipal
from tests.conftest import new_authority, new_operator
from tests.forwarding.conftest import Client
from tests.helpers import draft, submitted


async def _drain(db: asyncpg.Connection) -> None:
    async with transaction(db) as tx:
        await deliveries.drain(tx)


async def _read_all(client: Client, headers: dict[str, str], after: str | None = None) -> tuple[list[str], str]:
    """Every event after the cursor, page by page; and the cursor to go on from."""
    seen: list[str] = []
    while True:
        params = {"limit": "2", **({"after": after} if after else {})}
        page = await client.get("/authority/feed", params=params, headers=headers)
        assert page.status_code == 200, page.text
        events = page.json()["events"]
        seen += [event["eventId"] for event in events]
        after = page.json()["next"]
        if not events:
            return seen, after


async def test_the_feed_gives_each_event_once_from_the_start_and_after_a_cursor(
    client: Client, db: asyncpg.Connection
) -> None:
    authority = await new_authority(db, "LU")
    operator = await new_operator(db)
    first = await submitted(client, operator, declarationPostingCountry="LU")
    elsewhere = await submitted(client, operator, declarationPostingCountry="BE")
    await _drain(db)
    from_start, cursor = await _read_all(client, authority.headers)
    assert f"{first['declarationId']}:{first['declarationVersion']}" in from_start
    assert not any(event.startswith(elsewhere["declarationId"]) for event in from_start)  # another country's

    path = f"/declarations/{first['declarationId']}/withdraw"
    assert (await client.post(path, headers=operator.headers)).status_code == 200
    second = await submitted(client, operator, declarationPostingCountry="LU")
    await _drain(db)
    after_cursor, _ = await _read_all(client, authority.headers, cursor)
    assert after_cursor[-2:] == [
        f"{first['declarationId']}:{first['declarationVersion'] + 1}",
        f"{second['declarationId']}:{second['declarationVersion']}",
    ]
    page = await client.get("/authority/feed", params={"after": cursor, "limit": "1"}, headers=authority.headers)
    [event] = page.json()["events"]
    assert event["type"] in ("SUBMITTED", "UPDATED", "WITHDRAWN")
    assert event["declaration"]["declarationPostingCountry"] == "LU"


async def test_an_event_committed_late_is_not_skipped(
    client: Client, db: asyncpg.Connection, database_url: str
) -> None:
    """A transaction records its event first and commits last: a feed ordered by event id would
    have handed out the later one's position before it, and never this one."""
    authority = await new_authority(db, "LU")
    operator = await new_operator(db)
    late = await draft(client, operator, declarationPostingCountry="LU")
    await _drain(db)
    _, cursor = await _read_all(client, authority.headers)

    slow = await create_pool(database_url, min_size=1, max_size=1)
    try:
        async with transaction(slow) as tx:
            principal = OperatorPrincipal(operator.operator_id, "PL")
            await lifecycle.submit(tx, principal, late["declarationId"])  # recorded first
            early = await submitted(client, operator, declarationPostingCountry="LU")  # committed first
            await _drain(db)
            meanwhile, _ = await _read_all(client, authority.headers, cursor)
            assert meanwhile == []  # the feed waits for the transaction that is still running
    finally:
        await slow.close()
    await _drain(db)
    after, _ = await _read_all(client, authority.headers, cursor)
    assert after == [
        f"{late['declarationId']}:{late['declarationVersion'] + 1}",
        f"{early['declarationId']}:{early['declarationVersion']}",
    ]


@pytest.mark.parametrize("cursor", ["not-a-cursor!", "AAAA", "AAAAAAAAAAAAAAAA"])
async def test_a_cursor_the_portal_did_not_give_is_refused(client: Client, db: asyncpg.Connection, cursor: str) -> None:
    authority = await new_authority(db, "LU")
    answer = await client.get("/authority/feed", params={"after": cursor}, headers=authority.headers)
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["code"] == "bad_feed_cursor"
