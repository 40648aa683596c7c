"""``POST /declarations/renewals``: what ends soon filed again for the period after it, or only
listed by a dry run that stores nothing; a driver left out; one refused, the others filed."""

from typing import Any

import asyncpg

from tests.factories import Operator, days
from tests.helpers import Client, submitted


async def renewals(client: Client, operator: Operator, **body: Any) -> dict[str, Any]:
    answer = await client.post("/declarations/renewals", json=body, headers=operator.headers)
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


async def stored(db: asyncpg.Connection, operator: Operator) -> int:
    count: int = await db.fetchval("SELECT count(*) FROM declarations WHERE operator_id = $1", operator.operator_id)
    return count


async def test_a_dry_run_lists_what_would_be_filed_and_stores_nothing(
    client: Client, operator: Operator, db: asyncpg.Connection
) -> None:
    ending = await submitted(client, operator, declarationStartDate=days(1), declarationEndDate=days(20))
    await submitted(client, operator, declarationStartDate=days(1), declarationEndDate=days(80))  # not ending soon
    before = await stored(db, operator)
    result = await renewals(client, operator, withinDays=30, dryRun=True)
    assert [item["declarationId"] for item in result["items"]] == [ending["declarationId"]]
    [item] = result["items"]
    assert item["outcome"] == "WOULD_RENEW"
    assert (item["renewalStartDate"], item["renewalEndDate"]) == (days(21), days(40))
    assert item["renewedDeclarationId"] is None
    assert await stored(db, operator) == before


async def test_a_renewal_files_the_next_period_once(client: Client, operator: Operator) -> None:
    ending = await submitted(client, operator, declarationStartDate=days(1), declarationEndDate=days(20))
    result = await renewals(client, operator, withinDays=30)
    [item] = result["items"]
    assert (item["outcome"], result["renewed"]) == ("RENEWED", 1)
    renewed = (await client.get(f"/declarations/{item['renewedDeclarationId']}", headers=operator.headers)).json()
    assert renewed["declarationStatus"] == "SUBMITTED"
    assert (renewed["declarationStartDate"], renewed["declarationEndDate"]) == (days(21), days(40))
    assert renewed["declarationVehiclePlateNumberHeavy"] == ending["declarationVehiclePlateNumberHeavy"]
    assert (await renewals(client, operator, withinDays=30))["items"] == []  # followed now: not again


async def test_a_driver_left_out_is_listed_and_not_renewed(
    client: Client, operator: Operator, db: asyncpg.Connection
) -> None:
    ending = await submitted(client, operator, declarationStartDate=days(1), declarationEndDate=days(10))
    before = await stored(db, operator)
    result = await renewals(client, operator, withinDays=30, excludeDriverIds=[ending["driverId"]])
    assert [item["outcome"] for item in result["items"]] == ["OPTED_OUT"]
    assert await stored(db, operator) == before


async def test_one_refused_leaves_the_others_renewed(client: Client, operator: Operator) -> None:
    kept = await submitted(client, operator, declarationStartDate=days(1), declarationEndDate=days(10))
    orphaned = await submitted(client, operator, declarationStartDate=days(1), declarationEndDate=days(12))
    [plate] = orphaned["declarationVehiclePlateNumberHeavy"]
    vehicles = (await client.get("/plate-numbers", params={"limit": 100}, headers=operator.headers)).json()["items"]
    [vehicle] = [vehicle for vehicle in vehicles if vehicle["plateNumber"] == plate]
    removed = await client.delete(f"/plate-numbers/{vehicle['plateNumberId']}", headers=operator.headers)
    assert removed.status_code == 200, removed.text
    rehearsed = await renewals(client, operator, withinDays=30, dryRun=True)
    result = await renewals(client, operator, withinDays=30)
    for listed in (rehearsed, result):
        outcomes = {item["declarationId"]: item for item in listed["items"]}
        assert outcomes[orphaned["declarationId"]]["outcome"] == "REFUSED"
        assert outcomes[orphaned["declarationId"]]["errors"][0]["code"] == "plate_not_registered"
    assert {item["declarationId"]: item["outcome"] for item in result["items"]}[kept["declarationId"]] == "RENEWED"
    assert (result["renewed"], result["refused"]) == (1, 1)


async def test_a_window_beyond_the_limit_is_refused(client: Client, operator: Operator) -> None:
    answer = await client.post("/declarations/renewals", json={"withinDays": 365}, headers=operator.headers)
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "withinDays"
