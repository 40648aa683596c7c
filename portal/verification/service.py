"""The verdict on a version: valid today, or why not, with what an inspector compares."""

import base64
import binascii
import datetime

import asyncpg

from portal import clock
from portal import db as database
from portal.declarations import repository as declarations
from portal.declarations.storage import StoredDeclaration
from portal.identity import repository as identity
from portal.verification import repository
from schemas.verification import NotValidBecause, Verification


def token_of(text: str) -> bytes | None:
    """The token a URL carries (unpadded base64url), or None if it cannot be one."""
    try:
        token = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
    return token if len(token) >= 16 else None


def why_not(
    stored: StoredDeclaration, current_version: int, current_status: str, today: datetime.date
) -> NotValidBecause | None:
    """Why the version is not valid ``today``, None if it is. A withdrawal is said first: it ends
    the declaration, whichever version the paper in the cab shows."""
    if current_status == "WITHDRAWN":
        return "WITHDRAWN"
    if current_version > stored.version:
        return "SUPERSEDED"
    if today < stored.start_date:
        return "NOT_STARTED"
    if today > stored.end_date:
        return "EXPIRED"
    return None


async def verify(pool: asyncpg.Pool, token: bytes) -> Verification | None:
    """The verification of the version ``token`` names, None if it names none."""
    # One snapshot: the version, its driver and its operator as of one moment.
    async with database.transaction(pool) as db:
        named = await repository.named_by(db, token)
        if named is None:
            return None
        stored = await declarations.fetch_version(db, named.declaration_id, named.version)
        if stored is None:
            return None
        driver = await declarations.fetch_driver_version(db, stored.driver_id, stored.driver_version)
        operator = await identity.fetch_operator(db, stored.operator_id)
    assert operator is not None  # an operator outlives its declarations
    today = clock.today()
    reason = why_not(stored, named.current_version, named.current_status, today)
    return Verification(
        valid=reason is None,
        reason=reason,
        checked_on=today,
        declaration_id=stored.id,
        declaration_version=stored.version,
        current_version=named.current_version,
        declaration_posting_country=stored.posting_country,
        declaration_start_date=stored.start_date,
        declaration_end_date=stored.end_date,
        vehicle_plates=[
            *(stored.plates_heavy or []),
            *(stored.plates_light or []),
            *(stored.plates_passengers or []),
        ],
        operator_name=operator.name,
        driver_latin_first_name=driver.latin_first_name,
        driver_latin_last_name=driver.latin_last_name,
        driver_date_of_birth=driver.date_of_birth,
    )
