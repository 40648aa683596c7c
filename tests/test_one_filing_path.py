"""One filing path: the same records filed through the single API and through bulk filing are
stored alike, field by field, and refused alike, code by code."""

import json
import uuid
from typing import Any

import asyncpg

from portal.declarations.storage import COLUMNS
from portal.operators.drivers.storage import DRIVER_COLUMNS
from tests.conftest import new_operator
from tests.factories import Operator, days, driver_body
from tests.helpers import Client

# What differs between two filings of the same record: who and when, and the bulk reference.
OWN = {"id", "operator_id", "driver_id", "submitted_at", "updated_at", "client_reference"}

RECORDS: list[dict[str, Any]] = [
    {  # heavy goods, the transport manager as contact, an e-mail for the driver
        "declarationPostingCountry": "FR",
        "declarationStartDate": days(2),
        "declarationEndDate": days(40),
        "declarationOperationType": ["CABOTAGE_OPERATIONS"],
        "declarationTransportType": ["CARRIAGE_OF_GOODS"],
        "declarationVehiclePlateNumberHeavy": ["wx 1001 h", "WX-1002-H"],
        "otherContactAsTransportManager": True,
        "driverEmail": "driver@example.com",
    },
    {  # passengers and light goods, both operation types (in the other order), a contact person
        "declarationPostingCountry": "DE",
        "declarationStartDate": days(3),
        "declarationEndDate": days(90),
        "declarationOperationType": ["INTERNATIONAL_CARRIAGE", "CABOTAGE_OPERATIONS"],
        "declarationTransportType": ["CARRIAGE_OF_PASSENGERS", "CARRIAGE_OF_GOODS"],
        "declarationVehiclePlateNumber": ["BUS 77"],
        "declarationVehiclePlateNumberLight": ["VAN 5"],
        "otherContactAsTransportManager": False,
        "otherContactFirstName": "Łucja",
        "otherContactLastName": "Nowak-Żak",
        "otherContactEmail": "lucja@example.pl",
        "otherContactPhone": "+48 22 123 45 67",
        "otherContactAddressStreet": "ul. Polna 1",
        "otherContactAddressCity": "Łódź",
        "otherContactAddressCountry": "PL",
        "otherContactAddressPostCode": "90-001",
    },
]
KINDS = {
    "declarationVehiclePlateNumber": ("CARRIAGE_OF_PASSENGERS", ""),
    "declarationVehiclePlateNumberLight": ("CARRIAGE_OF_GOODS", "LIGHT"),
    "declarationVehiclePlateNumberHeavy": ("CARRIAGE_OF_GOODS", "HEAVY"),
}


async def _through_the_api(client: Client, operator: Operator, driver: dict[str, Any]) -> list[str]:
    created = await client.post("/drivers", json=driver, headers=operator.headers)
    assert created.status_code == 201, created.text
    ids = []
    for record in RECORDS:
        for field, (transport_type, weight) in KINDS.items():
            for plate in record.get(field, []):
                vehicle = {"plateNumber": plate, "registrationCountry": "PL", "transportType": transport_type}
                response = await client.post(
                    "/plate-numbers", json=vehicle | {"vehicleWeight": weight}, headers=operator.headers
                )
                assert response.status_code == 201, response.text
        body = record | {"driverId": created.json()["driverId"]}
        draft = await client.post("/declarations", json=body, headers=operator.headers)
        assert draft.status_code == 201, draft.text
        submitted = await client.post(f"/declarations/{draft.json()['declarationId']}/submit", headers=operator.headers)
        assert submitted.status_code == 200, submitted.text
        ids.append(submitted.json()["declarationId"])
    return ids


async def _in_bulk(client: Client, operator: Operator, driver: dict[str, Any]) -> list[str]:
    lines = [
        json.dumps(
            {"clientReference": f"ONE-{index}", "submit": True, "vehicleRegistrationCountry": "PL"} | driver | record
        )
        for index, record in enumerate(RECORDS)
    ]
    response = await client.post(
        "/declarations/bulk",
        content="\n".join(lines).encode(),
        headers=operator.headers | {"content-type": "application/x-ndjson"},
    )
    assert response.status_code == 202, response.text
    assert response.json()["accepted"] == len(RECORDS), response.text
    results = await client.get(response.json()["resultsUrl"], headers=operator.headers)
    return [json.loads(line)["declarationId"] for line in results.text.splitlines()]


async def _stored(db: asyncpg.Connection, ids: list[str]) -> list[dict[str, Any]]:
    """Each declaration as stored: its row, its driver's version, its events and plates' register entries."""
    stored = []
    for declaration_id in ids:
        found = await db.fetchrow("SELECT * FROM declarations WHERE id = $1", uuid.UUID(declaration_id))
        assert found is not None
        row = dict(found)
        driver = await db.fetchrow(
            "SELECT * FROM driver_versions WHERE driver_id = $1 AND version = $2",
            row["driver_id"],
            row["driver_version"],
        )
        assert driver is not None
        events = await db.fetch(
            "SELECT version, event_type, superseded FROM declaration_events WHERE declaration_id = $1 ORDER BY version",
            row["id"],
        )
        plates = [*(row["plates_passengers"] or []), *(row["plates_light"] or []), *(row["plates_heavy"] or [])]
        register = await db.fetch(
            "SELECT plate_number, registration_country, transport_type, vehicle_weight FROM vehicles"
            " WHERE operator_id = $1 AND plate_number = ANY($2) ORDER BY plate_number",
            row["operator_id"],
            plates,
        )
        stored.append(
            {
                "declaration": {column: row[column] for column in COLUMNS if column not in OWN},
                "driver": {column: driver[column] for column in DRIVER_COLUMNS},
                "events": [tuple(event) for event in events],
                "register": [tuple(vehicle) for vehicle in register],
            }
        )
    return stored


async def test_the_same_records_are_stored_alike_by_both_paths(client: Client, db: asyncpg.Connection) -> None:
    assert set(COLUMNS) - OWN, "every column but who and when is compared"
    driver = driver_body(driverLatinLastName="Wiśniewska-Kowalczyk")
    single, bulk = await new_operator(db), await new_operator(db)
    through_api = await _stored(db, await _through_the_api(client, single, driver))
    in_bulk = await _stored(db, await _in_bulk(client, bulk, driver))
    # The single API files a draft and submits it, a version more than a record filed submitted.
    for api, filed in zip(through_api, in_bulk, strict=True):
        assert api["declaration"].pop("version") == filed["declaration"].pop("version") + 1
        assert [event[1:] for event in api.pop("events")] == [event[1:] for event in filed.pop("events")]
    assert through_api == in_bulk
    # And what is compared is what was declared, normalised once.
    first = through_api[0]["declaration"]
    assert first["plates_heavy"] == ["WX1001H", "WX1002H"]
    assert first["plates_light"] is None
    assert through_api[1]["declaration"]["contact_city"] == "Łódź"


async def test_the_same_broken_record_is_refused_alike_by_both_paths(client: Client, db: asyncpg.Connection) -> None:
    single, bulk = await new_operator(db), await new_operator(db)
    broken = RECORDS[0] | {
        "declarationEndDate": days(400),
        "declarationOperationType": ["CABOTAGE_OPERATIONS", "CABOTAGE_OPERATIONS"],
        "declarationVehiclePlateNumberHeavy": ["\u0410B1234"],
        "declarationPostingCountry": "PL",
    }
    driver = driver_body()
    created = await client.post("/drivers", json=driver, headers=single.headers)
    response = await client.post(
        "/declarations", json=broken | {"driverId": created.json()["driverId"]}, headers=single.headers
    )
    assert response.status_code == 422
    line = json.dumps({"clientReference": "BROKEN", "submit": False} | driver | broken)
    upload = await client.post(
        "/declarations/bulk", content=line.encode(), headers=bulk.headers | {"content-type": "application/x-ndjson"}
    )
    results = await client.get(upload.json()["resultsUrl"], headers=bulk.headers)
    [outcome] = [json.loads(text) for text in results.text.splitlines()]
    assert outcome["errors"] == response.json()["errors"]
