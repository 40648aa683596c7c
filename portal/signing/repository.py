"""SQL of signing keys: the current one, the first one made, a rotation, the published list."""

import datetime
from typing import NamedTuple

import asyncpg

from portal.db import Transaction

# Rotations and the making of the first key take this transaction-scoped lock, so that two at
# once retire one key each in turn, and a rotation never meets a first key still uncommitted
# (any number will do, as long as it is not another lock's: the migrations take 0x706F7274616C).
_KEYS_LOCK = 0x7369676E696E67


class NewKey(NamedTuple):
    kid: bytes
    algorithm: str
    public_key: bytes
    # PKCS#8, encrypted with the portal's secret.
    private_key: bytes


class CurrentKey(NamedTuple):
    kid: bytes
    private_key: bytes


class PublishedKey(NamedTuple):
    kid: bytes
    algorithm: str
    public_key: bytes
    created_at: datetime.datetime
    retired_at: datetime.datetime | None


async def current(db: asyncpg.Connection) -> CurrentKey | None:
    """The key that signs now: the one not retired (the partial unique index allows one)."""
    row = await db.fetchrow(
        "SELECT kid, private_key FROM signing_keys WHERE retired_at IS NULL ORDER BY created_at DESC LIMIT 1"
    )
    return None if row is None else CurrentKey(row[0], row[1])


async def add_first(db: Transaction, key: NewKey) -> None:
    """Make ``key`` current unless a key is: of two renderers at once, the second waits for the
    first's transaction and then inserts nothing (the partial unique index on current keys)."""
    await db.execute("SELECT pg_advisory_xact_lock($1)", _KEYS_LOCK)
    await db.execute(
        """
        INSERT INTO signing_keys (kid, algorithm, public_key, private_key) VALUES ($1, $2, $3, $4)
        ON CONFLICT DO NOTHING
        """,
        *key,
    )


async def rotate(db: Transaction, key: NewKey) -> None:
    """Retire the current key, if any, and make ``key`` current."""
    await db.execute("SELECT pg_advisory_xact_lock($1)", _KEYS_LOCK)
    # After the lock: a rotation that went first has committed, and its key is the one retired,
    # as of now: that rotation's transaction may have started after this one.
    await db.execute("UPDATE signing_keys SET retired_at = clock_timestamp() WHERE retired_at IS NULL")
    await db.execute("INSERT INTO signing_keys (kid, algorithm, public_key, private_key) VALUES ($1, $2, $3, $4)", *key)


async def published(db: asyncpg.Connection | asyncpg.Pool) -> list[PublishedKey]:
    """Every key, current and retired, newest first: the codes signed by a retired key stay
    verifiable."""
    rows = await db.fetch(
        "SELECT kid, algorithm, public_key, created_at, retired_at FROM signing_keys ORDER BY created_at DESC, kid"
    )
    return [PublishedKey(*row) for row in rows]
