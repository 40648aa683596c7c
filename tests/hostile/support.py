"""What the hostile-input tests share: an operator with a fleet, and a check that a refused
request named its fields and stored nothing."""

from typing import Any

import msgspec
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


async def new_fleet(client: Client, operator: Operator) -> Fleet:
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
