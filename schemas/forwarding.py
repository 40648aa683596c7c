"""What authorities are forwarded (pushed to their endpoints, or read from their feed), and the
bodies of the endpoint routes."""

import datetime
import uuid
from typing import Annotated, Literal

import msgspec

from schemas.base import RequestBody, ResponseBody
from schemas.declarations import Declaration, RecordedDeclaration

EventType = Literal["SUBMITTED", "UPDATED", "WITHDRAWN"]
EndpointState = Literal["ACTIVE", "DISABLED"]
Url = Annotated[str, msgspec.Meta(min_length=8, max_length=2000, examples=["https://imi.example.gouv.fr/postings"])]


class ForwardedEvent(ResponseBody, kw_only=True):
    """A submission, update or withdrawal: the declaration as of that version.

    ``eventId`` is ``{declarationId}:{version}``: the same event always has the same id and the
    same body, so a receiver deduplicates on it; versions of a declaration arrive in order.
    """

    event_id: str
    type: EventType
    version: int
    declaration: RecordedDeclaration


class EventBatch(ResponseBody, kw_only=True):
    """The body of a POST to an endpoint (signed as Standard Webhooks v1 says)."""

    events: list[ForwardedEvent]


class Feed(ResponseBody, kw_only=True):
    """A page of the country's events in commit order. ``next`` is the cursor of the next page
    (``after=``), also when this one is the last so far: ask again later with it."""

    events: list[ForwardedEvent]
    next: str


class NewEndpoint(RequestBody, kw_only=True):
    url: Url


class SecretOverlap(RequestBody, kw_only=True):
    # How long the secret before keeps signing beside the new one.
    overlap_hours: Annotated[int, msgspec.Meta(ge=0, le=720)] = 24


class Endpoint(ResponseBody, kw_only=True):
    """A forwarding endpoint and how delivery to it stands."""

    endpoint_id: uuid.UUID
    authority_id: uuid.UUID
    posting_country: str
    url: str
    state: EndpointState
    disabled_reason: str | None
    created_at: datetime.datetime
    # Events of the country not yet delivered, and when the oldest of them was filed.
    backlog: int
    oldest_pending_at: datetime.datetime | None
    last_success_at: datetime.datetime | None
    # Failed attempts in a row, since when, and when the next attempt may be made.
    failure_streak: int
    failing_since: datetime.datetime | None
    next_attempt_at: datetime.datetime | None
    last_error: str | None
    # Events parked after an outage longer than the limit (re-drivable), and those re-driven not yet delivered.
    dead: int
    redriving: int


class EndpointList(ResponseBody, kw_only=True):
    items: list[Endpoint]


class EndpointSecret(ResponseBody, kw_only=True):
    """A new endpoint's or a rotation's secret, shown once: the receiver verifies with it."""

    endpoint_id: uuid.UUID
    url: str
    secret: str
    # During a rotation, the secret before is still signed with until then.
    previous_secret_expires_at: datetime.datetime | None = None


class Redrive(RequestBody, kw_only=True):
    """Which dead events to deliver again: those filed in [since, until) (either end open)."""

    since: datetime.datetime | None = None
    until: datetime.datetime | None = None


class Redriven(ResponseBody, kw_only=True):
    redriven: int


ForwardingState = Literal["FORWARDED", "PENDING", "FAILING", "DEAD"]


class AuthorityForwarding(ResponseBody, kw_only=True):
    """How the declaration's current version stands with one authority of its host country."""

    authority_id: uuid.UUID
    authority_name: str
    state: ForwardingState
    # FAILING: since when delivery to the authority has failed (else null).
    since: datetime.datetime | None


class ForwardedDeclaration(Declaration, kw_only=True):
    """A declaration as read back, with how its current version stands with each authority of
    its host country that has an endpoint (empty for a draft, or where none has)."""

    forwarding: list[AuthorityForwarding]
