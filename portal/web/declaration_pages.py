"""The operator's declarations as pages: the list with its filters, the form that creates a
draft or edits it (or updates a submitted one), and one declaration with what can be done to
it: submit, withdraw, delete, copy to a new period, download or e-mail its PDF. Each action
calls the service the API's endpoint calls, and is refused with the same codes."""

import datetime
import uuid
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect

from portal import clock, i18n, normalize
from portal.declarations import lifecycle, service
from portal.declarations.repository import DeclarationFilter
from portal.dependencies import InTransaction
from portal.documents import service as documents
from portal.errors import ApiError, Unprocessable, attempted
from portal.identity.auth import OperatorPrincipal
from portal.mail import service as mail
from portal.operators.drivers import service as drivers
from portal.operators.drivers.repository import DriverFilter
from portal.pagination import decode_cursor, next_cursor
from portal.web import declaration_form as shape
from portal.web.forms import Form, decoded, read_form
from portal.web.guard import PageVisitor, operator_of
from portal.web.session import Visitor, answered
from portal.web.views import page
from schemas.declarations import CopyRequest, Declaration, DeclarationFields
from schemas.documents import EmailRequest

LISTED = 50
# The most drivers the form's list offers: an operator with more types the search first.
DRIVERS_OFFERED = 1000


def _to(path: str) -> Redirect:
    return Redirect(path, status_code=303)


async def _form_page(
    db: InTransaction,
    operator: OperatorPrincipal,
    visitor: Visitor,
    form: Form,
    declaration: Declaration | None = None,
    status_code: int = 200,
) -> Response[Any]:
    offered, _ = await drivers.page(db, operator, None, DRIVERS_OFFERED, DriverFilter())
    language = visitor.language
    return page(
        "declaration_form.html",
        language,
        status_code,
        visitor=visitor,
        form=form,
        declaration=declaration,
        frozen=shape.frozen_text(declaration, language) if declaration else {},
        driver_options=[
            (str(driver.driver_id), f"{driver.driver_latin_first_name} {driver.driver_latin_last_name}")
            for driver in offered
        ],
        posting_countries=shape.posting_countries(language),
        operation_types=shape.named(shape.OPERATION_TYPES, language),
        transport_types=shape.named(shape.TRANSPORT_TYPES, language),
    )


async def _declaration_page(
    db: InTransaction,
    operator: OperatorPrincipal,
    visitor: Visitor,
    declaration_id: uuid.UUID,
    done: str = "",
    refused: ApiError | None = None,
) -> Response[Any]:
    declaration = await service.read(db, operator, declaration_id)
    period = declaration.declaration_end_date - declaration.declaration_start_date
    copy_start = max(clock.today(), declaration.declaration_end_date + datetime.timedelta(days=1))
    return page(
        "declaration.html",
        visitor.language,
        refused.status_code if refused else 200,
        visitor=visitor,
        declaration=declaration,
        done=done,
        form=Form(
            {
                # A copy starts the day after this one ends (or today), for as long.
                "declarationStartDate": copy_start.isoformat(),
                "declarationEndDate": (copy_start + period).isoformat(),
                "emailAddress": declaration.driver_email or "",
            },
            refused.errors if refused else [],
        ),
    )


async def _answered(
    db: InTransaction,
    operator: OperatorPrincipal,
    visitor: Visitor,
    declaration_id: uuid.UUID,
    outcome: object,
    then: str,
) -> Response[Any]:
    """After an action on the declaration's page: that page with the refusal, or ``then``."""
    if isinstance(outcome, ApiError):
        return await _declaration_page(db, operator, visitor, declaration_id, refused=outcome)
    return _to(then)


class DeclarationPages(Controller):
    path = "/web/declarations"
    include_in_schema = False

    @get()
    async def declaration_list(
        self,
        request: Request[Any, Any, Any],
        state: State,
        db: InTransaction,
        visitor: PageVisitor,
        status: Annotated[str, QueryParameter(max_length=20)] = "",
        country: Annotated[str, QueryParameter(max_length=2)] = "",
        driver: Annotated[str, QueryParameter(max_length=36)] = "",
        ends_by: Annotated[str, QueryParameter(max_length=10)] = "",
        after: Annotated[str, QueryParameter(max_length=200)] = "",
    ) -> Response[Any]:
        operator = operator_of(request, visitor)
        filters = {"status": status, "country": country, "driver": driver, "ends_by": ends_by}
        where = DeclarationFilter(
            status=status if status in shape.STATUSES else None,
            posting_country=country if country in normalize.POSTING_COUNTRIES else None,
            driver_id=_uuid(driver),
            end_date_from=clock.today() if ends_by else None,
            end_date_to=_date(ends_by),
        )
        rows, ids = await service.page(db, operator, decode_cursor(after or None), LISTED, where)
        # A driver is chosen from the drivers' page (a fleet's drivers are too many for a list
        # here); the one chosen is offered beside "all".
        chosen = await attempted(db, drivers.read(db, operator, where.driver_id)) if where.driver_id else None
        offered = [chosen] if chosen is not None and not isinstance(chosen, ApiError) else []
        return answered(
            page(
                "declarations.html",
                visitor.language,
                visitor=visitor,
                rows=rows,
                filters=filters,
                next_key=next_cursor(ids, LISTED),
                status_names=shape.named(shape.STATUSES, visitor.language),
                posting_countries=shape.posting_countries(visitor.language),
                driver_options=[
                    (str(d.driver_id), f"{d.driver_latin_first_name} {d.driver_latin_last_name}") for d in offered
                ],
            ),
            state,
            visitor,
        )

    @get("/new")
    async def new_form(
        self, request: Request[Any, Any, Any], state: State, db: InTransaction, visitor: PageVisitor
    ) -> Response[Any]:
        operator = operator_of(request, visitor)
        # A new declaration names the transport manager as the contact person unless told otherwise.
        return answered(
            await _form_page(db, operator, visitor, Form({"otherContactAsTransportManager": "true"})), state, visitor
        )

    @post("/new")
    async def create(self, request: Request[Any, Any, Any], db: InTransaction, visitor: PageVisitor) -> Response[Any]:
        operator = operator_of(request, visitor)
        values = await read_form(request)
        fields = decoded(values, DeclarationFields, shape=shape.shaped)
        if isinstance(fields, Form):
            return await _form_page(db, operator, visitor, fields, status_code=422)
        created = await attempted(db, service.create_draft(db, operator, fields))
        if isinstance(created, ApiError):
            return await _form_page(db, operator, visitor, Form(values, created.errors), None, created.status_code)
        return _to(f"/web/declarations/{created.declaration_id}?done=saved")

    @get("/{declaration_id:uuid}")
    async def declaration(
        self,
        request: Request[Any, Any, Any],
        state: State,
        db: InTransaction,
        visitor: PageVisitor,
        declaration_id: FromPath[uuid.UUID],
        done: Annotated[str, QueryParameter(max_length=20)] = "",
    ) -> Response[Any]:
        operator = operator_of(request, visitor)
        return answered(await _declaration_page(db, operator, visitor, declaration_id, done), state, visitor)

    @get("/{declaration_id:uuid}/edit")
    async def edit_form(
        self,
        request: Request[Any, Any, Any],
        state: State,
        db: InTransaction,
        visitor: PageVisitor,
        declaration_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        operator = operator_of(request, visitor)
        declaration = await service.read(db, operator, declaration_id)
        form = Form(shape.values_of(declaration))
        return answered(await _form_page(db, operator, visitor, form, declaration), state, visitor)

    @post("/{declaration_id:uuid}/edit")
    async def edit(
        self,
        request: Request[Any, Any, Any],
        db: InTransaction,
        visitor: PageVisitor,
        declaration_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        operator = operator_of(request, visitor)
        declaration = await service.read(db, operator, declaration_id)
        draft = declaration.declaration_status == "DRAFT"
        values = await read_form(request)
        if not draft:
            values = shape.with_frozen(values, declaration)
        fields = decoded(values, DeclarationFields, shape=shape.shaped)
        if isinstance(fields, Form):
            return await _form_page(db, operator, visitor, fields, declaration, 422)
        saved = await attempted(
            db,
            service.replace_draft(db, operator, declaration_id, fields)
            if draft
            else lifecycle.update_submitted(db, operator, declaration_id, shape.update_of(fields)),
        )
        if isinstance(saved, ApiError):
            return await _form_page(db, operator, visitor, Form(values, saved.errors), declaration, saved.status_code)
        return _to(f"/web/declarations/{declaration_id}?done={'saved' if draft else 'updated'}")

    @post("/{declaration_id:uuid}/submit")
    async def submit(
        self,
        request: Request[Any, Any, Any],
        db: InTransaction,
        visitor: PageVisitor,
        declaration_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        operator = operator_of(request, visitor)
        submitted = await attempted(db, lifecycle.submit(db, operator, declaration_id))
        if isinstance(submitted, ApiError):
            # The refusals name the form's fields: the form shows each beside its field.
            declaration = await service.read(db, operator, declaration_id)
            form = Form(shape.values_of(declaration), submitted.errors)
            return await _form_page(db, operator, visitor, form, declaration, submitted.status_code)
        return _to(f"/web/declarations/{declaration_id}?done=submitted")

    @post("/{declaration_id:uuid}/withdraw")
    async def withdraw(
        self,
        request: Request[Any, Any, Any],
        db: InTransaction,
        visitor: PageVisitor,
        declaration_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        operator = operator_of(request, visitor)
        withdrawn = await attempted(db, lifecycle.withdraw(db, operator, declaration_id))
        return await _answered(
            db, operator, visitor, declaration_id, withdrawn, f"/web/declarations/{declaration_id}?done=withdrawn"
        )

    @post("/{declaration_id:uuid}/delete")
    async def delete(
        self,
        request: Request[Any, Any, Any],
        db: InTransaction,
        visitor: PageVisitor,
        declaration_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        operator = operator_of(request, visitor)
        deleted = await attempted(db, service.delete_draft(db, operator, declaration_id))
        return await _answered(db, operator, visitor, declaration_id, deleted, "/web/declarations")

    @post("/{declaration_id:uuid}/copy")
    async def copy(
        self,
        request: Request[Any, Any, Any],
        db: InTransaction,
        visitor: PageVisitor,
        declaration_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        operator = operator_of(request, visitor)
        period = decoded(await read_form(request), CopyRequest)
        copied = (
            await attempted(db, service.copy(db, operator, declaration_id, period))
            if not isinstance(period, Form)
            else Unprocessable(period.errors)
        )
        then = "" if isinstance(copied, ApiError) else f"/web/declarations/{copied.declaration_id}/edit"
        return await _answered(db, operator, visitor, declaration_id, copied, then)

    @post("/{declaration_id:uuid}/email")
    async def email(
        self,
        request: Request[Any, Any, Any],
        db: InTransaction,
        visitor: PageVisitor,
        declaration_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        operator = operator_of(request, visitor)
        body = decoded(await read_form(request), EmailRequest)
        sent = (
            Unprocessable(body.errors)
            if isinstance(body, Form)
            else await attempted(db, _emailed(db, operator, declaration_id, body))
        )
        return await _answered(
            db, operator, visitor, declaration_id, sent, f"/web/declarations/{declaration_id}?done=emailed"
        )

    @get("/{declaration_id:uuid}/pdf")
    async def pdf(
        self,
        request: Request[Any, Any, Any],
        state: State,
        db: InTransaction,
        visitor: PageVisitor,
        declaration_id: FromPath[uuid.UUID],
        language: Annotated[str, QueryParameter(max_length=2)] = "",
    ) -> Response[Any]:
        operator = operator_of(request, visitor)
        chosen = documents.language_of(language) if language in i18n.available() else visitor.language
        key = await documents.printable(db, operator, declaration_id, chosen, "language")
        pdf = await documents.pdf_of(state.db_pool, state.rendering, key)
        if pdf is None:
            raise service.not_found()
        return Response(
            pdf,
            media_type="application/pdf",
            headers={
                "content-disposition": f'attachment; filename="{documents.filename(key)}"',
                "cache-control": "private, no-store",
            },
        )


async def _emailed(
    db: InTransaction, operator: OperatorPrincipal, declaration_id: uuid.UUID, body: EmailRequest
) -> None:
    language, address, language_field = mail.asked(body)
    await mail.email_declaration(db, operator, declaration_id, language, address, language_field)


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


def _date(value: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value) if value else None
    except ValueError:
        return None
