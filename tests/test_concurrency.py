"""Races a busy fleet client causes: the database keeps the rules, and nothing deadlocks."""

import asyncio
import threading
import uuid

import asyncpg

from tests.factories import Operator, declaration_body, driver_body
from tests.helpers import Client, created, fleet


async def test_concurrent_submits_of_overlapping_declarations_let_one_through(
    client: Client, operator: Operator
) -> None:
    driver_id, plates = await fleet(client, operator)
    drafts = [await created(client, operator, "/declarations", declaration_body(driver_id, plates)) for _ in range(6)]
    answers = await asyncio.gather(
        *(client.post(f"/declarations/{d['declarationId']}/submit", headers=operator.headers) for d in drafts)
    )
    assert sorted(answer.status_code for answer in answers) == [200] + [409] * 5


async def test_a_driver_change_racing_submits_neither_deadlocks_nor_loses_a_version(
    client: Client, operator: Operator
) -> None:
    driver_id, plates = await fleet(client, operator)
    driver = (await client.get(f"/drivers/{driver_id}", headers=operator.headers)).json()
    countries = ["FR", "DE", "AT", "BE", "NL", "IT"]
    drafts = [
        await created(
            client, operator, "/declarations", declaration_body(driver_id, plates, declarationPostingCountry=c)
        )
        for c in countries
    ]
    renamed = driver_body(
        driverLatinLastName="Renamed",
        driverLicenseNumber=driver["driverLicenseNumber"],
        driverDateOfBirth=driver["driverDateOfBirth"],
    )
    answers = await asyncio.wait_for(
        asyncio.gather(
            *(client.post(f"/declarations/{d['declarationId']}/submit", headers=operator.headers) for d in drafts),
            client.put(f"/drivers/{driver_id}", json=renamed, headers=operator.headers),
        ),
        timeout=30,
    )
    assert {answer.status_code for answer in answers} == {200}
    for draft in drafts:
        read = (await client.get(f"/declarations/{draft['declarationId']}", headers=operator.headers)).json()
        assert read["declarationStatus"] == "SUBMITTED"
        assert read["driverLatinLastName"] == "Renamed"


_COPIED_FOR_ANOTHER_DRIVER = """
    INSERT INTO declarations
    SELECT gen_random_uuid(), operator_id, $2, 1, version, status, posting_country, start_date, end_date,
           operation_types, transport_types, plates_passengers, plates_light, plates_heavy,
           contact_as_transport_manager, contact_first_name, contact_last_name, contact_email, contact_phone,
           contact_street, contact_city, contact_country, contact_post_code, driver_email, email_status,
           submitted_at, updated_at, NULL
    FROM declarations WHERE id = $1
"""


def _filing_holding(database_url: str, source: uuid.UUID, driver_id: uuid.UUID, go: threading.Event) -> None:
    """What a filing does, in a thread of its own: the driver locked, then a declaration naming
    them, committed when ``go`` is set."""

    async def file() -> None:
        db = await asyncpg.connect(database_url)
        async with db.transaction():
            await db.execute("SELECT 1 FROM drivers WHERE id = $1 FOR SHARE", driver_id)
            await db.execute(_COPIED_FOR_ANOTHER_DRIVER, source, driver_id)
            await asyncio.to_thread(go.wait, 30)
        await db.close()

    asyncio.run(file())


async def test_a_driver_is_not_deleted_while_a_filing_holds_them(
    client: Client, operator: Operator, database_url: str
) -> None:
    """Declarations hold no foreign key: a filing locks its driver first, and a deletion that
    waited for it sees what it filed."""
    filed = await created(client, operator, "/declarations", declaration_body(*(await fleet(client, operator))))
    other = await created(client, operator, "/drivers", driver_body())
    go = threading.Event()
    filing = threading.Thread(
        target=_filing_holding,
        args=(database_url, uuid.UUID(filed["declarationId"]), uuid.UUID(other["driverId"]), go),
    )
    filing.start()
    await asyncio.sleep(0.5)  # the filing holds the driver
    threading.Timer(1.0, go.set).start()  # and commits while the deletion waits for it
    refused = await client.delete(f"/drivers/{other['driverId']}", headers=operator.headers)
    filing.join(10)
    assert refused.status_code == 409, refused.text
    assert [error["code"] for error in refused.json()["errors"]] == ["driver_has_declarations"]
    assert (await client.get(f"/drivers/{other['driverId']}", headers=operator.headers)).status_code == 200
