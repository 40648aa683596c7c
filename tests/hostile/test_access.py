"""Other operators' objects, credentials, the other write endpoints, and hostile query strings."""

from typing import Any

import pytest

from tests.factories import Operator, declaration_body, driver_body, next_day, next_year
from tests.hostile.support import (
    JSON,
    LISTS,
    Client,
    Fleet,
    declaration,
    error_fields,
    new_fleet,
    refused,
    stored,
)

# --- another operator's objects -----------------------------------------------------------------


async def test_declaration_naming_another_operators_driver_and_plates_is_refused(
    client: Client, fleet: Fleet, other_operator: Operator
) -> None:
    theirs = await new_fleet(client, other_operator)
    their_objects = await stored(client, theirs.headers)
    body = declaration_body(theirs.driver_id, [theirs.plate])
    r = await refused(client, fleet, "POST", "/declarations", 422, json=body)
    assert set(error_fields(r)) == {"driverId", "declarationVehiclePlateNumberHeavy[0]"}
    # Mixed: our driver with their plate, and our plate with their driver.
    body = declaration_body(fleet.driver_id, [fleet.plate, theirs.plate])
    r = await refused(client, fleet, "POST", "/declarations", 422, json=body)
    assert error_fields(r) == ["declarationVehiclePlateNumberHeavy[1]"]
    body = declaration_body(theirs.driver_id, [fleet.plate])
    r = await refused(client, fleet, "POST", "/declarations", 422, json=body)
    assert error_fields(r) == ["driverId"]
    assert await stored(client, theirs.headers) == their_objects


async def test_another_operators_objects_are_404_not_403(
    client: Client, fleet: Fleet, other_operator: Operator
) -> None:
    theirs = await new_fleet(client, other_operator)
    for method, body in (("GET", None), ("PUT", driver_body()), ("DELETE", None)):
        r = await client.request(method, f"/drivers/{theirs.driver_id}", json=body, headers=fleet.headers)
        assert r.status_code == 404, r.text
    r = await client.get(f"/drivers/{theirs.driver_id}", headers=theirs.headers)
    assert r.status_code == 200, r.text
    assert r.json()["driverLatinFirstName"] == "Zofia"


async def test_operator_id_header_of_another_operator_is_403(
    client: Client, fleet: Fleet, other_operator: Operator
) -> None:
    headers = {"x-operator-id": str(other_operator.operator_id)}
    await refused(client, fleet, "POST", "/drivers", 403, json=driver_body(), headers=headers)
    assert await stored(client, other_operator.headers) == {path: set() for path in LISTS}


@pytest.mark.parametrize(
    "headers",
    [{"x-api-key": ""}, {"x-api-key": "not-a-key"}, {"x-operator-id": ""}, {"x-operator-id": "not-a-uuid"}],
    ids=["no-key", "wrong-key", "no-operator", "garbage-operator"],
)
async def test_bad_credentials_are_401_or_403(client: Client, fleet: Fleet, headers: dict[str, str]) -> None:
    before = await stored(client, fleet.headers)
    hostile = {k: v for k, v in (fleet.headers | headers).items() if v}
    r = await client.post("/drivers", json=driver_body(), headers=hostile)
    assert r.status_code in (401, 403), r.text
    error_fields(r)
    assert await stored(client, fleet.headers) == before


# --- bodies on the other write endpoints --------------------------------------------------------


async def _submitted(client: Client, fleet: Fleet) -> dict[str, Any]:
    r = await client.post("/declarations", json=declaration(fleet), headers=fleet.headers)
    assert r.status_code == 201, r.text
    r = await client.post(f"/declarations/{r.json()['declarationId']}/submit", headers=fleet.headers)
    assert r.status_code == 200, r.text
    submitted: dict[str, Any] = r.json()
    return submitted


async def test_hostile_update_of_a_submitted_declaration_changes_nothing(client: Client, fleet: Fleet) -> None:
    submitted = await _submitted(client, fleet)
    url = f"/declarations/{submitted['declarationId']}"
    body = {
        "declarationEndDate": "tomorrow",
        "declarationVehiclePlateNumberHeavy": [fleet.plate, "\u0410B1234", 5],
        "otherContactFirstName": "Jan\u202e",
        "declarationStatus": "WITHDRAWN",
    }
    r = await refused(client, fleet, "PUT", f"{url}/submit", 422, json=body)
    assert sorted(error_fields(r)) == sorted(
        [
            "declarationEndDate",
            "declarationVehiclePlateNumberHeavy[1]",
            "declarationVehiclePlateNumberHeavy[2]",
            "otherContactFirstName",
            "declarationStatus",
        ]
    )
    for content in (b"[", b"[]", b""):
        await refused(
            client, fleet, "PUT", f"{url}/submit", 400 if content != b"[]" else 422, content=content, headers=JSON
        )
    after = (await client.get(url, headers=fleet.headers)).json()
    assert after["declarationVersion"] == submitted["declarationVersion"]
    assert after["declarationStatus"] == "SUBMITTED"


def _copy_bodies() -> dict[str, tuple[dict[str, Any], list[str]]]:
    """Bad copy bodies, dated from the portal's clock when the test runs."""
    start = next_day(1, 15).isoformat()
    july, february = next_day(1, 15).replace(month=7).isoformat(), next_day(1, 15).replace(month=2).isoformat()
    return {
        "bad-date": (
            {"declarationStartDate": f"{next_year()}-02-30", "declarationEndDate": f"{next_year()}-03-01"},
            ["declarationStartDate"],
        ),
        "too-long": ({"declarationStartDate": start, "declarationEndDate": july}, ["declarationEndDate"]),
        "missing-end": ({"declarationStartDate": start}, ["declarationEndDate"]),
        "unknown-field": (
            {"declarationStartDate": start, "declarationEndDate": february, "driverId": "x"},
            ["driverId"],
        ),
    }


@pytest.mark.parametrize("case", ["bad-date", "too-long", "missing-end", "unknown-field"])
async def test_hostile_copy_creates_nothing(client: Client, fleet: Fleet, case: str) -> None:
    body, fields = _copy_bodies()[case]
    r = await client.post("/declarations", json=declaration(fleet), headers=fleet.headers)
    assert r.status_code == 201, r.text
    r = await refused(client, fleet, "POST", f"/declarations/{r.json()['declarationId']}/copy", 422, json=body)
    assert error_fields(r) == fields


@pytest.mark.parametrize(
    ("content", "content_type"),
    [(b"{", "application/json"), (b"[]", "application/json"), (b"{}", "text/plain")],
    ids=["malformed", "array", "text-plain"],
)
async def test_unauthenticated_request_is_401_before_its_body_is_read(
    client: Client, fleet: Fleet, content: bytes, content_type: str
) -> None:
    before = await stored(client, fleet.headers)
    r = await client.post("/drivers", content=content, headers={"content-type": content_type})
    assert await stored(client, fleet.headers) == before
    assert r.status_code == 401, r.text


async def test_unauthenticated_valid_body_is_401(client: Client, fleet: Fleet) -> None:
    before = await stored(client, fleet.headers)
    r = await client.post("/drivers", json=driver_body())
    assert r.status_code == 401, r.text
    assert await stored(client, fleet.headers) == before


# --- hostile query strings ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [("/drivers", "term=a%00b", "term"), ("/declarations", "postingCountry=%00", "postingCountry")],
    ids=["drivers-term", "declarations-postingCountry"],
)
async def test_nul_in_a_query_parameter_is_400(client: Client, fleet: Fleet, path: str, query: str, field: str) -> None:
    r = await client.get(f"{path}?limit=5&{query}", headers=fleet.headers)
    assert r.status_code == 400, r.text
    assert field in r.text


@pytest.mark.parametrize(
    "url",
    [
        "/drivers?limit=5&startKey=%00",
        f"/drivers?limit=5&dateOfBirth={next_year() - 1}-02-30",
        "/drivers?limit=5&byLastName=2",
        "/declarations?limit=5&status=%00",
        "/declarations?limit=5&startKey=not-a-cursor",
        "/declarations?limit=5&driverId=5",
        "/declarations?limit=5&endDateFrom=tomorrow",
        "/plate-numbers?limit=5&startKey=%FF%FE",
    ],
)
async def test_bad_query_parameter_is_400(client: Client, fleet: Fleet, url: str) -> None:
    r = await client.get(url, headers=fleet.headers)
    assert r.status_code == 400, r.text
    error_fields(r)
