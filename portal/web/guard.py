"""What every page handler starts with: the visitor, and for a form sent, its CSRF token checked."""

from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.exceptions import PermissionDeniedException

from portal.dependencies import InTransaction
from portal.errors import Forbidden
from portal.identity.auth import OperatorPrincipal
from portal.web.session import CSRF_FIELD, Visitor, csrf_holds, visitor_of


class LoginNeeded(Exception):
    """Raised before a page for people signed in: the visitor is sent to log in, then back."""

    def __init__(self, path: str) -> None:
        self.path = path


class FirmNeeded(Exception):
    """Signed in, no operator chosen yet (a person of several operators)."""


def operator_of(request: Request[Any, Any, Any], visitor: Visitor) -> OperatorPrincipal:
    session = visitor.session
    if session is None:
        raise LoginNeeded(request.url.path)
    if session.operator_id is None or session.operator_country is None:
        raise FirmNeeded()
    return OperatorPrincipal(session.operator_id, session.operator_country)


def owner_of(request: Request[Any, Any, Any], visitor: Visitor) -> OperatorPrincipal:
    """The operator of an owner's page (people, API keys); a member is refused (403)."""
    operator = operator_of(request, visitor)
    if visitor.session is None or visitor.session.role != "OWNER":
        raise Forbidden.of("", "owner_only")
    return operator


async def provide_visitor(request: Request[Any, Any, Any], state: State, db: InTransaction) -> Visitor:
    """The visitor of a page; a form sent without this browser's token is refused (403) before
    its handler runs, so nothing of it is stored."""
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        form = await request.form()
        sent = form.get(CSRF_FIELD)
        if not csrf_holds(request, state.web_secret, sent if isinstance(sent, str) else None):
            raise PermissionDeniedException("form_expired")
    return await visitor_of(request, db, state.web_secret)


# Page handlers declare ``visitor: PageVisitor``.
PageVisitor = NamedDependency[Visitor]
