"""What the ``portal`` commands share: the settings from the environment, and a database to act on."""

import asyncio
import functools
from collections.abc import Awaitable, Callable
from typing import TypeVar

import asyncpg
import click
import msgspec

from portal.db import Transaction, transaction
from portal.settings import Settings, read_settings

T = TypeVar("T")


@functools.cache
def settings() -> Settings:
    """The settings of this command, read once from the environment."""
    try:
        return read_settings()
    except msgspec.ValidationError as problem:
        raise click.UsageError(f"bad setting in the environment: {problem}") from None


def on_database(action: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
    """Run ``action`` on a connection (outside a transaction) to a migrated database:
    DATABASE_URL, or the embedded one under the data folder."""
    from portal.db import migrate
    from portal.embedded import services_for

    chosen = settings()

    async def run(database_url: str) -> T:
        await migrate(database_url)
        db = await asyncpg.connect(database_url, server_settings={"timezone": "UTC"})
        try:
            return await action(db)
        finally:
            await db.close()

    with services_for(chosen.database.url, "-", chosen.data_dir) as (database_url, _):
        return asyncio.run(run(database_url))


def in_transaction(action: Callable[[Transaction], Awaitable[T]]) -> T:
    """Run ``action`` in one transaction on a migrated database (see on_database)."""

    async def transacted(db: asyncpg.Connection) -> T:
        async with transaction(db) as tx:
            return await action(tx)

    return on_database(transacted)


def refusing_bad_values(action: Callable[[], T]) -> T:
    """Run ``action``; a value it refuses is the command line's bad parameter."""
    try:
        return action()
    except ValueError as problem:
        raise click.BadParameter(str(problem)) from None
