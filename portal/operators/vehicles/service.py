"""The vehicle register: each plate once per operator, with its transport type and weight class."""

import uuid

import asyncpg

from portal.db import Transaction
from portal.errors import Conflict, NotFound, Unprocessable
from portal.identity.auth import OperatorPrincipal
from portal.ids import new_id
from portal.operators.vehicles import repository
from portal.refusals import refusal
from schemas.errors import FieldError
from schemas.vehicles import Vehicle, VehicleFields, VehicleListItem


def check(fields: VehicleFields) -> list[FieldError]:
    goods = fields.transport_type == "CARRIAGE_OF_GOODS"
    if goods and fields.vehicle_weight not in ("LIGHT", "HEAVY"):
        return [refusal("vehicleWeight", "weight_required")]
    if not goods and fields.vehicle_weight:
        return [refusal("vehicleWeight", "weight_not_allowed")]
    return []


def to_vehicle(row: asyncpg.Record) -> Vehicle:
    return Vehicle(
        plate_number_id=row["id"],
        plate_number=row["plate_number"],
        registration_country=row["registration_country"],
        transport_type=row["transport_type"],
        vehicle_weight=row["vehicle_weight"],
    )


def to_list_item(row: asyncpg.Record) -> VehicleListItem:
    return VehicleListItem(
        plate_number_id=row["id"],
        plate_number=row["plate_number"],
        registration_country=row["registration_country"],
        plate_number_transport_type=row["transport_type"],
        vehicle_weight=row["vehicle_weight"],
    )


async def read(db: asyncpg.Connection, operator: OperatorPrincipal, vehicle_id: uuid.UUID) -> Vehicle:
    row = await repository.fetch(db, vehicle_id, operator.operator_id)
    if row is None:
        raise NotFound.of("", "not_found", kind="vehicle")
    return to_vehicle(row)


async def create(db: Transaction, operator: OperatorPrincipal, fields: VehicleFields) -> Vehicle:
    if errors := check(fields):
        raise Unprocessable(errors)
    vehicle_id = new_id()
    try:
        await repository.insert(db, vehicle_id, operator.operator_id, fields)
    except asyncpg.UniqueViolationError:
        raise Conflict.of("plateNumber", "duplicate_plate") from None
    return await read(db, operator, vehicle_id)


async def replace(
    db: Transaction, operator: OperatorPrincipal, vehicle_id: uuid.UUID, fields: VehicleFields
) -> Vehicle:
    if errors := check(fields):
        raise Unprocessable(errors)
    try:
        found = await repository.update(db, vehicle_id, operator.operator_id, fields)
    except asyncpg.UniqueViolationError:
        raise Conflict.of("plateNumber", "duplicate_plate") from None
    if not found:
        raise NotFound.of("", "not_found", kind="vehicle")
    return await read(db, operator, vehicle_id)


async def delete(db: Transaction, operator: OperatorPrincipal, vehicle_id: uuid.UUID) -> None:
    # Declarations keep the plates they named: removing a vehicle from the register later is allowed.
    if not await repository.delete(db, vehicle_id, operator.operator_id):
        raise NotFound.of("", "not_found", kind="vehicle")


async def page(
    db: asyncpg.Connection, operator: OperatorPrincipal, after: uuid.UUID | None, limit: int
) -> tuple[list[VehicleListItem], list[uuid.UUID]]:
    rows = await repository.page(db, operator.operator_id, after, limit)
    return [to_list_item(row) for row in rows[:limit]], [row["id"] for row in rows]
