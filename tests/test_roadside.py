"""Roadside checks as an inspector makes them: messy keys, verdicts by day, country scope, audit."""

import asyncio
import datetime
import json
import uuid
from typing import Any

import asyncpg
import pytest
from click.testing import CliRunner

from portal import cli, commands
from tests.conftest import new_authority, new_operator
from tests.factories import Authority, Operator, days, declaration_body, driver_body, today, vehicle_body
from tests.helpers import Client, created


def unique_plate() -> str:
    return "RS" + uuid.uuid4().hex[:8].upper()


async def filed(
    client: Client, operator: Operator, plate: str, driver: dict[str, Any] | None = None, **overrides: Any
) -> dict[str, Any]:
    """A submitted declaration naming ``plate`` (added to the register), for a new driver unless given."""
    driver = driver or await created(client, operator, "/drivers", driver_body())
    listed = await client.get("/plate-numbers?limit=250", headers=operator.headers)
    if plate not in {item["plateNumber"] for item in listed.json()["items"]}:
        await created(client, operator, "/plate-numbers", vehicle_body(plate))
    draft = await created(client, operator, "/declarations", declaration_body(driver["driverId"], [plate], **overrides))
    response = await client.post(f"/declarations/{draft['declarationId']}/submit", headers=operator.headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def search(client: Client, authority: Authority, query: str, purpose: str = "roadside check A4") -> Any:
    response = await client.get(
        "/authority/declarations", params=f"{query}&purpose={purpose}", headers=authority.headers
    )
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
async def inspector(db: asyncpg.Connection) -> Authority:
    return await new_authority(db, "FR")


async def test_a_plate_typed_anyhow_finds_the_declaration_with_its_verdict(
    client: Client, operator: Operator, inspector: Authority
) -> None:
    plate = unique_plate()
    declaration = await filed(client, operator, plate)
    messy = f"{plate[:2].lower()} {plate[2:5]}-{plate[5:].lower()}"
    found = await search(client, inspector, f"plate={messy}&validOn={days(10)}")
    assert found["count"] == 1
    item = found["items"][0]
    assert item["declarationId"] == declaration["declarationId"]
    assert item["verdict"] == "VALID"
    assert item["operatorName"].startswith("Operator ")
    assert item["driverLatinLastName"] == declaration["driverLatinLastName"]


@pytest.mark.parametrize(("valid_on", "verdict"), [(0, "NOT_YET_VALID"), (1, "VALID"), (60, "VALID"), (61, "EXPIRED")])
async def test_verdict_on_a_day_before_inside_and_after_the_period(
    client: Client, operator: Operator, inspector: Authority, valid_on: int, verdict: str
) -> None:
    plate = unique_plate()
    await filed(client, operator, plate)  # from days(1) to days(60)
    found = await search(client, inspector, f"plate={plate}&validOn={days(valid_on)}")
    assert [item["verdict"] for item in found["items"]] == [verdict]


async def test_withdrawn_is_withdrawn_on_any_day(client: Client, operator: Operator, inspector: Authority) -> None:
    plate = unique_plate()
    declaration = await filed(client, operator, plate)
    url = f"/declarations/{declaration['declarationId']}/withdraw"
    assert (await client.post(url, headers=operator.headers)).status_code == 200
    for day in (0, 5, 90):
        found = await search(client, inspector, f"plate={plate}&validOn={days(day)}")
        assert [item["verdict"] for item in found["items"]] == ["WITHDRAWN"]


async def test_other_countries_records_are_invisible(
    client: Client, db: asyncpg.Connection, operator: Operator, inspector: Authority
) -> None:
    plate = unique_plate()
    in_france = await filed(client, operator, plate)
    in_austria = await filed(client, operator, plate, declarationPostingCountry="AT")
    austrian = await new_authority(db, "AT")
    french_view = await search(client, inspector, f"plate={plate}")
    austrian_view = await search(client, austrian, f"plate={plate}")
    assert [item["declarationId"] for item in french_view["items"]] == [in_france["declarationId"]]
    assert [item["declarationId"] for item in austrian_view["items"]] == [in_austria["declarationId"]]
    # By id, the other country's record is not found, whether searched or read.
    by_id = await search(client, inspector, f"declarationId={in_austria['declarationId']}")
    assert by_id["count"] == 0
    response = await client.get(
        f"/authority/declarations/{in_austria['declarationId']}?purpose=probe", headers=inspector.headers
    )
    assert response.status_code == 404


async def test_drafts_are_never_shown(client: Client, operator: Operator, inspector: Authority) -> None:
    plate = unique_plate()
    driver = await created(client, operator, "/drivers", driver_body())
    await created(client, operator, "/plate-numbers", vehicle_body(plate))
    await created(client, operator, "/declarations", declaration_body(driver["driverId"], [plate]))
    assert (await search(client, inspector, f"plate={plate}"))["count"] == 0


async def test_search_by_licence_document_and_name(client: Client, operator: Operator, inspector: Authority) -> None:
    suffix = uuid.uuid4().hex[:6].upper()
    driver = await created(
        client,
        operator,
        "/drivers",
        driver_body(
            driverLicenseNumber=f"DL-{suffix} 77",
            driverDocumentNumber=f"ID{suffix}",
            driverLatinLastName="Kowalczyk-Ñuñez",
            driverDateOfBirth="1979-02-03",
        ),
    )
    declaration = await filed(client, operator, unique_plate(), driver)
    wanted = [declaration["declarationId"]]
    for query in (
        f"licenceNumber=dl{suffix.lower()}77",
        f"documentNumber=id-{suffix.lower()}",
        "lastName=kowalczyk-ñuñez&dateOfBirth=1979-02-03",
    ):
        found = await search(client, inspector, query)
        assert wanted == [item["declarationId"] for item in found["items"] if item["declarationId"] in wanted], query


@pytest.mark.parametrize(
    "query",
    [
        "",  # no key
        "plate=AB123&licenceNumber=X1234",  # two keys
        "lastName=Kowalski",  # a name alone
        "dateOfBirth=1980-01-01",
        "lastName=K&dateOfBirth=1980-01-01",  # one letter
        "lastName=Kow*&dateOfBirth=1980-01-01",  # wildcard
        "licenceNumber=PL%25",  # a SQL wildcard
        "plate=W%D0%901",  # a Cyrillic look-alike in a plate
    ],
)
async def test_refused_searches_say_why(client: Client, inspector: Authority, query: str) -> None:
    response = await client.get(f"/authority/declarations?{query}&purpose=check", headers=inspector.headers)
    assert response.status_code == 400, response.text
    assert response.json()["message"]


async def test_a_purpose_is_required(client: Client, inspector: Authority) -> None:
    response = await client.get("/authority/declarations?plate=AB123", headers=inspector.headers)
    assert response.status_code == 400
    assert "purpose" in response.json()["message"]


async def test_credentials(client: Client, db: asyncpg.Connection, operator: Operator, inspector: Authority) -> None:
    url = "/authority/declarations?plate=AB123&purpose=check"
    assert (await client.get(url)).status_code == 401
    assert (await client.get(url, headers=operator.headers)).status_code == 401  # an operator's key
    other = await new_authority(db, "FR")
    mixed = {"x-api-key": inspector.api_key, "x-authority-id": str(other.authority_id)}
    assert (await client.get(url, headers=mixed)).status_code == 403
    # An authority's key does not open the operator API either.
    assert (await client.get("/drivers?limit=1", headers=inspector.headers)).status_code == 401


async def test_the_record_with_its_history(client: Client, operator: Operator, inspector: Authority) -> None:
    plate = unique_plate()
    declaration = await filed(client, operator, plate)
    url = f"/declarations/{declaration['declarationId']}/submit"
    update = {"declarationEndDate": days(50), "declarationVehiclePlateNumberHeavy": [plate]}
    response = await client.put(url, json=update, headers=operator.headers)
    assert response.status_code == 200, response.text
    read = await client.get(
        f"/authority/declarations/{declaration['declarationId']}?purpose=case 2026/114", headers=inspector.headers
    )
    assert read.status_code == 200, read.text
    record = read.json()
    assert record["declaration"]["declarationEndDate"] == days(50)
    assert record["declaration"]["verdict"] == "NOT_YET_VALID"
    assert [(v["version"], v["eventType"]) for v in record["versions"]] == [(2, "SUBMITTED"), (3, "UPDATED")]
    assert record["versions"][0]["declaration"]["declarationEndDate"] == days(60)


async def test_every_look_up_is_audited_and_operators_see_who_looked(
    client: Client, db: asyncpg.Connection, operator: Operator, inspector: Authority
) -> None:
    plate = unique_plate()
    declaration = await filed(client, operator, plate)
    declaration_id = declaration["declarationId"]
    await search(client, inspector, f"plate={plate}", purpose="roadside A7 km 12")
    await search(client, inspector, f"plate=ZZ{plate}", purpose="nothing found is audited too")
    await client.get(f"/authority/declarations/{declaration_id}?purpose=case 99", headers=inspector.headers)
    rows = await db.fetch(
        "SELECT action, query, purpose, declaration_ids, api_key_id FROM authority_audit"
        " WHERE authority_id = $1 ORDER BY id",
        inspector.authority_id,
    )
    assert [(r["action"], r["purpose"]) for r in rows] == [
        ("SEARCH", "roadside A7 km 12"),
        ("SEARCH", "nothing found is audited too"),
        ("VIEW", "case 99"),
    ]
    assert json.loads(rows[0]["query"]) == {"plate": plate, "validOn": today().isoformat()}
    assert [str(i) for i in rows[0]["declaration_ids"]] == [declaration_id]
    assert rows[1]["declaration_ids"] == []
    assert all(r["api_key_id"] is not None for r in rows)

    log = await client.get(f"/declarations/{declaration_id}/access-log", headers=operator.headers)
    assert log.status_code == 200, log.text
    entries = log.json()["items"]
    assert [(e["action"], e["authorityCountry"]) for e in entries] == [("VIEW", "FR"), ("SEARCH", "FR")]
    assert all(set(e) == {"accessedAt", "authorityId", "authorityName", "authorityCountry", "action"} for e in entries)
    other = await new_operator(db)
    assert (await client.get(f"/declarations/{declaration_id}/access-log", headers=other.headers)).status_code == 404


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE authority_audit SET purpose = 'changed'",
        "DELETE FROM authority_audit",
        "TRUNCATE authority_audit",
        "UPDATE authority_audit_hits SET declaration_id = gen_random_uuid()",
        "DELETE FROM authority_audit_hits",
    ],
)
async def test_the_audit_log_cannot_be_altered_by_the_portals_role(
    client: Client, db: asyncpg.Connection, operator: Operator, inspector: Authority, statement: str
) -> None:
    plate = unique_plate()
    await filed(client, operator, plate)
    await search(client, inspector, f"plate={plate}")
    before = await db.fetchval("SELECT count(*) FROM authority_audit_hits")
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
        await db.execute(statement)
    assert await db.fetchval("SELECT count(*) FROM authority_audit_hits") == before
    assert await db.fetchval("SELECT count(*) FROM authority_audit WHERE purpose = 'changed'") == 0


async def test_verdict_defaults_to_today(client: Client, operator: Operator, inspector: Authority) -> None:
    plate = unique_plate()
    await filed(client, operator, plate, declarationStartDate=days(0))
    found = await search(client, inspector, f"plate={plate}")
    assert found["validOn"] == today().isoformat()
    assert [item["verdict"] for item in found["items"]] == ["VALID"]
    assert datetime.date.fromisoformat(found["validOn"]) == today()


async def test_an_authority_reads_its_own_audit_log(
    client: Client, db: asyncpg.Connection, operator: Operator, inspector: Authority
) -> None:
    plate = unique_plate()
    declaration = await filed(client, operator, plate)
    await search(client, inspector, f"plate={plate.lower()}&validOn={days(5)}", purpose="roadside A1 km 40")
    other = await new_authority(db, "FR")
    await search(client, other, f"plate={plate}", purpose="not in the first authority's log")
    response = await client.get("/authority/audit-log?limit=10", headers=inspector.headers)
    assert response.status_code == 200, response.text
    entries = response.json()["items"]
    assert len(entries) == 1
    entry = entries[0]
    assert entry["action"] == "SEARCH"
    assert entry["purpose"] == "roadside A1 km 40"
    assert entry["asked"] == {"plate": plate, "validOn": days(5)}
    assert entry["declarationIds"] == [declaration["declarationId"]]
    assert entry["apiKeyLabel"] == "initial"


async def test_authority_keys_are_issued_and_revoked_from_the_command_line(
    client: Client, database_url: str, inspector: Authority, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    commands.settings.cache_clear()
    try:
        # In a thread: the command runs its own event loop.
        runner = CliRunner()
        issued = await asyncio.to_thread(
            runner.invoke,
            cli.main,
            ["admin", "issue-key", "--holder", str(inspector.authority_id), "--label", "tablets", "--json"],
        )
        assert issued.exit_code == 0, issued.output
        tablet = {"x-api-key": json.loads(issued.output)["apiKey"], "x-authority-id": str(inspector.authority_id)}
        url = "/authority/declarations?plate=AB123&purpose=check"
        assert (await client.get(url, headers=tablet)).status_code == 200
        revoked = await asyncio.to_thread(
            runner.invoke,
            cli.main,
            ["admin", "revoke-key", "--holder", str(inspector.authority_id), "--label", "tablets"],
        )
        assert revoked.exit_code == 0, revoked.output
        assert "revoked 1 key" in revoked.output
        assert (await client.get(url, headers=tablet)).status_code == 401
        # The first key, of another label, still works.
        assert (await client.get(url, headers=inspector.headers)).status_code == 200
        again = await asyncio.to_thread(
            runner.invoke,
            cli.main,
            ["admin", "revoke-key", "--holder", str(inspector.authority_id), "--label", "tablets"],
        )
        assert again.exit_code != 0
        assert "no live key" in again.output
    finally:
        commands.settings.cache_clear()
