"""The pages anyone may open: the start page, sign-up, confirmation, login, logout, the
language switcher and password reset."""

import datetime
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.params import QueryParameter
from litestar.response import Redirect

from portal import i18n, ratelimit
from portal.accounts import service as accounts
from portal.dependencies import InTransaction
from portal.errors import ApiError
from portal.refusals import refusal
from portal.web.forms import Form, decoded, read_form
from portal.web.guard import PageVisitor
from portal.web.session import LANGUAGE_COOKIE, SESSION_COOKIE, answered, cookie, safe_next
from portal.web.views import page
from schemas.accounts import Login, NewPassword, ResetAsked, SignUp

HOME = "/web/dashboard"


def _redirect(to: str) -> Redirect:
    return Redirect(to, status_code=303)


class AccountPages(Controller):
    include_in_schema = False

    @get("/")
    async def start(self, state: State, visitor: PageVisitor) -> Response[Any]:
        return answered(page("start.html", visitor.language, visitor=visitor), state, visitor)

    @get("/web/signup")
    async def sign_up_form(self, state: State, visitor: PageVisitor) -> Response[Any]:
        return answered(page("signup.html", visitor.language, visitor=visitor, form=Form({})), state, visitor)

    @post("/web/signup")
    async def sign_up(
        self, request: Request[Any, Any, Any], state: State, db: InTransaction, visitor: PageVisitor
    ) -> Response[Any]:
        form = decoded(await read_form(request), SignUp, secret=frozenset({"password"}))
        if isinstance(form, Form):
            return page("signup.html", visitor.language, 422, visitor=visitor, form=form)
        # The same answer whether the address had an account or not.
        await accounts.sign_up(db, form, visitor.language)
        return page("sent.html", visitor.language, visitor=visitor, address=form.email)

    @get("/web/confirm")
    async def confirm(
        self,
        state: State,
        db: InTransaction,
        visitor: PageVisitor,
        token: Annotated[str, QueryParameter(max_length=2000)] = "",
    ) -> Response[Any]:
        if not await accounts.confirm(db, state.account_tokens, token):
            return page("message.html", visitor.language, 400, visitor=visitor, refused=refusal("", "link_invalid"))
        return page("confirmed.html", visitor.language, visitor=visitor)

    @get("/web/login")
    async def login_form(
        self, state: State, visitor: PageVisitor, next: Annotated[str, QueryParameter(max_length=2000)] = ""
    ) -> Response[Any]:
        if visitor.session:
            return _redirect(safe_next(next, HOME))
        return answered(page("login.html", visitor.language, visitor=visitor, form=Form({}), next=next), state, visitor)

    @post("/web/login")
    async def login(
        self, request: Request[Any, Any, Any], state: State, db: InTransaction, visitor: PageVisitor
    ) -> Response[Any]:
        values = await read_form(request)
        target = values.pop("next", "")
        form = decoded(values, Login, secret=frozenset({"password"}))
        if isinstance(form, Form):
            return page("login.html", visitor.language, 422, visitor=visitor, form=form, next=target)
        rules = state.settings.web
        address = request.client.host if request.client else "unknown"
        limits = (
            ("login-account", form.email.lower(), rules.logins_per_minute_account),
            ("login-address", address, rules.logins_per_minute_address),
        )
        for name, who, per_minute in limits:
            wait = await ratelimit.blocked_seconds(state.redis, name, who, per_minute)
            if wait is not None:
                refused = Form({"email": form.email}, [refusal("", "rate_limited", retryAfter=wait)])
                return page("login.html", visitor.language, 429, visitor=visitor, form=refused, next=target)
        try:
            started = await accounts.log_in(db, form, datetime.timedelta(hours=rules.session_hours))
        except ApiError as refused:
            for name, who, _ in limits:
                await ratelimit.count_failure(state.redis, name, who)
            failed = Form({"email": form.email}, refused.errors)
            return page("login.html", visitor.language, 422, visitor=visitor, form=failed, next=target)
        if visitor.token:  # a session this browser had ends: one browser, one session
            await accounts.log_out(db, visitor.token)
        # Several operators: the person chooses one first (the official portal's "select firm").
        response = _redirect(safe_next(target, HOME) if len(started.memberships) == 1 else "/web/firms")
        response.cookies.append(cookie(state.settings, SESSION_COOKIE, started.token, rules.session_hours * 3600))
        return response

    @post("/web/logout")
    async def logout(self, state: State, db: InTransaction, visitor: PageVisitor) -> Response[Any]:
        if visitor.token:
            await accounts.log_out(db, visitor.token)
        response = _redirect("/")
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @post("/web/language")
    async def choose_language(
        self, request: Request[Any, Any, Any], state: State, db: InTransaction, visitor: PageVisitor
    ) -> Response[Any]:
        values = await read_form(request)
        chosen = values.get("language", "")
        response = _redirect(safe_next(values.get("next"), "/"))
        if chosen in i18n.available():
            if visitor.session:
                await accounts.set_language(db, visitor.session.person_id, chosen)
            response.cookies.append(cookie(state.settings, LANGUAGE_COOKIE, chosen, 365 * 24 * 3600))
        return response

    @get("/web/password-reset")
    async def reset_ask_form(self, state: State, visitor: PageVisitor) -> Response[Any]:
        return answered(page("reset_ask.html", visitor.language, visitor=visitor, form=Form({})), state, visitor)

    @post("/web/password-reset")
    async def reset_ask(
        self, request: Request[Any, Any, Any], db: InTransaction, visitor: PageVisitor
    ) -> Response[Any]:
        form = decoded(await read_form(request), ResetAsked)
        if isinstance(form, Form):
            return page("reset_ask.html", visitor.language, 422, visitor=visitor, form=form)
        await accounts.ask_reset(db, form.email, visitor.language)
        return page("sent.html", visitor.language, visitor=visitor, address=form.email)

    @get("/web/password-reset/new")
    async def reset_form(
        self, state: State, visitor: PageVisitor, token: Annotated[str, QueryParameter(max_length=2000)] = ""
    ) -> Response[Any]:
        return answered(
            page("reset.html", visitor.language, visitor=visitor, form=Form({}), token=token), state, visitor
        )

    @post("/web/password-reset/new")
    async def reset(
        self, request: Request[Any, Any, Any], state: State, db: InTransaction, visitor: PageVisitor
    ) -> Response[Any]:
        values = await read_form(request)
        token = values.pop("token", "")
        form = decoded(values, NewPassword, secret=frozenset({"password"}))
        if isinstance(form, Form):
            return page("reset.html", visitor.language, 422, visitor=visitor, form=form, token=token)
        if not await accounts.reset_password(db, state.account_tokens, token, form):
            return page("message.html", visitor.language, 400, visitor=visitor, refused=refusal("", "link_invalid"))
        response = _redirect("/web/login")
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response
