"""The QR payload: claims as CBOR, signed as COSE_Sign1 (RFC 9052) with Ed25519, compressed and
Base45-encoded. Pure: no I/O, no clock, no database.

The text is ``PD1:`` and the Base45 of zlib(COSE_Sign1), where the COSE_Sign1 is CBOR tag 18 of
``[protected, {}, payload, signature]``, ``protected`` the CBOR of ``{1: -8, 4: kid}`` (EdDSA,
the key's id), ``payload`` the CBOR map of ``Claims`` under the small integer keys below, and
``signature`` Ed25519 over the Sig_structure ``["Signature1", protected, b"", payload]``.
"""

import base64
import datetime
import enum
import urllib.parse
import uuid
import zlib
from collections.abc import Mapping
from hashlib import sha256
from typing import Any, NamedTuple, TypeVar

import base45
import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

# Our own: a reader that knows another prefix knows another format (PD2 would be the next).
PREFIX = "PD1:"
SIGN1_TAG = 18
HEADER_ALG = 1
HEADER_KID = 4
ALG_EDDSA = -8
# A declaration holds at most 60 plates: its payload is far below this. A larger one is not
# ours, and zlib is not asked to inflate it (a small code could otherwise expand to gigabytes).
MAX_COSE_BYTES = 8192

T = TypeVar("T")


class Claim(enum.IntEnum):
    """The payload's keys: small integers, so that the code stays small. Never renumbered."""

    DECLARATION_ID = 1  # the declaration's UUID, 16 bytes
    VERSION = 2
    HOST_COUNTRY = 3  # ISO 3166-1 alpha-2
    START_DATE = 4  # ISO 8601 text, YYYY-MM-DD
    END_DATE = 5
    PLATES = 6  # every plate declared (passengers, light, heavy), as text


class Claims(NamedTuple):
    """What the code vouches for: enough to match the declaration to a vehicle at the roadside,
    and nothing that names a person (no driver, no document number)."""

    declaration_id: uuid.UUID
    version: int
    host_country: str
    start_date: datetime.date
    end_date: datetime.date
    plates: tuple[str, ...]


class Signed(NamedTuple):
    """A COSE_Sign1 read from a code, its claims decoded, its signature not yet checked."""

    kid: bytes
    protected: bytes
    payload: bytes
    signature: bytes
    claims: Claims


class Malformed(ValueError):
    """Not a payload of ours: the reason is the message."""


class Verdict(enum.StrEnum):
    VALID = "valid"
    UNKNOWN_KID = "unknown_kid"
    BAD_SIGNATURE = "bad_signature"


def key_id(public_key: bytes) -> bytes:
    """The first 8 bytes of the SHA-256 of the raw public key."""
    return sha256(public_key).digest()[:8]


def raw_public_key(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def from_b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# Deterministic CBOR (RFC 8949 §4.2, canonical): the same claims sign to the same bytes, so a
# version rendered twice is the same PDF.
def _cbor(value: Any) -> bytes:
    return cbor2.dumps(value, canonical=True)


def encode_claims(claims: Claims) -> bytes:
    return _cbor(
        {
            Claim.DECLARATION_ID: claims.declaration_id.bytes,
            Claim.VERSION: claims.version,
            Claim.HOST_COUNTRY: claims.host_country,
            Claim.START_DATE: claims.start_date.isoformat(),
            Claim.END_DATE: claims.end_date.isoformat(),
            Claim.PLATES: list(claims.plates),
        }
    )


def _sig_structure(protected: bytes, payload: bytes) -> bytes:
    return _cbor(["Signature1", protected, b"", payload])


def sign(claims: Claims, kid: bytes, private_key: Ed25519PrivateKey) -> bytes:
    """The COSE_Sign1 (tagged) of ``claims``, signed by the key ``kid``."""
    protected = _cbor({HEADER_ALG: ALG_EDDSA, HEADER_KID: kid})
    payload = encode_claims(claims)
    signature = private_key.sign(_sig_structure(protected, payload))
    return cbor2.dumps(cbor2.CBORTag(SIGN1_TAG, [protected, {}, payload, signature]))


def to_text(cose: bytes) -> str:
    """The payload as text: alphanumeric QR characters only (Base45)."""
    encoded: bytes = base45.b45encode(zlib.compress(cose, 9))
    return PREFIX + encoded.decode("ascii")


def in_url(url: str, text: str) -> str:
    """``url#text``, a valid URL: Base45's space and percent sign written %20 and %25 (its other
    characters are allowed in a fragment as they are)."""
    return f"{url}#{urllib.parse.quote(text, safe='$*+-./:')}"


def split_code(code: str) -> tuple[str | None, str | None]:
    """A scanned code as (verification URL, payload text): either may be missing (a code printed
    before payloads were signed has the URL only; the payload may have been scanned alone)."""
    code = code.strip()
    if code.startswith(PREFIX):
        return None, code
    url, hash_sign, fragment = code.partition("#")
    payload = urllib.parse.unquote(fragment) if hash_sign else ""
    return url or None, payload if payload.startswith(PREFIX) else None


def from_text(text: str) -> bytes:
    """The COSE_Sign1 bytes of a payload text."""
    if not text.startswith(PREFIX):
        raise Malformed(f"the payload does not start with {PREFIX}")
    try:
        compressed: bytes = base45.b45decode(text.removeprefix(PREFIX))
    except (ValueError, TypeError) as problem:
        raise Malformed(f"not Base45: {problem}") from None
    inflater = zlib.decompressobj()
    try:
        cose = inflater.decompress(compressed, MAX_COSE_BYTES)
    except zlib.error as problem:
        raise Malformed(f"not zlib: {problem}") from None
    if inflater.unconsumed_tail or not inflater.eof:
        raise Malformed("the payload is truncated or larger than a declaration's")
    return cose


def parse(cose: bytes) -> Signed:
    """The COSE_Sign1's parts and its claims, checked for form (not for the signature)."""
    try:
        message = cbor2.loads(cose)
    except Exception as problem:  # cbor2 raises what it likes on garbage (CBORDecodeError, ValueError, …)
        raise Malformed(f"not CBOR: {problem}") from None
    if not isinstance(message, cbor2.CBORTag) or message.tag != SIGN1_TAG:
        raise Malformed("not a COSE_Sign1 (CBOR tag 18)")
    parts = message.value
    if not isinstance(parts, list) or len(parts) != 4:
        raise Malformed("a COSE_Sign1 has four parts")
    protected, unprotected, payload, signature = parts
    if not all(isinstance(part, bytes) for part in (protected, payload, signature)) or not isinstance(
        unprotected, dict
    ):
        raise Malformed("the COSE_Sign1's parts are not bytes, a map, bytes, bytes")
    header = _map(protected, "protected header")
    if header.get(HEADER_ALG) != ALG_EDDSA:
        raise Malformed(f"the algorithm is {header.get(HEADER_ALG)!r}, not EdDSA (-8)")
    kid = header.get(HEADER_KID)
    if not isinstance(kid, bytes):
        raise Malformed("no key id in the protected header")
    return Signed(kid, protected, payload, signature, decode_claims(payload))


def _map(encoded: bytes, what: str) -> dict[Any, Any]:
    try:
        value = cbor2.loads(encoded)
    except Exception as problem:  # as in parse
        raise Malformed(f"the {what} is not CBOR: {problem}") from None
    if not isinstance(value, dict):
        raise Malformed(f"the {what} is not a map")
    return value


def decode_claims(payload: bytes) -> Claims:
    fields = _map(payload, "payload")
    try:
        declaration_id = uuid.UUID(bytes=_typed(fields, Claim.DECLARATION_ID, bytes))
        version = _typed(fields, Claim.VERSION, int)
        host_country = _typed(fields, Claim.HOST_COUNTRY, str)
        start_date = datetime.date.fromisoformat(_typed(fields, Claim.START_DATE, str))
        end_date = datetime.date.fromisoformat(_typed(fields, Claim.END_DATE, str))
        plates = _typed(fields, Claim.PLATES, list)
    except ValueError as problem:
        raise Malformed(f"a claim is malformed: {problem}") from None
    if not all(isinstance(plate, str) for plate in plates):
        raise Malformed("a plate is not text")
    return Claims(declaration_id, version, host_country, start_date, end_date, tuple(plates))


def _typed(fields: dict[Any, Any], claim: Claim, kind: type[T]) -> T:
    value = fields.get(int(claim))
    if not isinstance(value, kind) or isinstance(value, bool):
        raise Malformed(f"claim {int(claim)} ({claim.name.lower()}) is missing or not {kind.__name__}")
    return value


def verify(signed: Signed, keys: Mapping[bytes, Ed25519PublicKey]) -> Verdict:
    """Whether one of ``keys`` (by kid) signed ``signed``."""
    public_key = keys.get(signed.kid)
    if public_key is None:
        return Verdict.UNKNOWN_KID
    try:
        public_key.verify(signed.signature, _sig_structure(signed.protected, signed.payload))
    except InvalidSignature:
        return Verdict.BAD_SIGNATURE
    return Verdict.VALID
