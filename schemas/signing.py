"""The public keys that verify the signed payload of a declaration's QR code (``GET /verify/keys``).

A JSON Web Key Set (RFC 7517) of Ed25519 keys (RFC 8037): a verifier saves it to check codes
offline, and fetches it again now and then for the keys made since.
"""

from typing import Annotated, Literal

import msgspec

from schemas.base import ResponseBody, Timestamp

Base64Url = Annotated[str, msgspec.Meta(pattern="^[A-Za-z0-9_-]+$", description="base64url, unpadded")]


class VerificationKey(ResponseBody, kw_only=True):
    """One public key: ``kid`` is the key id of the code's COSE header, ``x`` the raw key."""

    kty: Literal["OKP"]
    crv: Literal["Ed25519"]
    alg: Literal["EdDSA"]
    use: Literal["sig"]
    kid: Base64Url
    x: Base64Url
    # The current key signs the codes printed now; a retired one signed codes printed before.
    status: Literal["current", "retired"]
    created_at: Timestamp
    retired_at: Timestamp | None


class VerificationKeys(ResponseBody, kw_only=True):
    """Every key the portal signed codes with, newest first."""

    keys: list[VerificationKey]
