"""Races a busy fleet client causes: the database keeps the rules, and nothing deadlocks."""

import asyncio

from tests.factories import Operator, declaration_body, driver_body
from tests.helpers import Client, created, fleet


async def test_concurrent_submits_of_overlapping_declarations_let_one_through(
    client: Client, operator: Operator
) -> None:
    driver_id, plates = await fleet(client, operator)
    drafts = [await created(client, operator, "/declarations", declaration_body(driver_id, plates)) for _ in range(6)]
    answers = await asyncio.gather(
        *(client.post(f"/declarations/{d['declarationId']}/submit", headers=operator.headers) for d in drafts)
    )
    assert sorted(answer.status_code for answer in answers) == [200] + [409] * 5


async def test_a_driver_change_racing_submits_neither_deadlocks_nor_loses_a_version(
    client: Client, operator: Operator
) -> None:
    driver_id, plates = await fleet(client, operator)
    driver = (await client.get(f"/drivers/{driver_id}", headers=operator.headers)).json()
    countries = ["FR", "DE", "AT", "BE", "NL", "IT"]
    drafts = [
        await created(
            client, operator, "/declarations", declaration_body(driver_id, plates, declarationPostingCountry=c)
        )
        for c in countries
    ]
    renamed = driver_body(
        driverLatinLastName="Renamed",
        driverLicenseNumber=driver["driverLicenseNumber"],
        driverDateOfBirth=driver["driverDateOfBirth"],
    )
    answers = await asyncio.wait_for(
        asyncio.gather(
            *(client.post(f"/declarations/{d['declarationId']}/submit", headers=operator.headers) for d in drafts),
            client.put(f"/drivers/{driver_id}", json=renamed, headers=operator.headers),
        ),
        timeout=30,
    )
    assert {answer.status_code for answer in answers} == {200}
    for draft in drafts:
        read = (await client.get(f"/declarations/{draft['declarationId']}", headers=operator.headers)).json()
        assert read["declarationStatus"] == "SUBMITTED"
        assert read["driverLatinLastName"] == "Renamed"
