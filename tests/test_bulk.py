"""Bulk filing over HTTP: every record's outcome, nothing twice, the good kept when others fail."""

import json
import uuid
from typing import Any

import asyncpg
import pytest

from tests.factories import Operator, days, declaration_body, driver_body
from tests.helpers import Client

NDJSON = {"content-type": "application/x-ndjson"}


def record(reference: str, driver: dict[str, Any] | None = None, **overrides: Any) -> dict[str, Any]:
    declaration = declaration_body("unused", [f"BK{abs(hash(reference)) % 10**6:06d}"])
    del declaration["driverId"]
    return {"clientReference": reference, "submit": True} | (driver or driver_body()) | declaration | overrides


def ndjson(records: list[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps(r).encode() + b"\n" for r in records)


async def upload(client: Client, operator: Operator, body: bytes, headers: dict[str, str] | None = None) -> Any:
    response = await client.post("/declarations/bulk", content=body, headers=operator.headers | (headers or NDJSON))
    assert response.status_code == 202, response.text
    return response.json()


async def outcomes(client: Client, operator: Operator, upload_id: str) -> list[dict[str, Any]]:
    response = await client.get(f"/bulk-uploads/{upload_id}/results", headers=operator.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/x-ndjson")
    return [json.loads(line) for line in response.text.splitlines()]


async def listed(client: Client, operator: Operator) -> dict[str, str]:
    response = await client.get("/declarations?limit=250", headers=operator.headers)
    return {item["declarationId"]: item["declarationStatus"] for item in response.json()["items"]}


async def test_good_records_are_filed_and_bad_ones_reported(client: Client, operator: Operator) -> None:
    records = [record(f"R{i}") for i in range(6)]
    records[2]["declarationEndDate"] = "2099-01-01"  # longer than six months
    records[4]["declarationVehiclePlateNumberHeavy"] = ["\u0410B1234"]  # Cyrillic look-alike
    summary = await upload(client, operator, ndjson(records))
    assert (summary["state"], summary["received"], summary["accepted"], summary["rejected"]) == ("DONE", 6, 4, 2)
    assert summary["submitted"] == 4
    results = await outcomes(client, operator, summary["bulkUploadId"])
    assert [r["position"] for r in results] == list(range(6))
    assert [r["clientReference"] for r in results] == [f"R{i}" for i in range(6)]
    assert results[2]["declarationId"] is None
    assert [e["field"] for e in results[2]["errors"]] == ["declarationEndDate"]
    assert [e["field"] for e in results[4]["errors"]] == ["declarationVehiclePlateNumberHeavy[0]"]
    filed = await listed(client, operator)
    assert set(filed) == {r["declarationId"] for r in results if r["declarationId"]}
    assert set(filed.values()) == {"SUBMITTED"}


async def test_a_json_array_is_read_as_well(client: Client, operator: Operator) -> None:
    records = [record(f"A{i}", declarationPostingCountry=c) for i, c in enumerate(["FR", "DE"])]
    records[1]["driverLatinLastName"] = "Brace } in a {name"
    body = json.dumps(records, indent=2).encode()
    summary = await upload(client, operator, body, {"content-type": "application/json"})
    results = await outcomes(client, operator, summary["bulkUploadId"])
    assert summary["accepted"] == 1, results
    assert results[1]["errors"][0]["field"] == "driverLatinLastName"


async def test_sending_the_same_upload_again_files_nothing_twice(client: Client, operator: Operator) -> None:
    body = ndjson([record(f"S{i}") for i in range(5)])
    first = await upload(client, operator, body)
    again = await upload(client, operator, body)
    assert (again["accepted"], again["rejected"]) == (5, 0)
    ids_first = [r["declarationId"] for r in await outcomes(client, operator, first["bulkUploadId"])]
    ids_again = [r["declarationId"] for r in await outcomes(client, operator, again["bulkUploadId"])]
    assert ids_first == ids_again
    assert len(await listed(client, operator)) == 5


async def test_overlaps_inside_the_upload_and_with_what_is_filed(client: Client, operator: Operator) -> None:
    driver = driver_body()
    same = {"declarationStartDate": days(5), "declarationEndDate": days(20)}
    await upload(client, operator, ndjson([record("O1", driver, **same)]))
    later = {"declarationStartDate": days(30), "declarationEndDate": days(40)}
    summary = await upload(
        client,
        operator,
        ndjson([record("O2", driver, **same), record("O3", driver, **later), record("O4", driver, **later)]),
    )
    results = await outcomes(client, operator, summary["bulkUploadId"])
    assert [bool(r["declarationId"]) for r in results] == [False, True, False]
    assert "overlaps" in results[0]["errors"][0]["message"]
    assert "record 1 of this upload" in results[2]["errors"][0]["message"]


async def test_drivers_are_matched_and_plates_registered(
    client: Client, operator: Operator, db: asyncpg.Connection
) -> None:
    driver = driver_body()
    heavy = {"declarationVehiclePlateNumberHeavy": ["wx 777 bk"]}
    await upload(client, operator, ndjson([record("D1", driver, **heavy, declarationPostingCountry="FR")]))
    moved = driver | {"driverAddressCity": "Kraków"}
    summary = await upload(client, operator, ndjson([record("D2", moved, **heavy, declarationPostingCountry="DE")]))
    assert summary["accepted"] == 1
    drivers = (await client.get("/drivers?limit=250", headers=operator.headers)).json()["items"]
    assert [(d["driverAddressCity"], d["driverCountActiveDeclarations"]) for d in drivers] == [("Kraków", 2)]
    plates = (await client.get("/plate-numbers?limit=250", headers=operator.headers)).json()["items"]
    assert [(p["plateNumber"], p["vehicleWeight"]) for p in plates] == [("WX777BK", "HEAVY")]
    # The first declaration follows the driver's move, as a new version.
    first = (await client.get("/declarations?limit=1", headers=operator.headers)).json()["items"][0]
    read = (await client.get(f"/declarations/{first['declarationId']}", headers=operator.headers)).json()
    assert (read["driverAddressCity"], read["declarationVersion"]) == ("Kraków", 2)
    events = await db.fetch(
        "SELECT version, event_type FROM declaration_events WHERE declaration_id = $1 ORDER BY id",
        uuid.UUID(first["declarationId"]),
    )
    assert [(e["version"], e["event_type"]) for e in events] == [(1, "SUBMITTED"), (2, "UPDATED")]
    # The plate is heavy now: naming it as a light one is refused.
    light = await upload(
        client,
        operator,
        ndjson(
            [
                record(
                    "D3",
                    driver,
                    declarationVehiclePlateNumberHeavy=[],
                    declarationVehiclePlateNumberLight=["WX777BK"],
                    declarationPostingCountry="AT",
                )
            ]
        ),
    )
    assert light["rejected"] == 1


async def test_drafts_when_not_submitted(client: Client, operator: Operator) -> None:
    summary = await upload(client, operator, ndjson([record("F1", submit=False), {**record("F2"), "submit": None}]))
    assert (summary["accepted"], summary["submitted"]) == (2, 0)
    assert set((await listed(client, operator)).values()) == {"DRAFT"}


async def test_a_broken_array_keeps_what_came_before(client: Client, operator: Operator) -> None:
    body = json.dumps([record("B1"), record("B2")]).encode()[:-1] + b", {nonsense"
    summary = await upload(client, operator, body, {"content-type": "application/json"})
    assert summary["state"] == "FAILED"
    assert summary["accepted"] == 2
    assert "kept" in summary["message"]


async def test_progress_is_the_operators_own(client: Client, operator: Operator, other_operator: Operator) -> None:
    upload_id = str(uuid.uuid4())
    response = await client.post(
        f"/declarations/bulk?uploadId={upload_id}", content=ndjson([record("P1")]), headers=operator.headers | NDJSON
    )
    assert response.json()["bulkUploadId"] == upload_id
    mine = await client.get(f"/bulk-uploads/{upload_id}", headers=operator.headers)
    assert mine.json()["received"] == 1
    assert (await client.get(f"/bulk-uploads/{upload_id}", headers=other_operator.headers)).status_code == 404
    results = await client.get(f"/bulk-uploads/{upload_id}/results", headers=other_operator.headers)
    assert results.status_code == 404
    again = await client.post(
        f"/declarations/bulk?uploadId={upload_id}", content=ndjson([record("P1")]), headers=operator.headers | NDJSON
    )
    assert again.status_code == 409


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml"])
async def test_other_content_types_are_refused(client: Client, operator: Operator, content_type: str) -> None:
    response = await client.post(
        "/declarations/bulk", content=b"[]", headers=operator.headers | {"content-type": content_type}
    )
    assert response.status_code == 415
