"""``/drivers``: the official interface's driver endpoints."""

import datetime
import uuid
from typing import Annotated

from litestar import Controller, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter

from portal import normalize
from portal.dependencies import InTransaction
from portal.identity.auth import CurrentOperator
from portal.openapi import AUTHENTICATED, WITH_BODY, errors
from portal.operators.drivers import service
from portal.operators.drivers.repository import DriverFilter
from portal.pagination import decode_cursor, next_cursor
from portal.wire import StrictJSON, query_value
from schemas.declarations import Deleted
from schemas.drivers import Driver, DriverFields, DriverPage


class DriverController(Controller):
    path = "/drivers"
    tags = ["Drivers"]

    @get(operation_id="ListDrivers", summary="List drivers, oldest first", responses=errors(*AUTHENTICATED))
    async def list_drivers(
        self,
        db: InTransaction,
        operator: CurrentOperator,
        limit: Annotated[int, QueryParameter(ge=1, le=250, description="page size, 1 to 250")],
        start_key: Annotated[
            str | None, QueryParameter(name="startKey", description="lastEvaluatedKey of the previous page")
        ] = None,
        term: Annotated[
            str | None, QueryParameter(min_length=2, max_length=100, description="part of the name")
        ] = None,
        by_last_name: Annotated[
            int, QueryParameter(name="byLastName", ge=0, le=1, description="1: term matches the last name only")
        ] = 0,
        date_of_birth: Annotated[datetime.date | None, QueryParameter(name="dateOfBirth")] = None,
        with_active_declarations: Annotated[int, QueryParameter(name="withActiveDeclarations", ge=0, le=1)] = 0,
    ) -> DriverPage:
        where = DriverFilter(
            term=query_value("term", term, normalize.text),
            by_last_name=bool(by_last_name),
            date_of_birth=date_of_birth,
            with_active_declarations=bool(with_active_declarations),
        )
        items, ids = await service.page(db, operator, decode_cursor(start_key), limit, where)
        return DriverPage(items=items, last_evaluated_key=next_cursor(ids, limit), count=len(items))

    @post(
        operation_id="CreateDriver",
        dto=StrictJSON[DriverFields],
        return_dto=None,
        responses=errors(*AUTHENTICATED, *WITH_BODY, 409),
    )
    async def create_driver(self, db: InTransaction, operator: CurrentOperator, data: JSONBody[DriverFields]) -> Driver:
        return await service.create(db, operator, data)

    @get("/{driver_id:uuid}", operation_id="GetDriver", responses=errors(*AUTHENTICATED, 404))
    async def get_driver(self, db: InTransaction, operator: CurrentOperator, driver_id: FromPath[uuid.UUID]) -> Driver:
        return await service.read(db, operator, driver_id)

    @put(
        "/{driver_id:uuid}",
        operation_id="ReplaceDriver",
        dto=StrictJSON[DriverFields],
        return_dto=None,
        description="Replaces the driver; each draft and current submitted declaration of theirs gets a new version.",
        responses=errors(*AUTHENTICATED, *WITH_BODY, 404, 409),
    )
    async def replace_driver(
        self,
        db: InTransaction,
        operator: CurrentOperator,
        driver_id: FromPath[uuid.UUID],
        data: JSONBody[DriverFields],
        driver_dependents: NamedDependency[service.Dependents],
    ) -> Driver:
        return await service.replace(db, operator, driver_id, data, driver_dependents)

    @delete(
        "/{driver_id:uuid}",
        operation_id="DeleteDriver",
        status_code=200,
        description="409 if the driver has declarations.",
        responses=errors(*AUTHENTICATED, 404, 409),
    )
    async def delete_driver(
        self, db: InTransaction, operator: CurrentOperator, driver_id: FromPath[uuid.UUID]
    ) -> Deleted:
        await service.delete(db, operator, driver_id)
        return Deleted(message="driver deleted")
