"""A declaration's whole life over HTTP: draft, submit, update, list, copy, withdraw, expire."""

import datetime

import asyncpg

from tests.factories import Operator, days, declaration_body, driver_body, today
from tests.helpers import Client, created, draft, fleet, submitted


async def events_of(db: asyncpg.Connection, declaration_id: str) -> list[tuple[int, str]]:
    rows = await db.fetch(
        "SELECT version, event_type FROM declaration_events WHERE declaration_id = $1 ORDER BY id", declaration_id
    )
    return [(row["version"], row["event_type"]) for row in rows]


async def test_a_declaration_from_draft_to_withdrawal(
    client: Client, operator: Operator, db: asyncpg.Connection
) -> None:
    h = operator.headers
    driver_id, plates = await fleet(client, operator, plates=2)
    declaration = await created(client, operator, "/declarations", declaration_body(driver_id, plates[:1]))
    url = f"/declarations/{declaration['declarationId']}"
    assert declaration["declarationStatus"] == "DRAFT"
    assert declaration["driverLatinFirstName"] == "Zofia"
    assert declaration["operatorId"] == str(operator.operator_id)

    replaced = await client.put(
        url, json=declaration_body(driver_id, plates, declarationPostingCountry="DE"), headers=h
    )
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["declarationPostingCountry"] == "DE"
    assert replaced.json()["declarationVersion"] == declaration["declarationVersion"] + 1
    assert await events_of(db, declaration["declarationId"]) == []  # drafts are not forwarded

    submitted_now = await client.post(f"{url}/submit", headers=h)
    assert submitted_now.status_code == 200, submitted_now.text
    assert submitted_now.json()["declarationStatus"] == "SUBMITTED"
    assert submitted_now.json()["declarationSubmissionDate"]

    assert (await client.put(url, json=declaration_body(driver_id, plates), headers=h)).status_code == 409
    assert (await client.delete(url, headers=h)).status_code == 409

    update = {"declarationEndDate": days(90), "declarationVehiclePlateNumberHeavy": plates[1:]}
    updated = await client.put(f"{url}/submit", json=update, headers=h)
    assert updated.status_code == 200, updated.text
    assert updated.json()["declarationEndDate"] == days(90)
    assert updated.json()["declarationVehiclePlateNumberHeavy"] == plates[1:]

    frozen = await client.put(f"{url}/submit", json={"declarationPostingCountry": "AT"}, headers=h)
    assert frozen.status_code == 422
    assert frozen.json()["errors"][0]["field"] == "declarationPostingCountry"

    withdrawn = await client.post(f"{url}/withdraw", headers=h)
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["declarationStatus"] == "WITHDRAWN"
    assert (await client.post(f"{url}/withdraw", headers=h)).status_code == 409

    read = (await client.get(url, headers=h)).json()
    assert read["declarationStatus"] == "WITHDRAWN"
    version = read["declarationVersion"]
    assert await events_of(db, declaration["declarationId"]) == [
        (version - 2, "SUBMITTED"),
        (version - 1, "UPDATED"),
        (version, "WITHDRAWN"),
    ]


async def test_a_submitted_update_with_the_whole_object_unchanged_makes_no_new_version(
    client: Client, operator: Operator
) -> None:
    declaration = await submitted(client, operator)
    url = f"/declarations/{declaration['declarationId']}/submit"
    body = {key: declaration[key] for key in declaration_body("x", []) if key in declaration}
    response = await client.put(url, json=body, headers=operator.headers)
    assert response.status_code == 200, response.text
    assert response.json()["declarationVersion"] == declaration["declarationVersion"]


async def test_a_draft_can_be_deleted(client: Client, operator: Operator) -> None:
    declaration = await draft(client, operator)
    url = f"/declarations/{declaration['declarationId']}"
    assert (await client.delete(url, headers=operator.headers)).status_code == 200
    assert (await client.get(url, headers=operator.headers)).status_code == 404


async def test_copy_makes_a_new_draft_with_a_new_period(client: Client, operator: Operator) -> None:
    declaration = await submitted(client, operator)
    period = {"declarationStartDate": days(100), "declarationEndDate": days(150)}
    response = await client.post(
        f"/declarations/{declaration['declarationId']}/copy", json=period, headers=operator.headers
    )
    assert response.status_code == 201, response.text
    copy = response.json()
    assert copy["declarationStatus"] == "DRAFT"
    assert copy["declarationId"] != declaration["declarationId"]
    assert (copy["declarationStartDate"], copy["declarationEndDate"]) == (days(100), days(150))
    for same in ("driverId", "declarationPostingCountry", "declarationVehiclePlateNumberHeavy", "driverEmail"):
        assert copy[same] == declaration[same]


async def test_expired_is_true_at_every_read(client: Client, operator: Operator, db: asyncpg.Connection) -> None:
    declaration = await submitted(client, operator)
    # The posting ended yesterday: no job runs, the next read says EXPIRED.
    yesterday = today() - datetime.timedelta(days=1)
    await db.execute(
        "UPDATE declarations SET start_date = $2, end_date = $2 WHERE id = $1", declaration["declarationId"], yesterday
    )
    url = f"/declarations/{declaration['declarationId']}"
    assert (await client.get(url, headers=operator.headers)).json()["declarationStatus"] == "EXPIRED"
    listed = await client.get("/declarations?limit=10&status=expired", headers=operator.headers)
    assert [item["declarationId"] for item in listed.json()["items"]] == [declaration["declarationId"]]
    assert (await client.post(f"{url}/withdraw", headers=operator.headers)).status_code == 409


async def test_list_filters(client: Client, operator: Operator) -> None:
    first = await submitted(client, operator)
    second = await draft(client, operator, declarationPostingCountry="AT")
    h = operator.headers

    async def ids(query: str) -> list[str]:
        response = await client.get(f"/declarations?limit=250{query}", headers=h)
        assert response.status_code == 200, response.text
        return [item["declarationId"] for item in response.json()["items"]]

    assert await ids("") == [first["declarationId"], second["declarationId"]]
    assert await ids("&status=Submitted") == [first["declarationId"]]
    assert await ids("&status=DRAFT") == [second["declarationId"]]
    assert await ids("&postingCountry=AT") == [second["declarationId"]]
    assert await ids(f"&driverId={first['driverId']}") == [first["declarationId"]]
    assert await ids(f"&endDateFrom={days(61)}") == []
    assert await ids(f"&endDateTo={days(60)}") == [first["declarationId"], second["declarationId"]]
    item = (await client.get("/declarations?limit=1", headers=h)).json()["items"][0]
    assert item["driverId"] == first["driverId"]
    assert item["driverLatinFullName"] == f"{first['driverLatinFirstName']} {first['driverLatinLastName']}"
    assert (await client.get("/declarations?limit=10&status=LOST", headers=h)).status_code == 400
    assert (await client.get("/declarations", headers=h)).status_code == 400  # limit is required


async def test_a_driver_change_becomes_a_new_version_of_current_declarations(
    client: Client, operator: Operator, db: asyncpg.Connection
) -> None:
    declaration = await submitted(client, operator)
    driver_url = f"/drivers/{declaration['driverId']}"
    driver = (await client.get(driver_url, headers=operator.headers)).json()
    assert driver["driverHasDeclarations"] is True
    assert driver["driverCountActiveDeclarations"] == 1
    changed = driver_body(
        driverLatinLastName="Nowak", driverLicenseNumber=driver["driverLicenseNumber"], driverDateOfBirth="1985-04-12"
    )
    response = await client.put(driver_url, json=changed, headers=operator.headers)
    assert response.status_code == 200, response.text
    read = (await client.get(f"/declarations/{declaration['declarationId']}", headers=operator.headers)).json()
    assert read["driverLatinLastName"] == "Nowak"
    assert read["declarationVersion"] == declaration["declarationVersion"] + 1
    assert (await events_of(db, declaration["declarationId"]))[-1] == (read["declarationVersion"], "UPDATED")
    assert (await client.delete(driver_url, headers=operator.headers)).status_code == 409


async def test_a_driver_without_declarations_can_be_deleted(client: Client, operator: Operator) -> None:
    driver = await created(client, operator, "/drivers", driver_body())
    url = f"/drivers/{driver['driverId']}"
    assert (await client.delete(url, headers=operator.headers)).status_code == 200
    assert (await client.get(url, headers=operator.headers)).status_code == 404
