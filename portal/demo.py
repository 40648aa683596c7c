"""What ``portal serve --demo`` prints: an operator with a driver and plates to file with, and a
French roadside authority to find what it files."""

import datetime
import uuid
from typing import Literal

import asyncpg
import msgspec

from portal.db import Transaction, transaction
from portal.identity import repository
from portal.identity.auth import OperatorPrincipal
from portal.identity.service import (
    issue_authority_key,
    issue_operator_key,
    register_authority,
    register_operator,
)
from portal.operators.drivers import service as drivers
from portal.operators.vehicles import service as vehicles
from portal.settings import Settings
from schemas.drivers import DriverFields
from schemas.vehicles import VehicleFields

DEMO_NAME = "Demo Transport sp. z o.o."
DEMO_COUNTRY = "PL"
DEMO_KEY_LABEL = "demo"
DEMO_AUTHORITY = "Demo roadside control"
DEMO_AUTHORITY_COUNTRY = "FR"


class DemoCredentials(msgspec.Struct, frozen=True):
    operator_id: uuid.UUID
    operator_key: str
    authority_id: uuid.UUID
    authority_key: str


async def prepare_demo(database_url: str) -> DemoCredentials:
    """The demo operator and authority with fresh API keys (earlier demo keys are revoked)."""
    db = await asyncpg.connect(database_url)
    try:
        async with transaction(db) as tx:
            operator_id = await repository.find_operator_by_name(tx, DEMO_NAME)
            if operator_id is None:
                operator_id, _ = await register_operator(tx, DEMO_NAME, DEMO_COUNTRY, "PL-LIC-0001")
                await _seed(tx, OperatorPrincipal(operator_id, DEMO_COUNTRY))
            authority_id = await repository.find_authority_by_name(tx, DEMO_AUTHORITY)
            if authority_id is None:
                authority_id, _ = await register_authority(tx, DEMO_AUTHORITY, DEMO_AUTHORITY_COUNTRY)
            for holder_id in (operator_id, authority_id):
                await repository.revoke_keys(tx, holder_id, DEMO_KEY_LABEL)
            return DemoCredentials(
                operator_id=operator_id,
                operator_key=await issue_operator_key(tx, operator_id, DEMO_KEY_LABEL),
                authority_id=authority_id,
                authority_key=await issue_authority_key(tx, authority_id, DEMO_KEY_LABEL),
            )
    finally:
        await db.close()


async def _seed(db: Transaction, operator: OperatorPrincipal) -> None:
    await drivers.create(
        db,
        operator,
        DriverFields(
            driver_latin_first_name="Jan",
            driver_latin_last_name="Kowalski",
            driver_date_of_birth=datetime.date(1980, 5, 17),
            driver_license_number="PL1234567",
            driver_document_type="IDCARD",
            driver_document_number="ABC123456",
            driver_document_issuing_country="PL",
            driver_address_street="ul. Długa 5",
            driver_address_post_code="00-950",
            driver_address_city="Warszawa",
            driver_address_country="PL",
            driver_contract_start_date=datetime.date(2020, 1, 1),
            driver_applicable_law="PL",
        ),
    )
    plates: tuple[tuple[str, Literal["HEAVY", "LIGHT"]], ...] = (("WX1234A", "HEAVY"), ("WX5678B", "LIGHT"))
    for plate, weight in plates:
        await vehicles.create(
            db,
            operator,
            VehicleFields(
                plate_number=plate, registration_country="PL", transport_type="CARRIAGE_OF_GOODS", vehicle_weight=weight
            ),
        )


async def demo_endpoint(database_url: str, settings: Settings, authority_id: uuid.UUID, url: str) -> str:
    """The demo authority's endpoint at ``url`` (its receiver's, this run's), in place of those
    of earlier runs; its secret."""
    from portal.forwarding import service as forwarding

    db = await asyncpg.connect(database_url)
    try:
        async with transaction(db) as tx:
            for endpoint in (await forwarding.listed(tx, authority_id)).items:
                if endpoint.state == "ACTIVE":
                    await forwarding.set_active(tx, endpoint.endpoint_id, authority_id, active=False)
            return (await forwarding.register(tx, settings, authority_id, url)).secret
    finally:
        await db.close()
