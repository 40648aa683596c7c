"""Who may call what: keys, operator ids, and other operators' objects (404, never 403)."""

import asyncpg
import pytest

from tests.factories import Operator, days, declaration_body, driver_body
from tests.helpers import Client, submitted


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"x-api-key": "pok_not-a-key"}, 401),
        ({"x-api-key": "KEY"}, 401),  # the operator id is missing
        ({"x-api-key": "KEY", "x-operator-id": "OTHER"}, 403),
        ({"x-api-key": "KEY", "x-operator-id": "not-a-uuid"}, 403),
        ({"x-api-key": "KEY", "x-operator-id": "OWN"}, 200),
    ],
)
async def test_api_key_and_operator_id(
    client: Client, operator: Operator, other_operator: Operator, headers: dict[str, str], status: int
) -> None:
    replace = {"KEY": operator.api_key, "OWN": str(operator.operator_id), "OTHER": str(other_operator.operator_id)}
    sent = {name: replace.get(value, value) for name, value in headers.items()}
    response = await client.get("/drivers?limit=5", headers=sent)
    assert response.status_code == status, response.text
    if status != 200:
        assert response.json()["message"]


async def test_a_revoked_key_stops_working(client: Client, operator: Operator, db: asyncpg.Connection) -> None:
    assert (await client.get("/drivers?limit=1", headers=operator.headers)).status_code == 200
    await db.execute("UPDATE api_keys SET revoked_at = now() WHERE operator_id = $1", operator.operator_id)
    assert (await client.get("/drivers?limit=1", headers=operator.headers)).status_code == 401


async def test_another_operators_objects_are_not_found(
    client: Client, operator: Operator, other_operator: Operator
) -> None:
    declaration = await submitted(client, operator)
    theirs = other_operator.headers
    declaration_url = f"/declarations/{declaration['declarationId']}"
    driver_url = f"/drivers/{declaration['driverId']}"
    plates = (await client.get("/plate-numbers?limit=10", headers=operator.headers)).json()["items"]
    plate_url = f"/plate-numbers/{plates[0]['plateNumberId']}"
    for method, url, body in [
        ("GET", declaration_url, None),
        ("PUT", declaration_url, declaration_body(declaration["driverId"], ["WX1"])),
        ("DELETE", declaration_url, None),
        ("POST", f"{declaration_url}/submit", None),
        ("PUT", f"{declaration_url}/submit", {"declarationEndDate": declaration["declarationEndDate"]}),
        ("POST", f"{declaration_url}/withdraw", None),
        ("POST", f"{declaration_url}/copy", {"declarationStartDate": days(3), "declarationEndDate": days(9)}),
        ("GET", driver_url, None),
        ("PUT", driver_url, driver_body()),
        ("DELETE", driver_url, None),
        ("GET", plate_url, None),
        ("DELETE", plate_url, None),
    ]:
        response = await client.request(method, url, json=body, headers=theirs)
        assert response.status_code == 404, (method, url, response.text)
    # Their lists do not show it, and it is untouched.
    assert (await client.get("/declarations?limit=250", headers=theirs)).json()["items"] == []
    mine = await client.get(declaration_url, headers=operator.headers)
    assert mine.json()["declarationStatus"] == "SUBMITTED"
    assert mine.json()["declarationVersion"] == declaration["declarationVersion"]


async def test_filing_with_another_operators_driver_is_refused(
    client: Client, operator: Operator, other_operator: Operator
) -> None:
    declaration = await submitted(client, operator)
    body = declaration_body(declaration["driverId"], declaration["declarationVehiclePlateNumberHeavy"])
    response = await client.post("/declarations", json=body, headers=other_operator.headers)
    assert response.status_code == 422
    fields = {error["field"] for error in response.json()["errors"]}
    assert {"driverId", "declarationVehiclePlateNumberHeavy[0]"} <= fields
