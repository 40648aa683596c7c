"""Stored history stays readable: superseded versions are documents read leniently, and the
migration to narrow storage carries the wide rows of before over whole."""

import datetime
import json
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from portal.app import create_app
from portal.db import migrate
from portal.declarations import storage
from tests.conftest import _with_database, new_authority, settings_for
from tests.factories import Authority, Operator, days, driver_body, today
from tests.helpers import Client, submitted


@pytest.fixture
async def inspector(db: asyncpg.Connection) -> Authority:
    return await new_authority(db, "FR")


async def test_a_version_kept_with_a_field_the_schema_lacks_is_read(
    client: Client, operator: Operator, inspector: Authority, db: asyncpg.Connection
) -> None:
    declaration = await submitted(client, operator)
    declaration_id = declaration["declarationId"]
    response = await client.put(
        f"/declarations/{declaration_id}/submit", json={"declarationEndDate": days(61)}, headers=operator.headers
    )
    assert response.status_code == 200, response.text
    # The version it replaced as it may have been kept: with fields this portal does not know
    # (a later one kept them, or an earlier one that had them), and without the last column (it
    # takes its default, as a column added after the version was kept would).
    await db.execute(
        """
        UPDATE declaration_events SET superseded = superseded - 'client_reference'
            || '{"declaration_colour": "red", "removed_in_a_later_api": {"nested": [1, 2]}}'
        WHERE declaration_id = $1 AND superseded IS NOT NULL
        """,
        uuid.UUID(declaration_id),
    )
    record = await client.get(
        f"/authority/declarations/{declaration_id}", params={"purpose": "history check"}, headers=inspector.headers
    )
    assert record.status_code == 200, record.text
    versions = record.json()["versions"]
    assert [(v["version"], v["eventType"]) for v in versions] == [(2, "SUBMITTED"), (3, "UPDATED")]
    assert versions[0]["declaration"]["declarationEndDate"] == declaration["declarationEndDate"]
    assert (
        versions[0]["declaration"]["declarationEmailStatus"] == "QUEUED"
    )  # submitted with a driverEmail: the worker e-mails it
    assert versions[1]["declaration"]["declarationEndDate"] == days(61)


def test_a_document_is_read_whatever_it_holds_beyond_the_row() -> None:
    row = storage.from_document(
        {
            "id": str(uuid.UUID(int=5)),
            "operator_id": str(uuid.UUID(int=6)),
            "driver_id": str(uuid.UUID(int=7)),
            "driver_version": 3,
            "version": 4,
            "status": "SUBMITTED",
            "posting_country": "FR",
            "start_date": "2026-01-15",
            "end_date": "2026-07-14",
            "operation_types": 3,
            "transport_types": 1,
            "plates_passengers": None,
            "plates_light": None,
            "plates_heavy": ["WX1234A"],
            "contact_as_transport_manager": True,
            "contact_first_name": None,
            "contact_last_name": None,
            "contact_email": None,
            "contact_phone": None,
            "contact_street": None,
            "contact_city": None,
            "contact_country": None,
            "contact_post_code": None,
            "driver_email": None,
            "email_status": "SENT",
            "submitted_at": "2025-12-01T10:00:00+00:00",
            "updated_at": "2025-12-02T10:00:00+00:00",
            "a_field_of_the_future": {"anything": True},
        }
    )
    assert row.end_date == datetime.date(2026, 7, 14)
    assert row.client_reference is None
    fields = storage.fields_of(row)
    assert fields.declaration_operation_type == ["CABOTAGE_OPERATIONS", "INTERNATIONAL_CARRIAGE"]


@pytest.fixture
async def old_database(servers: tuple[str, str]) -> AsyncIterator[str]:
    """A database as the portal left it before narrow storage (migrations 0001 to 0005)."""
    name = f"portal_migration_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(servers[0])
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = _with_database(servers[0], name)
    await migrate(url, until="0005_client_references")
    yield url
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()


def _wire_driver(licence: str, city: str) -> dict[str, str]:
    fields = driver_body(driverLicenseNumber=licence, driverAddressCity=city, driverLatinLastName="Kowalska")
    return dict(fields)


async def test_the_migration_carries_wide_rows_and_their_history_over(
    old_database: str, servers: tuple[str, str]
) -> None:
    db = await asyncpg.connect(old_database)
    operator_id, driver_id, declaration_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    start, end, later_end = (
        today() + datetime.timedelta(days=2),
        today() + datetime.timedelta(days=30),
        today() + datetime.timedelta(days=40),
    )
    before, now = _wire_driver("PL-77", "Warszawa"), _wire_driver("PL-77", "Gdańsk")
    await db.execute(
        "INSERT INTO operators (id, name, establishment_country) VALUES ($1, 'Old Transport', 'PL')", operator_id
    )
    await db.execute(
        """
        INSERT INTO drivers (id, operator_id, latin_first_name, latin_last_name, date_of_birth, license_number,
            document_type, document_number, document_issuing_country, address_street, address_post_code,
            address_city, address_country, contract_start_date, applicable_law, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, now())
        """,
        driver_id,
        operator_id,
        *[
            datetime.date.fromisoformat(now[key]) if key in ("driverDateOfBirth", "driverContractStartDate")
            else now[key]
            for key in (
                "driverLatinFirstName", "driverLatinLastName", "driverDateOfBirth", "driverLicenseNumber",
                "driverDocumentType", "driverDocumentNumber", "driverDocumentIssuingCountry", "driverAddressStreet",
                "driverAddressPostCode", "driverAddressCity", "driverAddressCountry", "driverContractStartDate",
                "driverApplicableLaw",
            )
        ],
    )  # fmt: skip
    details = {
        "declarationOperationType": ["INTERNATIONAL_CARRIAGE"],
        "declarationTransportType": ["CARRIAGE_OF_GOODS"],
        "otherContactAsTransportManager": True,
        "driverEmail": "driver@example.com",
    }
    await db.execute(
        """
        INSERT INTO declarations (id, operator_id, driver_id, status, version, posting_country, start_date, end_date,
            plates_passengers, plates_light, plates_heavy, details, driver, email_status, submitted_at, updated_at,
            client_reference)
        VALUES ($1, $2, $3, 'SUBMITTED', 3, 'FR', $4, $5, '{}', '{}', '{WX1234A}', $6::jsonb, $7::jsonb, 'NOT_SENT',
            now(), now(), 'OLD-1')
        """,
        declaration_id,
        operator_id,
        driver_id,
        start,
        later_end,
        json.dumps(details),
        json.dumps(now),
    )
    await db.execute(
        "INSERT INTO declaration_references (operator_id, client_reference, declaration_id, end_date)"
        " VALUES ($1, 'OLD-1', $2, $3)",
        operator_id,
        declaration_id,
        later_end,
    )

    def payload(version: int, event_end: datetime.date, driver: dict[str, str]) -> str:
        return json.dumps(
            details
            | driver
            | {
                "declarationId": str(declaration_id),
                "operatorId": str(operator_id),
                "driverId": str(driver_id),
                "declarationStatus": "SUBMITTED",
                "declarationVersion": version,
                "declarationPostingCountry": "FR",
                "declarationStartDate": start.isoformat(),
                "declarationEndDate": event_end.isoformat(),
                "declarationVehiclePlateNumber": [],
                "declarationVehiclePlateNumberLight": [],
                "declarationVehiclePlateNumberHeavy": ["WX1234A"],
                "declarationEmailStatus": "NOT_SENT",
                "declarationSubmissionDate": "2026-01-01T10:00:00Z",
                "declarationLastUpdate": "2026-01-01T10:00:00Z",
                "driverLatinFullName": f"{driver['driverLatinFirstName']} {driver['driverLatinLastName']}",
            }
        )

    for version, event_type, event_end, driver in ((2, "SUBMITTED", end, before), (3, "UPDATED", later_end, now)):
        await db.execute(
            "INSERT INTO declaration_events (declaration_id, version, event_type, posting_country, end_date, payload)"
            " VALUES ($1, $2, $3, 'FR', $4, $5::jsonb)",
            declaration_id,
            version,
            event_type,
            event_end,
            payload(version, event_end, driver),
        )
    authority_id = uuid.uuid4()
    await db.execute("INSERT INTO authorities (id, name, country) VALUES ($1, 'Old DREAL', 'FR')", authority_id)
    await db.close()

    assert await migrate(old_database) == [
        "0006_narrow_storage",
        "0007_bulk_batches",
        "0008_deliveries",
        "0009_signing_keys",
        "0010_weekly_digest",
        "0011_pdf_archives",
        "0012_leases_and_digests",
        "0013_forwarding",
        "0014_people",
    ]

    db = await asyncpg.connect(old_database)
    from portal.db import transaction
    from portal.identity.service import issue_authority_key

    async with transaction(db) as tx:
        key = await issue_authority_key(tx, authority_id, "test")
    versions = await db.fetch(
        "SELECT version, address_city FROM driver_versions WHERE driver_id = $1 ORDER BY version", driver_id
    )
    assert [tuple(row) for row in versions] == [(1, "Warszawa"), (2, "Gdańsk")]
    assert await db.fetchval("SELECT client_reference FROM declarations WHERE id = $1", declaration_id) == "OLD-1"
    await db.close()
    async with AsyncTestClient(create_app(settings_for(old_database, servers[1]))) as client:
        record = await client.get(
            f"/authority/declarations/{declaration_id}",
            params={"purpose": "after the migration"},
            headers={"x-api-key": key, "x-authority-id": str(authority_id)},
        )
    assert record.status_code == 200, record.text
    body = record.json()
    assert body["declaration"]["driverAddressCity"] == "Gdańsk"
    assert body["declaration"]["declarationOperationType"] == ["INTERNATIONAL_CARRIAGE"]
    assert [(v["version"], v["declaration"]["driverAddressCity"]) for v in body["versions"]] == [
        (2, "Warszawa"),
        (3, "Gdańsk"),
    ]
    assert body["versions"][0]["declaration"]["declarationEndDate"] == end.isoformat()
