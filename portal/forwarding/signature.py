"""Signing batches as the Standard Webhooks specification v1 says, and keeping the secrets.

A secret is ``whsec_`` + base64 of 32 random bytes; a batch's ``webhook-signature`` is ``v1,``
+ base64 of HMAC-SHA256 over ``{webhook-id}.{webhook-timestamp}.{body}`` with the secret's
bytes, one such signature per secret, space-separated, while a rotation overlaps. The secrets
are stored encrypted with a key derived from the portal's secret: the HMAC needs them whole.
"""

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PREFIX = "whsec_"


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _secret_bytes(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(PREFIX))


def signature(secrets_: Sequence[str], webhook_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header of ``body``: one ``v1,`` signature per secret."""
    signed = b"%s.%d.%s" % (webhook_id.encode(), timestamp, body)
    return " ".join(
        "v1," + base64.b64encode(hmac.digest(_secret_bytes(secret), signed, hashlib.sha256)).decode()
        for secret in secrets_
    )


def webhook_id(endpoint_id: str, event_ids: Sequence[str]) -> str:
    """A batch's id: the same for every attempt to send the same events to the same endpoint,
    another for any other batch (a receiver that deduplicates on it loses nothing)."""
    digest = hashlib.sha256("\n".join([endpoint_id, *event_ids]).encode()).digest()
    return "msg_" + base64.b32encode(digest[:20]).decode().lower()


class SecretUnreadable(RuntimeError):
    pass


class SecretBox:
    """Encrypts endpoint secrets at rest with a key derived from the portal's secret."""

    def __init__(self, portal_secret: str) -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"portal forwarding secrets").derive(
            portal_secret.encode()
        )
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def seal(self, secret: str) -> bytes:
        return self._fernet.encrypt(secret.encode())

    def open(self, sealed: bytes) -> str:
        try:
            return self._fernet.decrypt(sealed).decode()
        except InvalidToken:
            raise SecretUnreadable(
                "an endpoint's secret cannot be decrypted with this portal's secret (PORTAL_SECRET_KEY, or the"
                " data folder's secret.key, changed?): rotate the endpoint's secret"
            ) from None
