"""What a hostile or sloppy fleet client sends: each is refused with the right status, an error
body naming every failing field by its JSON path, and nothing stored (api.md section 1, domain.md
"Rules a declaration must pass")."""

import json
from typing import Any

import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.factories import Operator, declaration_body, driver_body, vehicle_body

Client = AsyncTestClient[Litestar]
LISTS = ("/drivers", "/plate-numbers", "/declarations")
ID_OF = {"/drivers": "driverId", "/plate-numbers": "plateNumberId", "/declarations": "declarationId"}
JSON = {"content-type": "application/json"}


class Fleet(msgspec.Struct, frozen=True):
    """An operator with one driver and one HEAVY goods vehicle in its register."""

    operator: Operator
    driver_id: str
    plate: str

    @property
    def headers(self) -> dict[str, str]:
        return self.operator.headers


@pytest.fixture
async def fleet(client: Client, operator: Operator) -> Fleet:
    return await _fleet(client, operator)


async def _fleet(client: Client, operator: Operator) -> Fleet:
    r = await client.post("/drivers", json=driver_body(), headers=operator.headers)
    assert r.status_code == 201, r.text
    driver_id = r.json()["driverId"]
    r = await client.post("/plate-numbers", json=vehicle_body(), headers=operator.headers)
    assert r.status_code == 201, r.text
    return Fleet(operator, driver_id, r.json()["plateNumber"])


async def stored(client: Client, headers: dict[str, str]) -> dict[str, set[str]]:
    """The ids of every driver, vehicle and declaration the operator's list endpoints show."""
    found = {}
    for path in LISTS:
        r = await client.get(path, params={"limit": 250}, headers=headers)
        assert r.status_code == 200, r.text
        assert r.json()["lastEvaluatedKey"] is None, "a test operator never has more than one page"
        found[path] = {item[ID_OF[path]] for item in r.json()["items"]}
    return found


def error_fields(r: Any) -> list[str]:
    """The fields an error answer names, after checking it has the one error shape."""
    body = r.json()
    assert r.headers["content-type"].startswith("application/json")
    assert isinstance(body["message"], str)
    assert body["message"]
    assert isinstance(body["errors"], list)
    return [error["field"] for error in body["errors"]]


def message_of(r: Any, field: str) -> str:
    return " ".join(e["message"] for e in r.json()["errors"] if e["field"] == field)


async def refused(
    client: Client,
    fleet: Fleet,
    method: str,
    path: str,
    status: int,
    *,
    fields: tuple[str, ...] = (),
    headers: dict[str, str] | None = None,
    **request: Any,
) -> Any:
    """Send the request; assert its status, that it names ``fields``, and that nothing was stored."""
    before = await stored(client, fleet.headers)
    r = await client.request(method, path, headers=fleet.headers | (headers or {}), **request)
    assert r.status_code == status, r.text
    named = error_fields(r)
    for field in fields:
        assert field in named, f"{field} not named in {r.text}"
    assert await stored(client, fleet.headers) == before
    return r


def declaration(fleet: Fleet, **overrides: Any) -> dict[str, Any]:
    return declaration_body(fleet.driver_id, [fleet.plate], **overrides)


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
        declarationStartDate="2027-02-30",
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
        declarationStartDate="2027-03-01",
        declarationEndDate="2027-02-01",
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


# --- bodies that are not what was asked for -----------------------------------------------------

DEPTH = 100_000


def _deep_bodies() -> list[tuple[str, bytes]]:
    driver = json.dumps(driver_body()).encode()
    return [
        ("open-in-known-field", driver[:-1] + b', "driverLatinFirstName": ' + b"[" * DEPTH + b"}"),
        ("closed-in-known-field", driver[:-1] + b', "driverLicenseNumber": ' + b"[" * DEPTH + b"]" * DEPTH + b"}"),
        ("closed-in-unknown-field", driver[:-1] + b', "x": ' + b"[" * DEPTH + b"]" * DEPTH + b"}"),
        ("objects-in-unknown-field", driver[:-1] + b', "x": ' + b'{"a":' * DEPTH + b"1" + b"}" * (DEPTH + 1)),
        ("whole-body-open", b"[" * DEPTH),
        ("whole-body-closed", b"[" * DEPTH + b"]" * DEPTH),
        ("whole-body-objects", b'{"a":' * DEPTH + b"1" + b"}" * DEPTH),
    ]


@pytest.mark.parametrize("path", ["/drivers", "/declarations"])
@pytest.mark.parametrize(("name", "body"), _deep_bodies(), ids=[name for name, _ in _deep_bodies()])
async def test_deeply_nested_json_is_refused_without_a_crash(
    client: Client, fleet: Fleet, path: str, name: str, body: bytes
) -> None:
    before = await stored(client, fleet.headers)
    r = await client.post(path, content=body, headers=fleet.headers | JSON)
    assert r.status_code in (400, 422), r.text
    error_fields(r)
    assert await stored(client, fleet.headers) == before


async def test_deep_nesting_inside_a_plate_list_is_refused(client: Client, fleet: Fleet) -> None:
    prefix = json.dumps(declaration(fleet, declarationVehiclePlateNumberHeavy=[])).encode()
    head, _, tail = prefix.partition(b'"declarationVehiclePlateNumberHeavy": []')
    body = head + b'"declarationVehiclePlateNumberHeavy": ' + b"[" * DEPTH + b"]" * DEPTH + tail
    before = await stored(client, fleet.headers)
    r = await client.post("/declarations", content=body, headers=fleet.headers | JSON)
    assert r.status_code in (400, 422), r.text
    error_fields(r)
    assert await stored(client, fleet.headers) == before


@pytest.mark.parametrize("idempotency_key", [None, "retry-1"], ids=["plain", "idempotent"])
@pytest.mark.parametrize("path", ["/drivers", "/plate-numbers", "/declarations"])
async def test_twenty_megabyte_body_is_too_large(
    client: Client, fleet: Fleet, path: str, idempotency_key: str | None
) -> None:
    body = json.dumps(driver_body(driverAddressStreet="x" * 20_000_000)).encode()
    assert len(body) > 20_000_000
    headers = JSON | ({"idempotency-key": idempotency_key} if idempotency_key else {})
    await refused(client, fleet, "POST", path, 413, content=body, headers=headers)


async def test_twenty_megabyte_body_on_replace_is_too_large(client: Client, fleet: Fleet) -> None:
    body = json.dumps(driver_body(driverAddressStreet="x" * 20_000_000)).encode()
    await refused(client, fleet, "PUT", f"/drivers/{fleet.driver_id}", 413, content=body, headers=JSON)


async def test_idempotency_key_too_long_is_refused(client: Client, fleet: Fleet) -> None:
    headers = {"idempotency-key": "k" * 201}
    await refused(client, fleet, "POST", "/drivers", 400, json=driver_body(), headers=headers)


MALFORMED = {
    "unclosed": b'{"driverLatinFirstName": "Zofia"',
    "no-value": b'{"driverLatinFirstName": }',
    "single-quotes": b"{'driverLatinFirstName': 'Zofia'}",
    "trailing-comma": b'{"driverLatinFirstName": "Zofia",}',
    "trailing-garbage": b"{} {}",
    "nan": b'{"driverLatinFirstName": NaN}',
    "comment": b'{"driverLatinFirstName": "Zofia" /* hi */}',
    "bare-word": b"hello",
    "byte-order-mark": b'\xef\xbb\xbf{"driverLatinFirstName": "Zofia"}',
    "invalid-utf8-in-value": b'{"driverLatinFirstName": "Zof\xffia"}',
    "invalid-utf8-in-key": b'{"driver\xc3LatinFirstName": "Zofia"}',
    "lone-surrogate": b'{"driverLatinFirstName": "\\ud800"}',
    "latin1-encoded": '{"driverLatinLastName": "Wiśniewska"}'.encode("cp1250"),
}


@pytest.mark.parametrize("path", ["/drivers", "/plate-numbers", "/declarations"])
@pytest.mark.parametrize("body", MALFORMED.values(), ids=MALFORMED.keys())
async def test_malformed_json_is_400(client: Client, fleet: Fleet, path: str, body: bytes) -> None:
    await refused(client, fleet, "POST", path, 400, content=body, headers=JSON)


@pytest.mark.parametrize("path", ["/drivers", "/plate-numbers", "/declarations"])
@pytest.mark.parametrize("body", [b"", b"   ", b"\r\n\t"], ids=["empty", "spaces", "whitespace"])
async def test_empty_body_is_400(client: Client, fleet: Fleet, path: str, body: bytes) -> None:
    r = await refused(client, fleet, "POST", path, 400, content=body, headers=JSON)
    assert "empty" in r.json()["message"]
    assert error_fields(r) == []


async def test_no_body_and_no_content_type_is_400(client: Client, fleet: Fleet) -> None:
    r = await refused(client, fleet, "POST", "/drivers", 400)
    assert "empty" in r.json()["message"]
    assert error_fields(r) == []


async def test_empty_body_on_replace_is_400(client: Client, fleet: Fleet) -> None:
    await refused(client, fleet, "PUT", f"/drivers/{fleet.driver_id}", 400, content=b"", headers=JSON)


CONTENT_TYPES = [
    "text/plain",
    "text/plain; charset=utf-8",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/xml",
    "text/json",
]


@pytest.mark.parametrize("path", ["/drivers", "/plate-numbers", "/declarations"])
@pytest.mark.parametrize("content_type", CONTENT_TYPES)
async def test_content_type_that_is_not_json_is_415(client: Client, fleet: Fleet, path: str, content_type: str) -> None:
    body = {"/drivers": driver_body(), "/plate-numbers": vehicle_body(), "/declarations": declaration(fleet)}[path]
    r = await refused(
        client, fleet, "POST", path, 415, content=json.dumps(body).encode(), headers={"content-type": content_type}
    )
    assert "application/json" in r.json()["message"]


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8", "APPLICATION/JSON", "application/ld+json"])
async def test_json_content_types_are_accepted(client: Client, fleet: Fleet, content_type: str) -> None:
    r = await client.post(
        "/drivers", content=json.dumps(driver_body()).encode(), headers=fleet.headers | {"content-type": content_type}
    )
    assert r.status_code == 201, r.text


NOT_OBJECTS = {
    "array": [],
    "array-of-body": ["BODY"],
    "null": None,
    "string": "driver",
    "number": 5,
    "true": True,
}


@pytest.mark.parametrize("path", ["/drivers", "/plate-numbers", "/declarations"])
@pytest.mark.parametrize("body", NOT_OBJECTS.values(), ids=NOT_OBJECTS.keys())
async def test_body_that_is_not_an_object_is_422(client: Client, fleet: Fleet, path: str, body: Any) -> None:
    if body == ["BODY"]:
        body = [
            {"/drivers": driver_body(), "/plate-numbers": vehicle_body(), "/declarations": declaration(fleet)}[path]
        ]
    r = await refused(client, fleet, "POST", path, 422, content=json.dumps(body).encode(), headers=JSON)
    assert error_fields(r) == [""]
    assert "object" in r.text


# --- dates and the period -----------------------------------------------------------------------

BAD_DATES = ["2026-02-30", "tomorrow", "2027-13-01", "2027-00-10", "15/01/2027", "2027-1-5", "", "2027-01-15T00:00"]


@pytest.mark.parametrize("value", BAD_DATES)
async def test_bad_date_of_birth_is_refused(client: Client, fleet: Fleet, value: str) -> None:
    r = await refused(client, fleet, "POST", "/drivers", 422, json=driver_body(driverDateOfBirth=value))
    assert error_fields(r) == ["driverDateOfBirth"]


@pytest.mark.parametrize("value", BAD_DATES)
@pytest.mark.parametrize("field", ["declarationStartDate", "declarationEndDate"])
async def test_bad_declaration_date_is_refused(client: Client, fleet: Fleet, field: str, value: str) -> None:
    r = await refused(client, fleet, "POST", "/declarations", 422, json=declaration(fleet, **{field: value}))
    assert error_fields(r) == [field]


async def test_period_longer_than_six_months_is_refused(client: Client, fleet: Fleet) -> None:
    body = declaration(fleet, declarationStartDate="2027-01-15", declarationEndDate="2027-07-15")
    r = await refused(client, fleet, "POST", "/declarations", 422, json=body)
    assert error_fields(r) == ["declarationEndDate"]
    assert "2027-07-14" in message_of(r, "declarationEndDate")


async def test_period_of_exactly_six_months_is_accepted(client: Client, fleet: Fleet) -> None:
    body = declaration(fleet, declarationStartDate="2027-01-15", declarationEndDate="2027-07-14")
    r = await client.post("/declarations", json=body, headers=fleet.headers)
    assert r.status_code == 201, r.text
    assert r.json()["declarationEndDate"] == "2027-07-14"
    assert r.json()["declarationId"] in (await stored(client, fleet.headers))["/declarations"]


async def test_end_before_start_is_refused(client: Client, fleet: Fleet) -> None:
    body = declaration(fleet, declarationStartDate="2027-01-15", declarationEndDate="2027-01-14")
    r = await refused(client, fleet, "POST", "/declarations", 422, json=body)
    assert error_fields(r) == ["declarationEndDate"]


# --- plates -------------------------------------------------------------------------------------

LOOK_ALIKES = {
    "cyrillic-A": "\u0410B1234",
    "cyrillic-E-inside": "WX\u04151234",
    "greek-omicron": "W\u039f1234",
    "dotless-i": "W\u0131X123",
    "zero-width-space": "WX\u200b1234",
}


@pytest.mark.parametrize("plate", LOOK_ALIKES.values(), ids=LOOK_ALIKES.keys())
async def test_look_alike_plate_is_refused_by_the_register(client: Client, fleet: Fleet, plate: str) -> None:
    r = await refused(client, fleet, "POST", "/plate-numbers", 422, json=vehicle_body(plate))
    assert error_fields(r) == ["plateNumber"]


@pytest.mark.parametrize("plate", LOOK_ALIKES.values(), ids=LOOK_ALIKES.keys())
async def test_look_alike_plate_is_refused_in_a_declaration(client: Client, fleet: Fleet, plate: str) -> None:
    body = declaration(fleet, declarationVehiclePlateNumberHeavy=[fleet.plate, plate])
    r = await refused(client, fleet, "POST", "/declarations", 422, json=body)
    assert error_fields(r) == ["declarationVehiclePlateNumberHeavy[1]"]


async def test_look_alike_of_a_registered_plate_does_not_match_it(client: Client, fleet: Fleet) -> None:
    # "АB1234" with a Cyrillic А must not be mapped onto the registered Latin "AB1234".
    r = await client.post("/plate-numbers", json=vehicle_body("AB1234"), headers=fleet.headers)
    assert r.status_code == 201, r.text
    body = declaration(fleet, declarationVehiclePlateNumberHeavy=["\u0410B1234"])
    r = await refused(client, fleet, "POST", "/declarations", 422, json=body)
    assert error_fields(r) == ["declarationVehiclePlateNumberHeavy[0]"]


# --- names and free text ------------------------------------------------------------------------

INVISIBLE = {"nul": "\u0000", "right-to-left-override": "\u202e", "zero-width-space": "\u200b", "bell": "\u0007"}


@pytest.mark.parametrize("char", INVISIBLE.values(), ids=INVISIBLE.keys())
@pytest.mark.parametrize("field", ["driverLatinFirstName", "driverLatinLastName", "driverAddressStreet"])
async def test_control_and_format_characters_are_refused(client: Client, fleet: Fleet, field: str, char: str) -> None:
    body = driver_body(**{field: f"Zo{char}fia"})
    r = await refused(client, fleet, "POST", "/drivers", 422, json=body)
    assert error_fields(r) == [field]


@pytest.mark.parametrize("char", INVISIBLE.values(), ids=INVISIBLE.keys())
async def test_control_characters_in_a_contact_name_are_refused(client: Client, fleet: Fleet, char: str) -> None:
    body = declaration(
        fleet,
        otherContactAsTransportManager=False,
        otherContactFirstName=f"Jan{char}",
        otherContactLastName="Nowak",
        otherContactEmail="jan@example.com",
    )
    r = await refused(client, fleet, "POST", "/declarations", 422, json=body)
    assert error_fields(r) == ["otherContactFirstName"]


@pytest.mark.parametrize(
    "name", ["Ζωή", "Зофия", "   ", "", "x" * 101], ids=["greek", "cyrillic", "blank", "empty", "101"]
)
async def test_name_outside_the_rules_is_refused(client: Client, fleet: Fleet, name: str) -> None:
    r = await refused(client, fleet, "POST", "/drivers", 422, json=driver_body(driverLatinFirstName=name))
    assert error_fields(r) == ["driverLatinFirstName"]


async def test_decomposed_name_is_stored_nfc(client: Client, fleet: Fleet) -> None:
    r = await client.post("/drivers", json=driver_body(driverLatinFirstName="Zo\u0301fia"), headers=fleet.headers)
    assert r.status_code == 201, r.text
    assert r.json()["driverLatinFirstName"] == "Z\u00f3fia"


# --- countries ----------------------------------------------------------------------------------


async def test_greece_as_el_is_refused_with_a_hint(client: Client, fleet: Fleet) -> None:
    r = await refused(
        client, fleet, "POST", "/declarations", 422, json=declaration(fleet, declarationPostingCountry="EL")
    )
    assert error_fields(r) == ["declarationPostingCountry"]
    assert "GR" in message_of(r, "declarationPostingCountry")


@pytest.mark.parametrize(("code", "hint"), [("EL", "GR"), ("UK", "GB")])
async def test_el_and_uk_are_refused_everywhere_with_a_hint(client: Client, fleet: Fleet, code: str, hint: str) -> None:
    r = await refused(client, fleet, "POST", "/drivers", 422, json=driver_body(driverAddressCountry=code))
    assert error_fields(r) == ["driverAddressCountry"]
    assert hint in message_of(r, "driverAddressCountry")
    r = await refused(client, fleet, "POST", "/plate-numbers", 422, json=vehicle_body(registrationCountry=code))
    assert error_fields(r) == ["registrationCountry"]
    assert hint in message_of(r, "registrationCountry")


@pytest.mark.parametrize("code", ["fr", "XX", "US", "FRA", "F"])
async def test_unknown_or_foreign_host_country_is_refused(client: Client, fleet: Fleet, code: str) -> None:
    body = declaration(fleet, declarationPostingCountry=code)
    r = await refused(client, fleet, "POST", "/declarations", 422, json=body)
    assert error_fields(r) == ["declarationPostingCountry"]


# --- another operator's objects -----------------------------------------------------------------


async def test_declaration_naming_another_operators_driver_and_plates_is_refused(
    client: Client, fleet: Fleet, other_operator: Operator
) -> None:
    theirs = await _fleet(client, other_operator)
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
    theirs = await _fleet(client, other_operator)
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
    return r.json()


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


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"declarationStartDate": "2027-02-30", "declarationEndDate": "2027-03-01"}, ["declarationStartDate"]),
        ({"declarationStartDate": "2027-01-15", "declarationEndDate": "2027-07-15"}, ["declarationEndDate"]),
        ({"declarationStartDate": "2027-01-15"}, ["declarationEndDate"]),
        ({"declarationStartDate": "2027-01-15", "declarationEndDate": "2027-02-01", "driverId": "x"}, ["driverId"]),
    ],
    ids=["bad-date", "too-long", "missing-end", "unknown-field"],
)
async def test_hostile_copy_creates_nothing(
    client: Client, fleet: Fleet, body: dict[str, Any], fields: list[str]
) -> None:
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
        "/drivers?limit=5&dateOfBirth=2026-02-30",
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
