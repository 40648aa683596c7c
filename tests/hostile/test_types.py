"""Wrong JSON types, unknown fields, and every error of a body in one answer."""

from typing import Any

import pytest

from tests.factories import days, driver_body, next_year, vehicle_body
from tests.hostile.support import (
    LISTS,
    Client,
    Fleet,
    declaration,
    error_fields,
    message_of,
    refused,
)

# --- wrong JSON types: refused, not coerced ----------------------------------------------------

WRONG_TYPES = [
    ("/drivers", {"driverLatinFirstName": 123}, "driverLatinFirstName"),
    ("/drivers", {"driverLicenseNumber": True}, "driverLicenseNumber"),
    ("/drivers", {"driverDateOfBirth": 19850412}, "driverDateOfBirth"),
    ("/drivers", {"driverDocumentType": ["IDCARD"]}, "driverDocumentType"),
    ("/drivers", {"driverAddressCity": None}, "driverAddressCity"),
    ("/plate-numbers", {"plateNumber": 1234}, "plateNumber"),
    ("/plate-numbers", {"vehicleWeight": 5}, "vehicleWeight"),
    ("/plate-numbers", {"registrationCountry": {"code": "PL"}}, "registrationCountry"),
    ("/declarations", {"otherContactAsTransportManager": "true"}, "otherContactAsTransportManager"),
    ("/declarations", {"otherContactAsTransportManager": 1}, "otherContactAsTransportManager"),
    ("/declarations", {"otherContactAsTransportManager": "1"}, "otherContactAsTransportManager"),
    ("/declarations", {"driverId": 5}, "driverId"),
    ("/declarations", {"driverId": "5"}, "driverId"),
    ("/declarations", {"declarationOperationType": "CABOTAGE_OPERATIONS"}, "declarationOperationType"),
    ("/declarations", {"declarationVehiclePlateNumberHeavy": "WX00001"}, "declarationVehiclePlateNumberHeavy"),
    ("/declarations", {"declarationStartDate": 20270115}, "declarationStartDate"),
]


@pytest.mark.parametrize(("path", "overrides", "field"), WRONG_TYPES, ids=[f"{p}-{f}" for p, _, f in WRONG_TYPES])
async def test_wrong_json_type_is_refused_not_coerced(
    client: Client, fleet: Fleet, path: str, overrides: dict[str, Any], field: str
) -> None:
    base = {"/drivers": driver_body(), "/plate-numbers": vehicle_body(), "/declarations": declaration(fleet)}[path]
    r = await refused(client, fleet, "POST", path, 422, fields=(field,), json=base | overrides)
    assert error_fields(r) == [field]


async def test_wrong_type_inside_a_list_is_named_by_index(client: Client, fleet: Fleet) -> None:
    body = declaration(fleet, declarationVehiclePlateNumberHeavy=[fleet.plate, 5])
    r = await refused(
        client, fleet, "POST", "/declarations", 422, fields=("declarationVehiclePlateNumberHeavy[1]",), json=body
    )
    assert error_fields(r) == ["declarationVehiclePlateNumberHeavy[1]"]


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize("limit", ["five", "", " 5", "true"])
async def test_int_like_query_parameter_must_be_an_int(client: Client, fleet: Fleet, path: str, limit: str) -> None:
    r = await client.get(path, params={"limit": limit}, headers=fleet.headers)
    assert r.status_code == 400, r.text
    assert "limit" in error_fields(r)


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize("limit", ["-1", "0", "251", "99999999999"])
async def test_limit_out_of_range_is_400(client: Client, fleet: Fleet, path: str, limit: str) -> None:
    r = await client.get(path, params={"limit": limit}, headers=fleet.headers)
    assert r.status_code == 400, r.text
    assert "limit" in error_fields(r)


# --- unknown fields: refused, not ignored -------------------------------------------------------

UNKNOWN = [
    ("/drivers", {"driverMiddleName": "Anna"}, "driverMiddleName"),
    ("/drivers", {"driverId": "0190d6d7-7a5e-7c4b-9d33-bd8f3c8a2c11"}, "driverId"),
    ("/drivers", {"driverlatinfirstname": "Zofia"}, "driverlatinfirstname"),
    ("/plate-numbers", {"plateNumberId": "0190d6d7-7a5e-7c4b-9d33-bd8f3c8a2c11"}, "plateNumberId"),
    ("/plate-numbers", {"plateNumberTransportType": "CARRIAGE_OF_GOODS"}, "plateNumberTransportType"),
    ("/declarations", {"declarationStatus": "SUBMITTED"}, "declarationStatus"),
    ("/declarations", {"operatorId": "0190d6d7-7a5e-7c4b-9d33-bd8f3c8a2c11"}, "operatorId"),
    ("/declarations", {"__proto__": {"admin": True}}, "__proto__"),
]


@pytest.mark.parametrize(("path", "extra", "field"), UNKNOWN, ids=[f"{p}-{f}" for p, _, f in UNKNOWN])
async def test_unknown_field_is_refused_and_named(
    client: Client, fleet: Fleet, path: str, extra: dict[str, Any], field: str
) -> None:
    base = {"/drivers": driver_body(), "/plate-numbers": vehicle_body(), "/declarations": declaration(fleet)}[path]
    r = await refused(client, fleet, "POST", path, 422, fields=(field,), json=base | extra)
    assert error_fields(r) == [field]
    assert "not a known field" in message_of(r, field)


async def test_unknown_field_on_replace_leaves_the_driver_as_it_was(client: Client, fleet: Fleet) -> None:
    before = (await client.get(f"/drivers/{fleet.driver_id}", headers=fleet.headers)).json()
    body = driver_body(driverLatinFirstName="Ewa", driverHasDeclarations=True)
    await refused(
        client, fleet, "PUT", f"/drivers/{fleet.driver_id}", 422, fields=("driverHasDeclarations",), json=body
    )
    after = (await client.get(f"/drivers/{fleet.driver_id}", headers=fleet.headers)).json()
    assert after == before


# --- several errors, one answer -----------------------------------------------------------------


async def test_every_error_is_listed_in_one_response(client: Client, fleet: Fleet) -> None:
    body = declaration(
        fleet,
        driverId=12,
        declarationPostingCountry="EL",
        declarationStartDate=f"{next_year()}-02-30",
        declarationOperationType=["CABOTAGE_OPERATIONS", "SMUGGLING"],
        declarationVehiclePlateNumberHeavy=[fleet.plate, "\u0410B1234", 7],
        otherContactAsTransportManager="false",
        driverEmail="not an e-mail",
        declarationColour="red",
    )
    del body["declarationTransportType"]
    r = await refused(client, fleet, "POST", "/declarations", 422, json=body)
    assert sorted(error_fields(r)) == sorted(
        [
            "driverId",
            "declarationPostingCountry",
            "declarationStartDate",
            "declarationOperationType[1]",
            "declarationTransportType",
            "declarationVehiclePlateNumberHeavy[1]",
            "declarationVehiclePlateNumberHeavy[2]",
            "otherContactAsTransportManager",
            "driverEmail",
            "declarationColour",
        ]
    )
    assert "GR" in message_of(r, "declarationPostingCountry")
    assert "is required" in message_of(r, "declarationTransportType")


async def test_every_missing_driver_field_is_named(client: Client, fleet: Fleet) -> None:
    r = await refused(client, fleet, "POST", "/drivers", 422, json={})
    assert sorted(error_fields(r)) == sorted(driver_body())


async def test_rule_errors_are_listed_together(client: Client, fleet: Fleet) -> None:
    # Well-typed, but breaking several rules of the declaration at once.
    body = declaration(
        fleet,
        declarationPostingCountry="PL",  # the operator's own country
        declarationStartDate=days(40),
        declarationEndDate=days(10),
        declarationTransportType=["CARRIAGE_OF_GOODS", "CARRIAGE_OF_GOODS"],
        declarationVehiclePlateNumberHeavy=[fleet.plate, fleet.plate, "ZZ99999"],
        otherContactAsTransportManager=False,
    )
    r = await refused(client, fleet, "POST", "/declarations", 422, json=body)
    assert set(error_fields(r)) >= {
        "declarationPostingCountry",
        "declarationEndDate",
        "declarationTransportType",
        "declarationVehiclePlateNumberHeavy[1]",
        "declarationVehiclePlateNumberHeavy[2]",
        "otherContactFirstName",
        "otherContactLastName",
        "otherContactEmail",
    }
