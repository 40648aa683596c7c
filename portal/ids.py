"""Identifiers and secrets."""

import hashlib
import secrets
import uuid

from uuid_utils.compat import uuid7


def new_id() -> uuid.UUID:
    """A UUIDv7: time-ordered, so B-tree inserts stay local and keyset pages follow creation order."""
    return uuid7()


def new_secret(prefix: str) -> str:
    """A 256-bit random secret, readable enough to paste."""
    return prefix + secrets.token_urlsafe(32)


def secret_hash(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()
