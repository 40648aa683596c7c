"""Passwords, hashed with argon2id (argon2-cffi's defaults, RFC 9106's second recommendation)."""

import argon2

_HASHER = argon2.PasswordHasher()
# Checked against when no account has the address, so that an unknown address takes as long
# to refuse as a wrong password (no account enumeration by timing).
_NOBODY = _HASHER.hash("no account has this address")

MIN_LENGTH = 10
MAX_LENGTH = 256


def hashed(password: str) -> str:
    return _HASHER.hash(password)


def matches(stored: str | None, password: str) -> bool:
    """Whether ``password`` is the one ``stored`` was made of; None (no account) takes as long."""
    try:
        return _HASHER.verify(stored or _NOBODY, password) and stored is not None
    except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
        return False


def outdated(stored: str) -> bool:
    """Whether ``stored`` was made with weaker parameters than today's (then it is made again)."""
    return _HASHER.check_needs_rehash(stored)
