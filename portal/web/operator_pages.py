"""The pages of a person signed in for an operator: choosing the operator, the dashboard and
the drivers. They call the services the API calls, with the operator the session chose."""

import datetime
import uuid
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect

from portal import clock, i18n
from portal.accounts import service as accounts
from portal.bulk import service as bulk
from portal.declarations import service as declarations
from portal.declarations.repository import DeclarationFilter
from portal.dependencies import InTransaction
from portal.documents.content import DOCUMENT_TYPES
from portal.errors import ApiError, attempted
from portal.operators.drivers import service as drivers
from portal.operators.drivers.repository import DriverFilter
from portal.web.forms import Form, decoded, read_form, values_of
from portal.web.guard import LoginNeeded, PageVisitor, operator_of
from portal.web.session import answered
from portal.web.views import page
from schemas.drivers import DriverFields

# The dashboard lists the declarations that end within this many days.
EXPIRING_DAYS = 14
LISTED = 50
# The dashboard lists this many of the latest uploads that refused records.
RECENT_UPLOADS = 10


class OperatorPages(Controller):
    path = "/web"
    include_in_schema = False

    @get("/firms")
    async def firms(
        self, request: Request[Any, Any, Any], state: State, db: InTransaction, visitor: PageVisitor
    ) -> Response[Any]:
        if visitor.session is None:
            raise LoginNeeded(request.url.path)
        member_of = await accounts.memberships(db, visitor.session.person_id)
        return answered(page("firms.html", visitor.language, visitor=visitor, memberships=member_of), state, visitor)

    @post("/firms")
    async def choose_firm(
        self, request: Request[Any, Any, Any], db: InTransaction, visitor: PageVisitor
    ) -> Response[Any]:
        if visitor.session is None or visitor.token is None:
            raise LoginNeeded("/web/firms")
        try:
            operator_id = uuid.UUID((await read_form(request)).get("operator", ""))
        except ValueError:
            return Redirect("/web/firms", status_code=303)
        chosen = await accounts.choose_operator(db, visitor.token, operator_id)
        return Redirect("/web/dashboard" if chosen else "/web/firms", status_code=303)

    @get("/dashboard")
    async def dashboard(
        self, request: Request[Any, Any, Any], state: State, db: InTransaction, visitor: PageVisitor
    ) -> Response[Any]:
        operator = operator_of(request, visitor)
        today = clock.today()
        soon = DeclarationFilter(
            status="SUBMITTED", end_date_from=today, end_date_to=today + datetime.timedelta(days=EXPIRING_DAYS)
        )
        expiring, _ = await declarations.page(db, operator, None, LISTED, soon)
        drafts, _ = await declarations.page(db, operator, None, LISTED, DeclarationFilter(status="DRAFT"))
        refusals = await bulk.recent_refusals(db, operator.operator_id, EXPIRING_DAYS, RECENT_UPLOADS)
        return answered(
            page(
                "dashboard.html",
                visitor.language,
                visitor=visitor,
                expiring=expiring,
                drafts=drafts,
                refusals=refusals,
                days=EXPIRING_DAYS,
            ),
            state,
            visitor,
        )

    @get("/drivers")
    async def driver_list(
        self,
        request: Request[Any, Any, Any],
        state: State,
        db: InTransaction,
        visitor: PageVisitor,
        q: Annotated[str, QueryParameter(max_length=100)] = "",
    ) -> Response[Any]:
        operator = operator_of(request, visitor)
        found, _ = await drivers.page(db, operator, None, LISTED, DriverFilter(term=q.strip() or None))
        return answered(page("drivers.html", visitor.language, visitor=visitor, drivers=found, q=q), state, visitor)

    @get("/drivers/new")
    async def driver_form(self, request: Request[Any, Any, Any], state: State, visitor: PageVisitor) -> Response[Any]:
        operator_of(request, visitor)
        return answered(self._driver_page(visitor, Form({})), state, visitor)

    @post("/drivers/new")
    async def create_driver(
        self, request: Request[Any, Any, Any], db: InTransaction, visitor: PageVisitor
    ) -> Response[Any]:
        operator = operator_of(request, visitor)
        form = decoded(await read_form(request), DriverFields)
        if isinstance(form, Form):
            return self._driver_page(visitor, form, status_code=422)
        created = await attempted(db, drivers.create(db, operator, form))
        if isinstance(created, ApiError):
            return self._driver_page(visitor, Form(await read_form(request), created.errors), None, created.status_code)
        return Redirect("/web/drivers", status_code=303)

    @get("/drivers/{driver_id:uuid}/edit")
    async def driver_edit_form(
        self,
        request: Request[Any, Any, Any],
        state: State,
        db: InTransaction,
        visitor: PageVisitor,
        driver_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        driver = await drivers.read(db, operator_of(request, visitor), driver_id)
        return answered(self._driver_page(visitor, Form(values_of(driver, DriverFields)), driver_id), state, visitor)

    @post("/drivers/{driver_id:uuid}/edit")
    async def edit_driver(
        self,
        request: Request[Any, Any, Any],
        db: InTransaction,
        visitor: PageVisitor,
        driver_id: FromPath[uuid.UUID],
        driver_dependents: NamedDependency[drivers.Dependents],
    ) -> Response[Any]:
        operator = operator_of(request, visitor)
        values = await read_form(request)
        form = decoded(values, DriverFields)
        if isinstance(form, Form):
            return self._driver_page(visitor, form, driver_id, 422)
        saved = await attempted(db, drivers.replace(db, operator, driver_id, form, driver_dependents))
        if isinstance(saved, ApiError):
            return self._driver_page(visitor, Form(values, saved.errors), driver_id, saved.status_code)
        return Redirect("/web/drivers", status_code=303)

    @post("/drivers/{driver_id:uuid}/delete")
    async def delete_driver(
        self, request: Request[Any, Any, Any], db: InTransaction, visitor: PageVisitor, driver_id: FromPath[uuid.UUID]
    ) -> Response[Any]:
        operator = operator_of(request, visitor)
        deleted = await attempted(db, drivers.delete(db, operator, driver_id))
        if isinstance(deleted, ApiError):
            driver = await drivers.read(db, operator, driver_id)
            form = Form(values_of(driver, DriverFields), deleted.errors)
            return self._driver_page(visitor, form, driver_id, deleted.status_code)
        return Redirect("/web/drivers", status_code=303)

    @staticmethod
    def _driver_page(
        visitor: PageVisitor, form: Form, driver_id: uuid.UUID | None = None, status_code: int = 200
    ) -> Response[Any]:
        return page(
            "driver_form.html",
            visitor.language,
            status_code,
            visitor=visitor,
            form=form,
            driver_id=driver_id,
            document_options=[
                (code, i18n.translations(visitor.language).gettext(name)) for code, name in DOCUMENT_TYPES.items()
            ],
        )
