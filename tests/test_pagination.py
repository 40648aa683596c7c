"""Keyset pages: every row once, in creation order, even while rows are being inserted."""

import asyncio

from tests.factories import Operator, driver_body, vehicle_body
from tests.helpers import Client, created


async def test_pages_are_stable_under_concurrent_inserts(client: Client, operator: Operator) -> None:
    existing = [(await created(client, operator, "/drivers", driver_body()))["driverId"] for _ in range(23)]
    seen: list[str] = []
    start_key = None
    inserted: list[str] = []
    while True:
        query = "/drivers?limit=5" + (f"&startKey={start_key}" if start_key else "")
        page, new = await asyncio.gather(
            client.get(query, headers=operator.headers), created(client, operator, "/drivers", driver_body())
        )
        inserted.append(new["driverId"])
        assert page.status_code == 200, page.text
        body = page.json()
        seen += [item["driverId"] for item in body["items"]]
        assert body["count"] == len(body["items"])
        start_key = body["lastEvaluatedKey"]
        if start_key is None:
            break
    assert len(seen) == len(set(seen)), "a row was served twice"
    assert seen[: len(existing)] == existing, "a row that existed before paging was skipped or reordered"
    assert set(seen) - set(existing) <= set(inserted)


async def test_the_last_page_says_so_and_limit_is_bounded(client: Client, operator: Operator) -> None:
    for _ in range(3):
        await created(client, operator, "/plate-numbers", vehicle_body())
    full = (await client.get("/plate-numbers?limit=3", headers=operator.headers)).json()
    assert len(full["items"]) == 3
    assert full["lastEvaluatedKey"] is None
    assert {"plateNumberTransportType", "plateNumber", "plateNumberId"} <= set(full["items"][0])
    for bad in ("limit=0", "limit=251", "limit=abc", "limit=5&startKey=%%%"):
        assert (await client.get(f"/plate-numbers?{bad}", headers=operator.headers)).status_code == 400, bad


async def test_driver_filters(client: Client, operator: Operator) -> None:
    ana = await created(
        client, operator, "/drivers", driver_body(driverLatinFirstName="Ana", driverLatinLastName="Kovač")
    )
    await created(client, operator, "/drivers", driver_body(driverLatinFirstName="Kovač", driverLatinLastName="Horvat"))

    async def names(query: str) -> list[str]:
        response = await client.get(f"/drivers?limit=50&{query}", headers=operator.headers)
        assert response.status_code == 200, response.text
        return [item["driverFullName"] for item in response.json()["items"]]

    assert await names("term=kova") == ["Ana Kovač", "Kovač Horvat"]
    assert await names("term=kova&byLastName=1") == ["Ana Kovač"]
    assert await names(f"dateOfBirth={ana['driverDateOfBirth']}&term=Ana") == ["Ana Kovač"]
    assert await names("term=kova&withActiveDeclarations=1") == []
