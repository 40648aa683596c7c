"""Renewals as a page: the dry run lists what ends soon and what renewing would file, each
driver ticked to renew or not; the real run files the ticked ones and lists the outcomes."""

import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.params import QueryParameter

from portal.dependencies import InTransaction
from portal.renewals import service as renewals
from portal.web.forms import SEPARATOR, Form, decoded, read_form
from portal.web.guard import PageVisitor, operator_of
from portal.web.session import Visitor, answered
from portal.web.views import page
from schemas.renewals import MAX_WITHIN_DAYS, RenewalRequest, RenewalResult

# The window a renewal looks ahead by default: next month's declarations.
DEFAULT_DAYS = 31


def _ids(text: str) -> set[uuid.UUID]:
    found = set()
    for item in text.split(SEPARATOR):
        try:
            found.add(uuid.UUID(item))
        except ValueError:
            continue
    return found


def _page(
    visitor: Visitor, form: Form, result: RenewalResult | None, days: str, status_code: int = 200
) -> Response[Any]:
    return page(
        "renewals.html",
        visitor.language,
        status_code,
        visitor=visitor,
        form=Form({"withinDays": days, **form.values}, form.errors),
        result=result,
        max_days=MAX_WITHIN_DAYS,
    )


class RenewalPages(Controller):
    path = "/web/renewals"
    include_in_schema = False

    @get()
    async def rehearsal(
        self,
        request: Request[Any, Any, Any],
        state: State,
        db: InTransaction,
        visitor: PageVisitor,
        days: Annotated[str, QueryParameter(max_length=3)] = str(DEFAULT_DAYS),
    ) -> Response[Any]:
        operator = operator_of(request, visitor)
        asked = decoded({"withinDays": days, "dryRun": "true"}, RenewalRequest, shape=_numbers)
        if isinstance(asked, Form):
            return _page(visitor, asked, None, days, 422)
        return answered(_page(visitor, Form({}), await renewals.renew(db, operator, asked), days), state, visitor)

    @post()
    async def renew(self, request: Request[Any, Any, Any], db: InTransaction, visitor: PageVisitor) -> Response[Any]:
        operator = operator_of(request, visitor)
        values = await read_form(request)
        # Every driver listed was offered; those not ticked are left out this time.
        excluded = _ids(values.get("offered", "")) - _ids(values.get("renew", ""))
        asked = decoded({"withinDays": values.get("withinDays", "")}, RenewalRequest, shape=_numbers)
        days = values.get("withinDays", "")
        if isinstance(asked, Form):
            return _page(visitor, asked, None, days, 422)
        asked = msgspec.structs.replace(asked, exclude_driver_ids=sorted(excluded))
        return _page(visitor, Form({}), await renewals.renew(db, operator, asked), days)


def _numbers(given: dict[str, str]) -> dict[str, Any]:
    """The window a whole number when it is one (else as typed, for the schema to refuse), the
    dry run a boolean."""
    body: dict[str, Any] = dict(given)
    if body.get("withinDays", "").isdigit():
        body["withinDays"] = int(body["withinDays"])
    if "dryRun" in body:
        body["dryRun"] = body["dryRun"] == "true"
    return body
