"""The events authorities are forwarded, built from the feed's rows, and their one encoding."""

import uuid

import asyncpg
import msgspec

from portal.declarations import storage
from portal.declarations.repository import fetch_versions
from portal.forwarding.feed_repository import FedEvent
from schemas.forwarding import EventBatch, ForwardedEvent

_ENCODER = msgspec.json.Encoder()


def event_id(declaration_id: uuid.UUID, version: int) -> str:
    return f"{declaration_id}:{version}"


async def events_of(db: asyncpg.Connection, fed: list[FedEvent]) -> list[ForwardedEvent]:
    """The events of ``fed``, in its order, each with the declaration as of its version; those
    whose declaration retention has deleted are left out."""
    versions = await fetch_versions(db, [(event.declaration_id, event.version) for event in fed])
    events = []
    for event in fed:
        found = versions.get((event.declaration_id, event.version))
        if found is not None:
            events.append(
                ForwardedEvent(
                    event_id=event_id(event.declaration_id, event.version),
                    type=event.event_type,  # type: ignore[arg-type]
                    version=event.version,
                    declaration=storage.recorded_of(*found),
                )
            )
    return events


def batch_body(events: list[ForwardedEvent]) -> bytes:
    """The body of a POST: the same bytes for the same events, whenever they are encoded."""
    return _ENCODER.encode(EventBatch(events=events))
