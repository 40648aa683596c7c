"""Registering operators and authorities and issuing their API keys."""

import uuid

import asyncpg

from portal import normalize
from portal.db import Transaction
from portal.identity import repository
from portal.ids import new_id, new_secret, secret_hash

OPERATOR_KEY_PREFIX = "pok_"
AUTHORITY_KEY_PREFIX = "pak_"


async def register_operator(
    db: Transaction, name: str, country: str, licence: str | None = None
) -> tuple[uuid.UUID, str]:
    """Create an operator and its first API key; return the id and the key (shown once, stored hashed)."""
    operator_id = await found_operator(db, name, country, licence)
    return operator_id, await issue_operator_key(db, operator_id, label="initial")


async def found_operator(db: Transaction, name: str, country: str, licence: str | None = None) -> uuid.UUID:
    """Create an operator without a key (one signed up on the web pages makes its keys there)."""
    operator_id = new_id()
    await repository.insert_operator(db, operator_id, normalize.text(name), normalize.country(country), licence)
    return operator_id


async def issue_operator_key(db: Transaction, operator_id: uuid.UUID, label: str) -> str:
    key = new_secret(OPERATOR_KEY_PREFIX)
    await repository.insert_api_key(db, new_id(), secret_hash(key), label, operator_id=operator_id)
    return key


async def operator_keys(db: asyncpg.Connection, operator_id: uuid.UUID) -> list[asyncpg.Record]:
    """The operator's live keys, by label (never their hashes), for its owners' page."""
    return await repository.operator_keys(db, operator_id)


async def revoke_operator_key(db: Transaction, operator_id: uuid.UUID, key_id: uuid.UUID) -> bool:
    return await repository.revoke_key(db, key_id, operator_id)


async def register_authority(db: Transaction, name: str, country: str) -> tuple[uuid.UUID, str]:
    authority_id = new_id()
    await repository.insert_authority(db, authority_id, normalize.text(name), normalize.posting_country(country))
    return authority_id, await issue_authority_key(db, authority_id, label="initial")


async def issue_authority_key(db: Transaction, authority_id: uuid.UUID, label: str) -> str:
    key = new_secret(AUTHORITY_KEY_PREFIX)
    await repository.insert_api_key(db, new_id(), secret_hash(key), label, authority_id=authority_id)
    return key


async def issue_key(db: Transaction, holder_id: uuid.UUID, label: str) -> str:
    """Another key for an operator or an authority; ValueError when the id names neither."""
    kind = await repository.holder_exists(db, holder_id)
    if kind == "operator":
        return await issue_operator_key(db, holder_id, label)
    if kind == "authority":
        return await issue_authority_key(db, holder_id, label)
    raise ValueError(f"{holder_id} is neither an operator nor an authority")
