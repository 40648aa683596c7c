"""The web pages as one router: each page's visitor and transaction, its static files, and
what a page answers instead of the API's JSON when it cannot go on."""

import urllib.parse
from pathlib import Path
from typing import Any

from litestar import Request, Response, Router
from litestar.di import Provide
from litestar.exceptions import PermissionDeniedException
from litestar.response import Redirect
from litestar.static_files import create_static_files_router

from portal import i18n
from portal.dependencies import provide_transaction
from portal.errors import ApiError
from portal.refusals import refusal
from portal.web.account_pages import AccountPages
from portal.web.declaration_pages import DeclarationPages
from portal.web.guard import FirmNeeded, LoginNeeded, provide_visitor
from portal.web.key_pages import KeyPages
from portal.web.operator_pages import OperatorPages
from portal.web.people_pages import PeoplePages
from portal.web.renewal_pages import RenewalPages
from portal.web.session import LANGUAGE_COOKIE
from portal.web.upload_pages import UploadPages
from portal.web.vehicle_pages import VehiclePages
from portal.web.views import page

STATIC = Path(__file__).parent / "static"


def _login_needed(_: Request[Any, Any, Any], exc: LoginNeeded) -> Response[Any]:
    return Redirect(f"/web/login?{urllib.parse.urlencode({'next': exc.path})}", status_code=303)


def _firm_needed(_: Request[Any, Any, Any], __: FirmNeeded) -> Response[Any]:
    return Redirect("/web/firms", status_code=303)


def _language(request: Request[Any, Any, Any]) -> i18n.Language:
    """The reader's language where the page's visitor is not known (an answer instead of it)."""
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    return chosen if chosen in i18n.available() else i18n.negotiate(request.headers.get("accept-language"))


def _form_expired(request: Request[Any, Any, Any], _: PermissionDeniedException) -> Response[Any]:
    return page("message.html", _language(request), 403, visitor=None, refused=refusal("", "form_expired"))


def _refused(request: Request[Any, Any, Any], exc: ApiError) -> Response[Any]:
    """What the API answers as JSON (another operator's record, 404; a member on an owner's
    page, 403), a page says in the reader's language."""
    return page("message.html", _language(request), exc.status_code, visitor=None, refused=exc.errors[0])


def web_router(dependencies: dict[str, Provide]) -> Router:
    """The pages, with ``dependencies`` the operator API's handlers have too (the services
    they call need them)."""
    return Router(
        path="/",
        route_handlers=[
            AccountPages,
            OperatorPages,
            DeclarationPages,
            VehiclePages,
            RenewalPages,
            UploadPages,
            KeyPages,
            PeoplePages,
            create_static_files_router(path="/static", directories=[STATIC], include_in_schema=False),
        ],
        dependencies={"db": Provide(provide_transaction), "visitor": Provide(provide_visitor), **dependencies},
        exception_handlers={
            LoginNeeded: _login_needed,
            FirmNeeded: _firm_needed,
            PermissionDeniedException: _form_expired,
            ApiError: _refused,
        },
    )
