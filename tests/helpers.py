"""Steps a fleet client takes, over the real HTTP interface, and what a mailbox received."""

import email
import email.policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.factories import Operator, declaration_body, driver_body, vehicle_body

Client = AsyncTestClient[Litestar]


def received_in(folder: Path, address: str) -> list[EmailMessage]:
    """The messages a mail sink kept in ``folder`` for ``address``, oldest first."""
    found = []
    for path in sorted(folder.glob("*.eml"), key=lambda path: (path.stat().st_mtime_ns, path.name)):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        if message["To"] == address:
            found.append(message)
    return found


async def created(client: Client, operator: Operator, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(path, json=body, headers=operator.headers)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def fleet(client: Client, operator: Operator, plates: int = 1) -> tuple[str, list[str]]:
    """A driver and heavy-goods plates in the register: what a declaration needs."""
    driver = await created(client, operator, "/drivers", driver_body())
    numbers = [
        (await created(client, operator, "/plate-numbers", vehicle_body()))["plateNumber"] for _ in range(plates)
    ]
    return driver["driverId"], numbers


async def draft(client: Client, operator: Operator, **overrides: Any) -> dict[str, Any]:
    driver_id, plates = await fleet(client, operator)
    return await created(client, operator, "/declarations", declaration_body(driver_id, plates, **overrides))


async def submitted(client: Client, operator: Operator, **overrides: Any) -> dict[str, Any]:
    declaration = await draft(client, operator, **overrides)
    response = await client.post(f"/declarations/{declaration['declarationId']}/submit", headers=operator.headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def fields_of(response: Any) -> list[str]:
    return [error["field"] for error in response.json()["errors"]]
