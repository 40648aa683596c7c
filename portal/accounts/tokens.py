"""The links of account e-mails: signed and timed (itsdangerous), so nothing is stored for them.

A confirmation link names the person; a reset link (and an invitation's, which chooses the
first password) also names the time their password was last changed, so it stops working once
it has been used (or the password changed otherwise).
"""

import datetime
import uuid
from typing import Literal

from itsdangerous import BadSignature, URLSafeTimedSerializer

Purpose = Literal["CONFIRM", "RESET", "INVITE"]

# How long each link works.
MAX_AGE_SECONDS: dict[Purpose, int] = {"CONFIRM": 7 * 24 * 3600, "RESET": 3600, "INVITE": 7 * 24 * 3600}


class Tokens:
    def __init__(self, secret_key: str) -> None:
        self._serializers = {
            purpose: URLSafeTimedSerializer(secret_key, salt=f"portal.accounts.{purpose.lower()}")
            for purpose in MAX_AGE_SECONDS
        }

    def made(self, purpose: Purpose, person_id: uuid.UUID, password_changed_at: datetime.datetime) -> str:
        payload = [str(person_id)] if purpose == "CONFIRM" else [str(person_id), password_changed_at.isoformat()]
        token: str = self._serializers[purpose].dumps(payload)
        return token

    def read(self, purpose: Purpose, token: str) -> tuple[uuid.UUID, str | None] | None:
        """The person a valid token names (and, for a reset, the time it was made for), else None."""
        try:
            payload = self._serializers[purpose].loads(token, max_age=MAX_AGE_SECONDS[purpose])
            return uuid.UUID(payload[0]), (payload[1] if len(payload) > 1 else None)
        except (BadSignature, ValueError, TypeError, IndexError):
            return None
