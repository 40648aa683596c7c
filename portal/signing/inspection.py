"""What ``portal verify-qr`` tells an inspector of a scanned code: whether the portal signed it,
what it vouches for, whether its period covers today and, online, what the portal says now.

The signature is checked against a saved key set (offline) or the portal's ``/verify/keys``
(online). Only the portal knows whether the version was withdrawn or superseded since it was
printed: offline, a valid signature says what was declared, not that it still stands.
"""

import datetime
import urllib.parse
from collections.abc import Mapping
from typing import NamedTuple

import httpx
import msgspec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from portal.signing import cose

KEYS_PATH = "/verify/keys"
TIMEOUT_SECONDS = 10.0


class KeysUnavailable(Exception):
    """The key set could not be read or fetched: the reason is the message."""


class KnownKey(NamedTuple):
    public_key: Ed25519PublicKey
    status: str


class _Jwk(msgspec.Struct):
    """A key of the set as read: leniently, so that a later portal's other kinds of key are skipped."""

    kty: str
    kid: str
    crv: str = ""
    x: str = ""
    status: str = "current"


class _KeySet(msgspec.Struct):
    keys: list[_Jwk]


def client() -> httpx.Client:
    """The HTTP client of the online checks."""
    return httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=True)


def keys_from_json(data: bytes) -> dict[bytes, KnownKey]:
    """The Ed25519 keys of a ``/verify/keys`` answer, by kid."""
    try:
        jwks = msgspec.json.decode(data, type=_KeySet)
        return {
            cose.from_b64url(key.kid): KnownKey(Ed25519PublicKey.from_public_bytes(cose.from_b64url(key.x)), key.status)
            for key in jwks.keys
            if key.kty == "OKP" and key.crv == "Ed25519"
        }
    except (msgspec.DecodeError, ValueError) as problem:
        raise KeysUnavailable(f"not a key set of {KEYS_PATH}: {problem}") from None


def origin(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def on_portal(url: str, portal: str | None) -> str:
    """``url``, or its path and query on ``portal`` when one is given (a mirror, a test server)."""
    if portal is None:
        return url
    parts = urllib.parse.urlsplit(url)
    return portal.rstrip("/") + parts.path + (f"?{parts.query}" if parts.query else "")


def fetch_keys(client: httpx.Client, portal: str) -> dict[bytes, KnownKey]:
    url = portal.rstrip("/") + KEYS_PATH
    try:
        answer = client.get(url, headers={"accept": "application/json"})
    except httpx.HTTPError as problem:
        raise KeysUnavailable(f"could not fetch {url}: {problem}") from None
    if answer.status_code != 200:
        raise KeysUnavailable(f"{url} answered {answer.status_code}")
    return keys_from_json(answer.content)


class Check(NamedTuple):
    """A code checked offline: its URL, and either its claims and verdict or why it is malformed."""

    url: str | None
    verdict: cose.Verdict | None
    problem: str | None
    signed: cose.Signed | None
    key_status: str | None

    @property
    def valid(self) -> bool:
        return self.verdict is cose.Verdict.VALID


def check(code: str, keys: Mapping[bytes, KnownKey]) -> Check:
    url, text = cose.split_code(code)
    if text is None:
        return Check(url, None, "the code carries no signed payload (printed before codes were signed?)", None, None)
    try:
        signed = cose.parse(cose.from_text(text))
    except cose.Malformed as problem:
        return Check(url, None, str(problem), None, None)
    verdict = cose.verify(signed, {kid: key.public_key for kid, key in keys.items()})
    known = keys.get(signed.kid)
    return Check(url, verdict, None, signed, known.status if known else None)


def period(claims: cose.Claims, today: datetime.date) -> str:
    span = f"{claims.start_date.isoformat()} to {claims.end_date.isoformat()}"
    if today < claims.start_date:
        return f"{span}: does not cover today ({today.isoformat()}), it has not started"
    if today > claims.end_date:
        return f"{span}: does not cover today ({today.isoformat()}), it has ended"
    return f"{span}: covers today ({today.isoformat()})"


_VERDICTS = {
    cose.Verdict.VALID: "signature valid",
    cose.Verdict.UNKNOWN_KID: "NOT VALID: signed by a key the portal does not publish (unknown kid)",
    cose.Verdict.BAD_SIGNATURE: "NOT VALID: bad signature (the code was altered, or not signed by the portal)",
}


def report(result: Check, today: datetime.date) -> list[str]:
    """The lines that tell an inspector what the code is worth."""
    if result.signed is None or result.verdict is None:
        return [f"Verdict:       NOT VALID: malformed: {result.problem}"]
    signed, claims = result.signed, result.signed.claims
    kid = cose.b64url(signed.kid)
    return [
        f"Verdict:       {_VERDICTS[result.verdict]}",
        f"Key:           {kid}" + (f" ({result.key_status})" if result.key_status else ""),
        f"Declaration:   {claims.declaration_id}, version {claims.version}",
        f"Host country:  {claims.host_country}",
        f"Period:        {period(claims, today)}",
        f"Plates:        {', '.join(claims.plates) or '(none)'}",
    ]


class _PageAnswer(msgspec.Struct):
    valid: bool | None = None
    reason: str | None = None


def ask_page(client: httpx.Client, url: str) -> str:
    """What the verification page says of the code now, as one line."""
    try:
        answer = client.get(url.partition("#")[0], headers={"accept": "application/json"})
    except httpx.HTTPError as problem:
        return f"could not reach {url.partition('#')[0]}: {problem or type(problem).__name__}"
    if answer.status_code == 404:
        return "the verification page answered 404: an unknown code, or a portal without the page"
    if answer.status_code != 200:
        return f"the verification page answered {answer.status_code}"
    try:
        page = msgspec.json.decode(answer.content, type=_PageAnswer)
    except msgspec.DecodeError:
        return "the verification page did not answer JSON"
    valid = "unknown" if page.valid is None else str(page.valid).lower()
    return f"valid: {valid}" + (f", reason: {page.reason}" if page.reason else "")
