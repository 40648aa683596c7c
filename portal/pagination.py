"""Keyset pagination with opaque cursors.

Pages are ordered by id (UUIDv7, so by creation): a cursor is the last id of a page, and the
next page starts strictly after it, so rows inserted meanwhile never shift or repeat a page.
"""

import base64
import binascii
import uuid

from portal.errors import ApiError


class BadCursor(ApiError):
    pass


def encode_cursor(last_id: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(last_id.bytes).decode().rstrip("=")


def decode_cursor(start_key: str | None) -> uuid.UUID | None:
    if not start_key:
        return None
    try:
        return uuid.UUID(bytes=base64.urlsafe_b64decode(start_key + "=" * (-len(start_key) % 4)))
    except (ValueError, binascii.Error):
        raise BadCursor.of("startKey", "bad_cursor") from None


def next_cursor(ids: list[uuid.UUID], limit: int) -> str | None:
    """The cursor of the next page, or None when this page is the last one.

    Callers fetch ``limit + 1`` rows: the extra row only says whether a next page exists.
    """
    return encode_cursor(ids[limit - 1]) if len(ids) > limit else None
