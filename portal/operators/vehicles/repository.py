"""SQL for the vehicle register."""

import uuid

import asyncpg

from portal.db import Transaction
from portal.operators.vehicles.register import RegisteredVehicle
from schemas.vehicles import VehicleFields

_COLUMNS = "id, plate_number, registration_country, transport_type, vehicle_weight"


async def insert(db: Transaction, vehicle_id: uuid.UUID, operator_id: uuid.UUID, fields: VehicleFields) -> None:
    await db.execute(
        "INSERT INTO vehicles (id, operator_id, plate_number, registration_country, transport_type, vehicle_weight,"
        " updated_at) VALUES ($1, $2, $3, $4, $5, $6, now())",
        vehicle_id,
        operator_id,
        fields.plate_number,
        fields.registration_country,
        fields.transport_type,
        fields.vehicle_weight,
    )


async def update(db: Transaction, vehicle_id: uuid.UUID, operator_id: uuid.UUID, fields: VehicleFields) -> bool:
    status = await db.execute(
        "UPDATE vehicles SET plate_number = $3, registration_country = $4, transport_type = $5,"
        " vehicle_weight = $6, updated_at = now() WHERE id = $1 AND operator_id = $2",
        vehicle_id,
        operator_id,
        fields.plate_number,
        fields.registration_country,
        fields.transport_type,
        fields.vehicle_weight,
    )
    return bool(status == "UPDATE 1")


async def delete(db: Transaction, vehicle_id: uuid.UUID, operator_id: uuid.UUID) -> bool:
    status = await db.execute("DELETE FROM vehicles WHERE id = $1 AND operator_id = $2", vehicle_id, operator_id)
    return bool(status == "DELETE 1")


async def fetch(db: asyncpg.Connection, vehicle_id: uuid.UUID, operator_id: uuid.UUID) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await db.fetchrow(
        f"SELECT {_COLUMNS} FROM vehicles WHERE id = $1 AND operator_id = $2", vehicle_id, operator_id
    )
    return row


async def page(
    db: asyncpg.Connection, operator_id: uuid.UUID, after: uuid.UUID | None, limit: int
) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await db.fetch(
        f"SELECT {_COLUMNS} FROM vehicles WHERE operator_id = $1 AND ($2::uuid IS NULL OR id > $2)"
        " ORDER BY id LIMIT $3",
        operator_id,
        after,
        limit + 1,
    )
    return rows


async def fetch_register(db: asyncpg.Connection, operator_id: uuid.UUID) -> dict[str, RegisteredVehicle]:
    """The operator's whole register, plate by plate (its size is the fleet's, not an upload's)."""
    rows = await db.fetch(
        "SELECT plate_number, transport_type, vehicle_weight FROM vehicles WHERE operator_id = $1", operator_id
    )
    return {row["plate_number"]: RegisteredVehicle(row["transport_type"], row["vehicle_weight"]) for row in rows}
