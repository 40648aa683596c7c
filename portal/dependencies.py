"""The connections handlers are given: the request's transaction, or one statement's connection."""

from collections.abc import AsyncGenerator
from typing import Any

import asyncpg
from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency

from portal import idempotency
from portal.db import Autocommit, Transaction, unproxied


async def provide_transaction(state: State, request: Request[Any, Any, Any]) -> AsyncGenerator[Transaction, None]:
    """One transaction per request, committed before the response is sent.

    Litestar closes this generator after the handler returns and before the status line goes
    out, so a failed commit becomes an error answer, never a 2xx for lost work. An exception
    raised by the handler is thrown in here and rolls everything back, the idempotency claim too.
    """
    pool: asyncpg.Pool = state.db_pool
    async with pool.acquire() as connection, connection.transaction():
        db = Transaction(unproxied(connection))
        await idempotency.claim(db, request)
        yield db
        await idempotency.remember(db, request)


async def provide_single_statement(state: State) -> AsyncGenerator[Autocommit, None]:
    """A connection for handlers that do all their work in one SQL statement.

    The statement is its own transaction, committed before the handler returns: an audited
    look-up reads its answer and writes its audit row together, and saves the two round trips
    of BEGIN and COMMIT. Its pool plans each statement once (see portal.db.create_pool).
    """
    pool: asyncpg.Pool = state.lookup_pool
    async with pool.acquire() as connection:
        yield Autocommit(unproxied(connection))


# Operator handlers declare ``db: InTransaction``; authority handlers ``db: OneStatement``.
InTransaction = NamedDependency[Transaction]
OneStatement = NamedDependency[Autocommit]
