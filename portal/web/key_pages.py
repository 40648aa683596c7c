"""The operator's API keys as a page, for its owners: the keys listed by label, a new one shown
once (only its hash is stored), a key revoked. A member is refused (403)."""

import uuid
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.params import FromPath
from litestar.response import Redirect

from portal.dependencies import InTransaction
from portal.identity import service as keys
from portal.identity.auth import OperatorPrincipal
from portal.web.forms import Form, decoded, read_form
from portal.web.guard import PageVisitor, owner_of
from portal.web.session import Visitor, answered
from portal.web.views import page
from schemas.accounts import KeyAsked


async def _keys_page(
    db: InTransaction,
    operator: OperatorPrincipal,
    visitor: Visitor,
    form: Form,
    shown: str = "",
    status_code: int = 200,
) -> Response[Any]:
    listed = await keys.operator_keys(db, operator.operator_id)
    return page("keys.html", visitor.language, status_code, visitor=visitor, keys=listed, form=form, shown=shown)


class KeyPages(Controller):
    path = "/web/keys"
    include_in_schema = False

    @get()
    async def key_list(
        self, request: Request[Any, Any, Any], state: State, db: InTransaction, visitor: PageVisitor
    ) -> Response[Any]:
        operator = owner_of(request, visitor)
        return answered(await _keys_page(db, operator, visitor, Form({})), state, visitor)

    @post()
    async def issue(self, request: Request[Any, Any, Any], db: InTransaction, visitor: PageVisitor) -> Response[Any]:
        operator = owner_of(request, visitor)
        asked = decoded(await read_form(request), KeyAsked)
        if isinstance(asked, Form):
            return await _keys_page(db, operator, visitor, asked, status_code=422)
        key = await keys.issue_operator_key(db, operator.operator_id, asked.label)
        # The key is shown on this answer only: it is not stored, and the page is not cached.
        return await _keys_page(db, operator, visitor, Form({}), shown=key)

    @post("/{key_id:uuid}/revoke")
    async def revoke(
        self, request: Request[Any, Any, Any], db: InTransaction, visitor: PageVisitor, key_id: FromPath[uuid.UUID]
    ) -> Response[Any]:
        operator = owner_of(request, visitor)
        await keys.revoke_operator_key(db, operator.operator_id, key_id)
        return Redirect("/web/keys", status_code=303)
