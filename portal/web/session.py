"""Who is looking at a page: their session (a cookie whose token is stored hashed), their
language, and the token every form of theirs carries back (CSRF).

The form token is the HMAC of a random cookie of the browser's own (signed double submit): a
page of another site can make the browser send the cookie, but cannot read it nor the page that
holds the token, and cannot make a token for a cookie it planted without the portal's key.
"""

import hashlib
import hmac
import secrets
import urllib.parse
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.datastructures import Cookie, State

from portal import i18n
from portal.accounts import service as accounts
from portal.accounts.repository import Session
from portal.db import Transaction
from portal.settings import Settings

SESSION_COOKIE = "portal_session"
CSRF_COOKIE = "portal_csrf"
LANGUAGE_COOKIE = "portal_language"
CSRF_FIELD = "csrf_token"


class Visitor(msgspec.Struct, frozen=True):
    language: i18n.Language
    # The page's path: where the language switcher comes back to.
    path: str
    # The form token of this browser, and its cookie when it is new (set on the answer).
    csrf: str
    new_csrf_cookie: str | None
    session: Session | None = None
    token: str | None = None


def form_token(secret_key: str, cookie: str) -> str:
    return hmac.new(secret_key.encode(), f"csrf:{cookie}".encode(), hashlib.sha256).hexdigest()


def _language(request: Request[Any, Any, Any], session: Session | None) -> i18n.Language:
    available = i18n.available()
    for chosen in (session.language if session else None, request.cookies.get(LANGUAGE_COOKIE)):
        if chosen in available:
            return chosen
    return i18n.negotiate(request.headers.get("accept-language"))


async def visitor_of(request: Request[Any, Any, Any], db: Transaction, secret_key: str) -> Visitor:
    token = request.cookies.get(SESSION_COOKIE)
    session = await accounts.session_of(db, token)
    cookie = request.cookies.get(CSRF_COOKIE)
    new_cookie = None if cookie else secrets.token_urlsafe(32)
    return Visitor(
        language=_language(request, session),
        path=request.url.path,
        csrf=form_token(secret_key, cookie or new_cookie or ""),
        new_csrf_cookie=new_cookie,
        session=session,
        token=token if session else None,
    )


def csrf_holds(request: Request[Any, Any, Any], secret_key: str, sent: str | None) -> bool:
    cookie = request.cookies.get(CSRF_COOKIE)
    return bool(cookie and sent and hmac.compare_digest(sent, form_token(secret_key, cookie)))


def cookie(settings: Settings, name: str, value: str, max_age: int | None = None) -> Cookie:
    """HttpOnly, SameSite=Lax, and Secure wherever the portal is reached over https."""
    return Cookie(
        key=name,
        value=value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.base_url.startswith("https://"),
    )


def answered(response: Response[Any], state: State, visitor: Visitor) -> Response[Any]:
    """The answer with the browser's new CSRF cookie, if it had none."""
    if visitor.new_csrf_cookie:
        response.cookies.append(cookie(state.settings, CSRF_COOKIE, visitor.new_csrf_cookie))
    return response


def safe_next(target: str | None, default: str) -> str:
    """Where to go after logging in: a path of this portal only, never another site's address."""
    if not target:
        return default
    parts = urllib.parse.urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    if any(ord(char) < 0x20 or char == "\\" for char in target):
        return default
    return target
