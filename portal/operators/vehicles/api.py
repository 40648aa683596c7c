"""``/plate-numbers``: the operator's vehicle register, as the official interface serves it."""

import uuid
from typing import Annotated

from litestar import Controller, delete, get, post, put
from litestar.params import FromPath, JSONBody, QueryParameter

from portal.dependencies import InTransaction
from portal.identity.auth import CurrentOperator
from portal.openapi import AUTHENTICATED, WITH_BODY, errors
from portal.operators.vehicles import service
from portal.pagination import decode_cursor, next_cursor
from portal.wire import StrictJSON
from schemas.declarations import Deleted
from schemas.vehicles import Vehicle, VehicleFields, VehiclePage


class VehicleController(Controller):
    path = "/plate-numbers"
    tags = ["Vehicle register"]

    @get(operation_id="ListPlateNumbers", responses=errors(*AUTHENTICATED))
    async def list_vehicles(
        self,
        db: InTransaction,
        operator: CurrentOperator,
        limit: Annotated[int, QueryParameter(ge=1, le=250, description="page size, 1 to 250")],
        start_key: Annotated[str | None, QueryParameter(name="startKey")] = None,
    ) -> VehiclePage:
        items, ids = await service.page(db, operator, decode_cursor(start_key), limit)
        return VehiclePage(items=items, last_evaluated_key=next_cursor(ids, limit), count=len(items))

    @post(
        operation_id="CreatePlateNumber",
        dto=StrictJSON[VehicleFields],
        return_dto=None,
        responses=errors(*AUTHENTICATED, *WITH_BODY, 409),
    )
    async def create_vehicle(
        self, db: InTransaction, operator: CurrentOperator, data: JSONBody[VehicleFields]
    ) -> Vehicle:
        return await service.create(db, operator, data)

    @get("/{plate_number_id:uuid}", operation_id="GetPlateNumber", responses=errors(*AUTHENTICATED, 404))
    async def get_vehicle(
        self, db: InTransaction, operator: CurrentOperator, plate_number_id: FromPath[uuid.UUID]
    ) -> Vehicle:
        return await service.read(db, operator, plate_number_id)

    @put(
        "/{plate_number_id:uuid}",
        operation_id="ReplacePlateNumber",
        dto=StrictJSON[VehicleFields],
        return_dto=None,
        responses=errors(*AUTHENTICATED, *WITH_BODY, 404, 409),
    )
    async def replace_vehicle(
        self,
        db: InTransaction,
        operator: CurrentOperator,
        plate_number_id: FromPath[uuid.UUID],
        data: JSONBody[VehicleFields],
    ) -> Vehicle:
        return await service.replace(db, operator, plate_number_id, data)

    @delete(
        "/{plate_number_id:uuid}",
        operation_id="DeletePlateNumber",
        status_code=200,
        responses=errors(*AUTHENTICATED, 404),
    )
    async def delete_vehicle(
        self, db: InTransaction, operator: CurrentOperator, plate_number_id: FromPath[uuid.UUID]
    ) -> Deleted:
        await service.delete(db, operator, plate_number_id)
        return Deleted(message="vehicle deleted from the register")
