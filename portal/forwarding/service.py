"""Forwarding endpoints of authorities, their feed, and how a declaration stands with them.

Used alike by the authority API and ``portal admin``; the caller owns the transaction.
"""

import base64
import binascii
import datetime
import uuid

import asyncpg

from portal.db import Transaction
from portal.declarations.service import Forwarded
from portal.errors import ApiError, Conflict, NotFound, Unprocessable
from portal.forwarding import addresses, events, feed_repository, repository
from portal.forwarding.signature import SecretBox, new_secret
from portal.ids import new_id
from portal.secrets import secret_key
from portal.settings import Forwarding, Settings
from schemas.forwarding import AuthorityForwarding, Endpoint, EndpointList, EndpointSecret, Feed, Redriven

# The worst of an authority's endpoints is how a declaration stands with the authority.
_WORST_FIRST = ("DEAD", "FAILING", "PENDING", "FORWARDED")


class BadFeedCursor(ApiError):
    pass


def secret_box(settings: Settings) -> SecretBox:
    return SecretBox(secret_key(settings))


async def register(
    db: Transaction, settings: Settings, authority_id: uuid.UUID, url: str, resolver: addresses.Resolver | None = None
) -> EndpointSecret:
    """A new endpoint of the authority and its secret (shown once): it is sent every event of the
    authority's country filed from now on. The URL is refused unless it may be posted to."""
    await checked(url, settings.forwarding, resolver)
    endpoint_id = new_id()
    secret = new_secret()
    if not await repository.add_endpoint(db, endpoint_id, authority_id, url, secret_box(settings).seal(secret)):
        raise Conflict.of("url", "endpoint_exists")
    return EndpointSecret(endpoint_id=endpoint_id, url=url, secret=secret)


async def checked(url: str, rules: Forwarding, resolver: addresses.Resolver | None = None) -> addresses.Target:
    try:
        return await addresses.target(url, rules, resolver or addresses.resolve)
    except addresses.RefusedUrl as problem:
        raise Unprocessable.of("url", "endpoint_refused", reason=str(problem)) from None


async def listed(db: asyncpg.Connection, authority_id: uuid.UUID | None) -> EndpointList:
    return EndpointList(items=[endpoint_of(row) for row in await repository.endpoints(db, authority_id)])


async def one(db: asyncpg.Connection, endpoint_id: uuid.UUID, authority_id: uuid.UUID | None) -> Endpoint:
    for row in await repository.endpoints(db, authority_id, endpoint_id):
        return endpoint_of(row)
    raise NotFound.of("endpointId", "not_found", kind="endpoint")


def endpoint_of(row: asyncpg.Record) -> Endpoint:
    return Endpoint(**dict(row))


async def set_active(db: Transaction, endpoint_id: uuid.UUID, authority_id: uuid.UUID | None, active: bool) -> Endpoint:
    """Disable an endpoint (nothing is sent to it; its cursor stays) or enable it again."""
    state, reason = ("ACTIVE", None) if active else ("DISABLED", "disabled by its authority")
    if not await repository.set_state(db, endpoint_id, authority_id, state, reason):
        raise NotFound.of("endpointId", "not_found", kind="endpoint")
    return await one(db, endpoint_id, authority_id)


async def rotate(
    db: Transaction, settings: Settings, endpoint_id: uuid.UUID, authority_id: uuid.UUID | None, overlap_hours: int
) -> EndpointSecret:
    """A new secret for the endpoint (shown once); batches are signed with the one before too
    for ``overlap_hours``, so that the receiver can switch in that time."""
    endpoint = await one(db, endpoint_id, authority_id)
    secret = new_secret()
    overlap = datetime.timedelta(hours=overlap_hours)
    expires = await repository.rotate_secret(db, endpoint_id, secret_box(settings).seal(secret), overlap)
    return EndpointSecret(endpoint_id=endpoint_id, url=endpoint.url, secret=secret, previous_secret_expires_at=expires)


async def redrive(
    db: Transaction,
    endpoint_id: uuid.UUID,
    authority_id: uuid.UUID | None,
    since: datetime.datetime | None,
    until: datetime.datetime | None,
) -> Redriven:
    """Deliver again the endpoint's dead events filed in [since, until)."""
    await one(db, endpoint_id, authority_id)
    return Redriven(redriven=await feed_repository.redrive(db, endpoint_id, since, until))


def encode_cursor(position: int) -> str:
    return base64.urlsafe_b64encode(position.to_bytes(8, "big")).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (ValueError, binascii.Error):
        raise BadFeedCursor.of("after", "bad_feed_cursor") from None
    if len(raw) != 8:
        raise BadFeedCursor.of("after", "bad_feed_cursor")
    return int.from_bytes(raw, "big")


async def feed(db: asyncpg.Connection, country: str, after: str | None, limit: int) -> Feed:
    """The country's events after the cursor, in commit order: the ones pushed to endpoints."""
    position = decode_cursor(after)
    fed = await feed_repository.feed_page(db, country, position, limit)
    return Feed(events=await events.events_of(db, fed), next=encode_cursor(fed[-1].position if fed else position))


async def standing(
    db: asyncpg.Connection, declaration_id: uuid.UUID, version: int, country: str
) -> list[AuthorityForwarding]:
    """How the version stands with each authority of its host country that has an endpoint: the
    worst of its endpoints (forwarded once each has it)."""
    worst: dict[uuid.UUID, repository.Standing] = {}
    for row in await repository.standing(db, declaration_id, version, country):
        seen = worst.get(row.authority_id)
        if seen is None or _WORST_FIRST.index(row.state) < _WORST_FIRST.index(seen.state):
            worst[row.authority_id] = row
    return [
        AuthorityForwarding(
            authority_id=row.authority_id,
            authority_name=row.authority_name,
            state=row.state,  # type: ignore[arg-type]
            since=row.failing_since if row.state == "FAILING" else None,
        )
        for row in worst.values()
    ]


class Standing(Forwarded):
    """``standing``, for the handlers of declarations (see ``Forwarded``)."""

    async def standing(
        self, db: asyncpg.Connection, declaration_id: uuid.UUID, version: int, country: str
    ) -> list[AuthorityForwarding]:
        return await standing(db, declaration_id, version, country)
