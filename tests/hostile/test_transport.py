"""Bodies that are not what was asked for: deep, huge, malformed, empty, not JSON, not an object."""

import json
from typing import Any

import pytest

from tests.factories import driver_body, vehicle_body
from tests.hostile.support import (
    JSON,
    Client,
    Fleet,
    declaration,
    error_fields,
    refused,
    stored,
)

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
    assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [("", "body_empty")]


async def test_no_body_and_no_content_type_is_400(client: Client, fleet: Fleet) -> None:
    r = await refused(client, fleet, "POST", "/drivers", 400)
    assert "empty" in r.json()["message"]
    assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [("", "body_empty")]


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
