"""The people of an operator, for its owners: who may file for it and as what, a person
invited by e-mail (they choose their password from the link), a person removed. A member is
refused (403), as on the API keys' page."""

import uuid
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect

from portal.accounts import service as accounts
from portal.dependencies import InTransaction
from portal.errors import ApiError, attempted
from portal.identity.auth import OperatorPrincipal
from portal.web.forms import Form, decoded, read_form
from portal.web.guard import PageVisitor, owner_of
from portal.web.session import Visitor, answered
from portal.web.views import page
from schemas.accounts import Invitation


async def _people_page(
    db: InTransaction,
    operator: OperatorPrincipal,
    visitor: Visitor,
    form: Form,
    invited: str = "",
    status_code: int = 200,
) -> Response[Any]:
    listed = await accounts.people_of(db, operator.operator_id)
    return page(
        "people.html", visitor.language, status_code, visitor=visitor, people=listed, form=form, invited=invited
    )


class PeoplePages(Controller):
    path = "/web/people"
    include_in_schema = False

    @get()
    async def people(
        self,
        request: Request[Any, Any, Any],
        state: State,
        db: InTransaction,
        visitor: PageVisitor,
        invited: Annotated[str, QueryParameter(max_length=320)] = "",
    ) -> Response[Any]:
        operator = owner_of(request, visitor)
        form = Form({"role": "MEMBER"})
        return answered(await _people_page(db, operator, visitor, form, invited), state, visitor)

    @post()
    async def invite(self, request: Request[Any, Any, Any], db: InTransaction, visitor: PageVisitor) -> Response[Any]:
        operator = owner_of(request, visitor)
        values = await read_form(request)
        asked = decoded(values, Invitation)
        if isinstance(asked, Form):
            return await _people_page(db, operator, visitor, asked, status_code=422)
        await accounts.invite(db, operator.operator_id, asked, visitor.language)
        return Redirect(f"/web/people?{urlencode({'invited': asked.email})}", status_code=303)

    @post("/{person_id:uuid}/remove")
    async def remove(
        self, request: Request[Any, Any, Any], db: InTransaction, visitor: PageVisitor, person_id: FromPath[uuid.UUID]
    ) -> Response[Any]:
        operator = owner_of(request, visitor)
        removed = await attempted(db, accounts.remove_person(db, operator.operator_id, person_id))
        if isinstance(removed, ApiError):
            return await _people_page(db, operator, visitor, Form({}, removed.errors), status_code=removed.status_code)
        return Redirect("/web/people", status_code=303)
