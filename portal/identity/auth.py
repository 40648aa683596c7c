"""Who is calling: ``x-api-key`` plus ``x-operator-id`` (as in the official interface) or
``x-authority-id``, checked by guards before the body or the query is even read, so that an
unauthenticated caller learns nothing about what its request would have done.

Keys are looked up by their SHA-256 and the answer is kept for ``auth.cache_seconds`` in each
process, so a busy client costs one query per few seconds, and a revoked key stops working
within that time.
"""

import time
import uuid
from typing import Any, Literal

import asyncpg
import msgspec
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.handlers import BaseRouteHandler

from portal.db import Autocommit, Transaction
from portal.errors import Forbidden, Unauthenticated
from portal.identity.repository import find_key_holder
from portal.ids import secret_hash


class KeyHolder(msgspec.Struct, frozen=True):
    key_id: uuid.UUID
    operator_id: uuid.UUID | None
    authority_id: uuid.UUID | None
    country: str


class OperatorPrincipal(msgspec.Struct, frozen=True):
    operator_id: uuid.UUID
    establishment_country: str


class AuthorityPrincipal(msgspec.Struct, frozen=True):
    authority_id: uuid.UUID
    # The host country it inspects for: it sees declarations posted to this country only.
    country: str
    # The credential used, written to the audit log as "who".
    key_id: uuid.UUID


class KeyCache:
    """Key holders by key hash, each for ``seconds``; one per application."""

    MAX_KEYS = 10_000

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._holders: dict[bytes, tuple[float, KeyHolder | None]] = {}

    async def holder(self, pool: asyncpg.Pool, api_key: str) -> KeyHolder | None:
        digest = secret_hash(api_key)
        now = time.monotonic()
        cached = self._holders.get(digest)
        if cached and cached[0] > now:
            return cached[1]
        row = await find_key_holder(pool, digest)
        holder = KeyHolder(row["id"], row["operator_id"], row["authority_id"], row["country"]) if row else None
        if len(self._holders) >= self.MAX_KEYS:
            self._holders.clear()
        self._holders[digest] = (now + self.seconds, holder)
        return holder

    def clear(self) -> None:
        self._holders.clear()


async def claimed_key_holder(
    connection: ASGIConnection[Any, Any, Any, Any], kind: Literal["operator", "authority"]
) -> tuple[KeyHolder, uuid.UUID]:
    """The holder of ``x-api-key``, which must be the operator or authority that the request's
    ``x-operator-id`` / ``x-authority-id`` names; returns it with that id."""
    api_key = connection.headers.get("x-api-key")
    if not api_key:
        raise Unauthenticated.of("x-api-key", "key_required")
    state = connection.app.state
    holder = await state.key_cache.holder(state.db_pool, api_key)
    holder_id = None if holder is None else holder.operator_id if kind == "operator" else holder.authority_id
    if holder is None or holder_id is None:
        audience = "operators" if kind == "operator" else "authorities"
        raise Unauthenticated.of("x-api-key", "key_invalid", audience=audience)
    header = f"x-{kind}-id"
    claimed = connection.headers.get(header, "").strip().lower()
    if not claimed:
        raise Unauthenticated.of(header, "id_required", header=header)
    if claimed != str(holder_id):
        raise Forbidden.of(header, "key_not_yours", kind=kind, header=header)
    return holder, holder_id


async def authenticate_operator(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Guard of the operator routes."""
    holder, operator_id = await claimed_key_holder(connection, "operator")
    connection.state.operator = OperatorPrincipal(operator_id, holder.country)


async def authenticate_authority(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Guard of the authority routes."""
    holder, authority_id = await claimed_key_holder(connection, "authority")
    connection.state.authority = AuthorityPrincipal(authority_id, holder.country, holder.key_id)


def authenticated_operator(connection: ASGIConnection[Any, Any, Any, Any]) -> OperatorPrincipal:
    """The operator the guard authenticated for this request."""
    operator: OperatorPrincipal = connection.state.operator
    return operator


def authenticated_authority(connection: ASGIConnection[Any, Any, Any, Any]) -> AuthorityPrincipal:
    """The authority the guard authenticated for this request."""
    authority: AuthorityPrincipal = connection.state.authority
    return authority


# The two providers name the request's connection (``db``) without using it: litestar then
# resolves the two one after the other instead of starting a task group for them on every
# request (measured: about a tenth more requests a second). Handlers without a connection use
# ``authenticated_operator``.


def provide_operator(request: Request[Any, Any, Any], db: NamedDependency[Transaction]) -> OperatorPrincipal:
    return authenticated_operator(request)


def provide_authority(request: Request[Any, Any, Any], db: NamedDependency[Autocommit]) -> AuthorityPrincipal:
    return authenticated_authority(request)


# Handlers declare ``operator: CurrentOperator`` or ``authority: CurrentAuthority``.
CurrentOperator = NamedDependency[OperatorPrincipal]
CurrentAuthority = NamedDependency[AuthorityPrincipal]
