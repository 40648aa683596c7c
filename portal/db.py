"""PostgreSQL access: the pool, its codecs, the two kinds of connection, and migrations."""

import asyncio
import contextlib
import importlib.resources
from collections.abc import AsyncIterator
from typing import Any, NewType, cast

import asyncpg
import asyncpg.pool
import msgspec

# Any advisory-lock number will do, as long as every migrating process uses the same one.
_MIGRATION_LOCK = 0x706F7274616C


def _encode_json(value: Any) -> str:
    return msgspec.json.encode(value).decode()


async def _init_connection(connection: asyncpg.Connection) -> None:
    # Codecs are per connection, so they are set here, for every connection the pool opens.
    for json_type in ("json", "jsonb"):
        await connection.set_type_codec(
            json_type, schema="pg_catalog", encoder=_encode_json, decoder=msgspec.json.decode, format="text"
        )


async def _no_reset(connection: asyncpg.Connection) -> None:
    """Connections go back to the pool as they are.

    The portal never changes session state (no SET, LISTEN or session advisory locks; the
    migration lock is transaction-scoped), so asyncpg's default reset query would cost one
    round trip per request and undo nothing.
    """


async def create_pool(database_url: str, *, min_size: int = 2, max_size: int = 10) -> asyncpg.Pool:
    """The pool of a process.

    Every statement is planned once per connection (asyncpg prepares each and keeps it): the
    portal's statements find rows by key, so the generic plan is the plan, and PostgreSQL's
    default of planning the first executions anew each, and any whose generic plan it judged
    costlier, spent more time planning a submission than running it (measured: 0.9 ms of 2.4).
    """
    settings = {
        # UTC everywhere: "today" for expiry and submission is the UTC date.
        "timezone": "UTC",
        "application_name": "portal",
        # Bulk filing stages batches in a temporary table: room for them in memory.
        "temp_buffers": "64MB",
        # Short statements over many partitions looked costly enough to be compiled, which then
        # took a hundred times longer than running them (measured on 20M declarations).
        "jit": "off",
        "plan_cache_mode": "force_generic_plan",
        # No parallel workers: every statement of the portal reads a few rows by an index, and a
        # plan that started two workers for a roadside look-up spent 10 ms starting them
        # (measured on 20M declarations; the plan's guess of the rows a plate matches was high).
        "max_parallel_workers_per_gather": "0",
    }
    pool = await asyncpg.create_pool(
        database_url,
        min_size=min_size,
        max_size=max_size,
        init=_init_connection,
        reset=_no_reset,
        server_settings=settings,
    )
    assert pool is not None
    return pool


async def close_pool(pool: asyncpg.Pool, grace_seconds: float = 10.0) -> None:
    """Close gracefully, but not forever: a request cancelled at shutdown never gives its
    connection back, and a plain ``close()`` would wait for it without end."""
    try:
        await asyncio.wait_for(pool.close(), grace_seconds)
    except TimeoutError:
        pool.terminate()


def _migrations() -> list[tuple[str, str]]:
    folder = importlib.resources.files("schemas") / "migrations"
    files = sorted(entry.name for entry in folder.iterdir() if entry.name.endswith(".sql"))
    return [(name.removesuffix(".sql"), (folder / name).read_text()) for name in files]


async def migrate(database_url: str, *, until: str | None = None) -> list[str]:
    """Apply the SQL files of ``schemas/migrations`` not yet applied, in name order (up to and
    including ``until``, all by default); return their names."""
    connection = await asyncpg.connect(database_url)
    applied: list[str] = []
    try:
        async with connection.transaction():
            # Several processes may start at once (server workers, test workers): one migrates.
            await connection.execute("SELECT pg_advisory_xact_lock($1)", _MIGRATION_LOCK)
            await connection.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations"
                " (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = {row["version"] for row in await connection.fetch("SELECT version FROM schema_migrations")}
            for version, sql in _migrations():
                if until is not None and version > until:
                    break
                if version in done:
                    continue
                await connection.execute(sql)
                await connection.execute("INSERT INTO schema_migrations (version) VALUES ($1)", version)
                applied.append(version)
    finally:
        await connection.close()
    return applied


# What a connection is doing says what it may be used for, and mypy holds every caller to it:
# repository functions that write, or that need what they read to stay true until the end, take
# a Transaction; a look-up that does all its work in one statement takes an Autocommit; plain
# reads take either (asyncpg.Connection).
Transaction = NewType("Transaction", asyncpg.Connection)
"""A connection inside a transaction that its request or job owns and commits."""
Autocommit = NewType("Autocommit", asyncpg.Connection)
"""A connection outside any transaction: each statement is committed on its own."""


def unproxied(connection: "asyncpg.pool.PoolConnectionProxy[asyncpg.Record]") -> asyncpg.Connection:
    """A pool's connection as the connection it stands in for (it passes every call on)."""
    return cast(asyncpg.Connection, connection)


@contextlib.asynccontextmanager
async def connection(pool: asyncpg.Pool) -> AsyncIterator[asyncpg.Connection]:
    """A connection of ``pool``, outside any transaction, given back when the block ends."""
    async with pool.acquire() as proxy:
        yield unproxied(proxy)


@contextlib.asynccontextmanager
async def transaction(source: asyncpg.Pool | asyncpg.Connection) -> AsyncIterator[Transaction]:
    """A transaction on a connection of ``source`` (a pool, or a connection not in one), committed
    when the block ends and rolled back if it raises."""
    if isinstance(source, asyncpg.Pool):
        async with source.acquire() as proxy, proxy.transaction():
            yield Transaction(unproxied(proxy))
    else:
        async with source.transaction():
            yield Transaction(source)
