"""Which authority is calling: ``x-api-key`` plus ``x-authority-id``, checked like operators' keys."""

import uuid
from typing import Any

import msgspec
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.handlers import BaseRouteHandler

from portal.operators.auth import claimed_key_holder


class AuthorityPrincipal(msgspec.Struct, frozen=True):
    authority_id: uuid.UUID
    # The host country it inspects for: it sees declarations posted to this country only.
    country: str
    # The credential used, written to the audit log as "who".
    key_id: uuid.UUID


async def authenticate_authority(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Guard of the authority routes, run before the query is read."""
    holder, authority_id = await claimed_key_holder(connection, "authority")
    connection.state.authority = AuthorityPrincipal(authority_id, holder.country, holder.key_id)


def authenticated_authority(connection: ASGIConnection[Any, Any, Any, Any]) -> AuthorityPrincipal:
    """The authority the guard authenticated for this request."""
    authority: AuthorityPrincipal = connection.state.authority
    return authority


# The authenticated authority: handlers declare ``authority: CurrentAuthority``.
CurrentAuthority = NamedDependency[AuthorityPrincipal]
