"""Which authority is calling: ``x-api-key`` plus ``x-authority-id``, checked like operators' keys."""

import uuid
from typing import Any

import msgspec
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.handlers import BaseRouteHandler

from portal.errors import Forbidden, Unauthenticated
from portal.operators.auth import key_holder


class AuthorityPrincipal(msgspec.Struct, frozen=True):
    authority_id: uuid.UUID
    # The host country it inspects for: it sees declarations posted to this country only.
    country: str
    # The credential used, written to the audit log as "who".
    key_id: uuid.UUID


async def authenticate_authority(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Guard of the authority routes, run before the query is read."""
    api_key = connection.headers.get("x-api-key")
    if not api_key:
        raise Unauthenticated("the x-api-key header is required")
    holder = await key_holder(connection.app.state.db_pool, api_key)
    if holder is None or holder.authority_id is None:
        raise Unauthenticated("the API key is not valid for authorities (unknown or revoked)")
    claimed = connection.headers.get("x-authority-id", "").strip().lower()
    if not claimed:
        raise Unauthenticated("the x-authority-id header is required")
    if claimed != str(holder.authority_id):
        raise Forbidden("the API key does not belong to the authority named in x-authority-id")
    connection.state.authority = AuthorityPrincipal(holder.authority_id, holder.country, holder.key_id)


def authenticated_authority(connection: ASGIConnection[Any, Any, Any, Any]) -> AuthorityPrincipal:
    """The authority the guard authenticated for this request."""
    authority: AuthorityPrincipal = connection.state.authority
    return authority


# The authenticated authority: handlers declare ``authority: CurrentAuthority``.
CurrentAuthority = NamedDependency[AuthorityPrincipal]
