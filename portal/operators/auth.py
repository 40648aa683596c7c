"""Who is calling: ``x-api-key`` plus ``x-operator-id``, as in the official interface.

Keys are looked up by their SHA-256 and the answer is kept for ``auth_cache_seconds`` in each
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

from portal.db import Db
from portal.errors import Forbidden, Unauthenticated
from portal.ids import secret_hash
from portal.operators.repository import find_key_holder
from portal.settings import get_settings


class KeyHolder(msgspec.Struct, frozen=True):
    key_id: uuid.UUID
    operator_id: uuid.UUID | None
    authority_id: uuid.UUID | None
    country: str


class OperatorPrincipal(msgspec.Struct, frozen=True):
    operator_id: uuid.UUID
    establishment_country: str


_holders: dict[bytes, tuple[float, KeyHolder | None]] = {}
_MAX_CACHED = 10_000


async def key_holder(pool: asyncpg.Pool, api_key: str) -> KeyHolder | None:
    digest = secret_hash(api_key)
    now = time.monotonic()
    cached = _holders.get(digest)
    if cached and cached[0] > now:
        return cached[1]
    row = await find_key_holder(pool, digest)
    holder = KeyHolder(row["id"], row["operator_id"], row["authority_id"], row["country"].strip()) if row else None
    if len(_holders) >= _MAX_CACHED:
        _holders.clear()
    _holders[digest] = (now + get_settings().auth_cache_seconds, holder)
    return holder


def forget_cached_keys() -> None:
    _holders.clear()


async def claimed_key_holder(
    connection: ASGIConnection[Any, Any, Any, Any], kind: Literal["operator", "authority"]
) -> tuple[KeyHolder, uuid.UUID]:
    """The holder of ``x-api-key``, which must be the operator or authority that the request's
    ``x-operator-id`` / ``x-authority-id`` names; returns it with that id."""
    api_key = connection.headers.get("x-api-key")
    if not api_key:
        raise Unauthenticated("the x-api-key header is required")
    holder = await key_holder(connection.app.state.db_pool, api_key)
    holder_id = None if holder is None else holder.operator_id if kind == "operator" else holder.authority_id
    if holder is None or holder_id is None:
        audience = "operators" if kind == "operator" else "authorities"
        raise Unauthenticated(f"the API key is not valid for {audience} (unknown or revoked)")
    header = f"x-{kind}-id"
    claimed = connection.headers.get(header, "").strip().lower()
    if not claimed:
        raise Unauthenticated(f"the {header} header is required")
    if claimed != str(holder_id):
        raise Forbidden(f"the API key does not belong to the {kind} named in {header}")
    return holder, holder_id


async def authenticate_operator(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Guard of the operator routes: it runs before the body or the query is even read.

    So an unauthenticated caller learns nothing about what its request would have done.
    """
    holder, operator_id = await claimed_key_holder(connection, "operator")
    connection.state.operator = OperatorPrincipal(operator_id, holder.country)


def authenticated_operator(connection: ASGIConnection[Any, Any, Any, Any]) -> OperatorPrincipal:
    """The operator the guard authenticated for this request."""
    operator: OperatorPrincipal = connection.state.operator
    return operator


def provide_operator(request: Request[Any, Any, Any], db: Db) -> OperatorPrincipal:
    """The operator the guard authenticated, for handlers that also use the transaction.

    It names the request's transaction (``db``) without using it: litestar then resolves the two
    one after the other instead of starting a task group for them on every request (measured:
    about a tenth more requests a second). Handlers without a transaction use
    ``authenticated_operator``.
    """
    return authenticated_operator(request)


# The authenticated operator: handlers declare ``operator: CurrentOperator``.
CurrentOperator = NamedDependency[OperatorPrincipal]
