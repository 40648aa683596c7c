"""The operator's vehicle register as a page: the list, a vehicle added, a vehicle removed.
The same services as ``/plate-numbers``, refused with the same codes."""

import uuid
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect

from portal.dependencies import InTransaction
from portal.errors import ApiError, attempted
from portal.identity.auth import OperatorPrincipal
from portal.operators.vehicles import service as vehicles
from portal.pagination import decode_cursor, next_cursor
from portal.web.forms import Form, decoded, read_form
from portal.web.guard import PageVisitor, operator_of
from portal.web.session import Visitor, answered
from portal.web.views import page
from schemas.vehicles import VehicleFields

LISTED = 100
# The catalogue's names of a vehicle's kind: as the declaration's PDF lists plates.
WEIGHTS = {"HEAVY": "Heavy goods vehicles", "LIGHT": "Light goods vehicles"}


async def _register_page(
    db: InTransaction,
    operator: OperatorPrincipal,
    visitor: Visitor,
    form: Form,
    after: str = "",
    status_code: int = 200,
) -> Response[Any]:
    listed, ids = await vehicles.page(db, operator, decode_cursor(after or None), LISTED)
    return page(
        "vehicles.html",
        visitor.language,
        status_code,
        visitor=visitor,
        vehicles=listed,
        next_key=next_cursor(ids, LISTED),
        form=form,
        weights=WEIGHTS,
    )


class VehiclePages(Controller):
    path = "/web/vehicles"
    include_in_schema = False

    @get()
    async def register(
        self,
        request: Request[Any, Any, Any],
        state: State,
        db: InTransaction,
        visitor: PageVisitor,
        after: Annotated[str, QueryParameter(max_length=200)] = "",
    ) -> Response[Any]:
        operator = operator_of(request, visitor)
        form = Form({"transportType": "CARRIAGE_OF_GOODS", "vehicleWeight": "HEAVY"})
        return answered(await _register_page(db, operator, visitor, form, after), state, visitor)

    @post()
    async def add(self, request: Request[Any, Any, Any], db: InTransaction, visitor: PageVisitor) -> Response[Any]:
        operator = operator_of(request, visitor)
        values = await read_form(request)
        fields = decoded(values, VehicleFields)
        if isinstance(fields, Form):
            return await _register_page(db, operator, visitor, fields, status_code=422)
        added = await attempted(db, vehicles.create(db, operator, fields))
        if isinstance(added, ApiError):
            return await _register_page(
                db, operator, visitor, Form(values, added.errors), status_code=added.status_code
            )
        return Redirect("/web/vehicles", status_code=303)

    @post("/{vehicle_id:uuid}/delete")
    async def remove(
        self, request: Request[Any, Any, Any], db: InTransaction, visitor: PageVisitor, vehicle_id: FromPath[uuid.UUID]
    ) -> Response[Any]:
        await vehicles.delete(db, operator_of(request, visitor), vehicle_id)
        return Redirect("/web/vehicles", status_code=303)
