"""Idempotency-Key: a retry gets the first answer; a reused key with another body is refused."""

import asyncio
import uuid

import asyncpg

from tests.factories import Operator, driver_body
from tests.helpers import Client


async def drivers_named(db: asyncpg.Connection, operator: Operator, last_name: str) -> int:
    count: int = await db.fetchval(
        "SELECT count(*) FROM drivers WHERE operator_id = $1 AND latin_last_name = $2", operator.operator_id, last_name
    )
    return count


async def test_a_retry_gets_the_first_answer(client: Client, operator: Operator, db: asyncpg.Connection) -> None:
    body = driver_body()
    headers = operator.headers | {"Idempotency-Key": str(uuid.uuid4())}
    first = await client.post("/drivers", json=body, headers=headers)
    again = await client.post("/drivers", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert await drivers_named(db, operator, body["driverLatinLastName"]) == 1


async def test_the_same_key_with_another_body_is_refused(client: Client, operator: Operator) -> None:
    headers = operator.headers | {"Idempotency-Key": "k-" + uuid.uuid4().hex}
    assert (await client.post("/drivers", json=driver_body(), headers=headers)).status_code == 201
    other = await client.post("/drivers", json=driver_body(), headers=headers)
    assert other.status_code == 422
    assert other.json()["errors"][0]["field"] == "Idempotency-Key"


async def test_concurrent_duplicates_create_one_object(
    client: Client, operator: Operator, db: asyncpg.Connection
) -> None:
    body = driver_body()
    headers = operator.headers | {"Idempotency-Key": str(uuid.uuid4())}
    answers = await asyncio.gather(*(client.post("/drivers", json=body, headers=headers) for _ in range(8)))
    assert {answer.status_code for answer in answers} == {201}
    assert len({answer.json()["driverId"] for answer in answers}) == 1
    assert await drivers_named(db, operator, body["driverLatinLastName"]) == 1


async def test_a_refused_request_leaves_the_key_free(client: Client, operator: Operator) -> None:
    headers = operator.headers | {"Idempotency-Key": str(uuid.uuid4())}
    bad = driver_body(driverDateOfBirth="1800-01-01")
    assert (await client.post("/drivers", json=bad, headers=headers)).status_code == 422
    assert (await client.post("/drivers", json=bad, headers=headers)).status_code == 422


async def test_keys_are_per_operator(client: Client, operator: Operator, other_operator: Operator) -> None:
    key = {"Idempotency-Key": "shared-key-" + uuid.uuid4().hex}
    mine = await client.post("/drivers", json=driver_body(), headers=operator.headers | key)
    theirs = await client.post("/drivers", json=driver_body(), headers=other_operator.headers | key)
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["driverId"] != theirs.json()["driverId"]
