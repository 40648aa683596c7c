"""Each record's outcome, kept a batch to a row: encoded here, read back here."""

import uuid

import msgspec

from schemas.bulk import BulkResult
from schemas.errors import FieldError


class Outcome(msgspec.Struct, frozen=True, gc=False):
    """One record's outcome as stored: its declaration's id, or what was wrong with it."""

    position: int
    client_reference: str | None
    declaration_id: uuid.UUID | None = None
    errors: list[FieldError] = []


_encoder = msgspec.msgpack.Encoder(uuid_format="bytes")
_decoder = msgspec.msgpack.Decoder(list[Outcome])


def encode(outcomes: list[Outcome]) -> bytes:
    """A batch's outcomes, in position order."""
    return _encoder.encode(outcomes)


def results(stored: bytes) -> list[BulkResult]:
    return [
        BulkResult(
            position=outcome.position,
            client_reference=outcome.client_reference,
            declaration_id=outcome.declaration_id,
            errors=outcome.errors,
        )
        for outcome in _decoder.decode(stored)
    ]
