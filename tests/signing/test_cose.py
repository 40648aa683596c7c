"""The QR payload alone: encoded, signed, read back, and checked by an independent COSE library."""

import datetime
import uuid
import zlib

import base45
import cbor2
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st
from pycose.keys.curves import Ed25519
from pycose.keys.okp import OKPKey
from pycose.messages.sign1message import Sign1Message

from portal.clock import today
from portal.signing import cose


def new_key() -> tuple[bytes, Ed25519PrivateKey]:
    private_key = Ed25519PrivateKey.generate()
    return cose.key_id(cose.raw_public_key(private_key.public_key())), private_key


def claims(**overrides: object) -> cose.Claims:
    values: dict[str, object] = {
        "declaration_id": uuid.uuid4(),
        "version": 3,
        "host_country": "FR",
        "start_date": today(),
        "end_date": today() + datetime.timedelta(days=90),
        "plates": ("WX1234A", "PO56789"),
    }
    return cose.Claims(**(values | overrides))  # type: ignore[arg-type]


def text_of(signed: cose.Claims, kid: bytes, private_key: Ed25519PrivateKey) -> str:
    return cose.to_text(cose.sign(signed, kid, private_key))


def test_a_payload_reads_back_as_it_was_signed() -> None:
    kid, private_key = new_key()
    made = claims()
    text = text_of(made, kid, private_key)
    assert text.startswith("PD1:")
    assert set(text.removeprefix("PD1:")) <= set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
    signed = cose.parse(cose.from_text(text))
    assert signed.claims == made
    assert signed.kid == kid
    assert cose.verify(signed, {kid: private_key.public_key()}) is cose.Verdict.VALID


def test_the_payload_is_a_map_of_small_integer_keys() -> None:
    kid, private_key = new_key()
    made = claims()
    message = cbor2.loads(zlib.decompress(base45.b45decode(text_of(made, kid, private_key).removeprefix("PD1:"))))
    assert message.tag == 18
    protected, unprotected, payload, signature = message.value
    assert cbor2.loads(protected) == {1: -8, 4: kid}
    assert unprotected == {}
    assert len(signature) == 64
    assert cbor2.loads(payload) == {
        1: made.declaration_id.bytes,
        2: 3,
        3: "FR",
        4: made.start_date.isoformat(),
        5: made.end_date.isoformat(),
        6: ["WX1234A", "PO56789"],
    }


def test_signing_is_deterministic() -> None:
    kid, private_key = new_key()
    made = claims()
    assert text_of(made, kid, private_key) == text_of(made, kid, private_key)


def test_pycose_verifies_our_signature() -> None:
    kid, private_key = new_key()
    message = Sign1Message.decode(cose.sign(claims(), kid, private_key))
    message.key = OKPKey(crv=Ed25519, x=cose.raw_public_key(private_key.public_key()))
    assert message.verify_signature()
    other = Ed25519PrivateKey.generate().public_key()
    message.key = OKPKey(crv=Ed25519, x=cose.raw_public_key(other))
    assert not message.verify_signature()


def test_a_tampered_payload_is_refused() -> None:
    kid, private_key = new_key()
    honest = cose.parse(cose.sign(claims(), kid, private_key))
    # The same signature over a longer period: what a forger would want.
    longer = cose.encode_claims(honest.claims._replace(end_date=honest.claims.end_date + datetime.timedelta(days=365)))
    forged = cose.Signed(honest.kid, honest.protected, longer, honest.signature, cose.decode_claims(longer))
    assert cose.verify(forged, {kid: private_key.public_key()}) is cose.Verdict.BAD_SIGNATURE
    flipped = honest._replace(signature=bytes([honest.signature[0] ^ 1]) + honest.signature[1:])
    assert cose.verify(flipped, {kid: private_key.public_key()}) is cose.Verdict.BAD_SIGNATURE


def test_an_unknown_kid_is_refused() -> None:
    kid, private_key = new_key()
    other_kid, other_key = new_key()
    signed = cose.parse(cose.sign(claims(), kid, private_key))
    assert cose.verify(signed, {other_kid: other_key.public_key()}) is cose.Verdict.UNKNOWN_KID
    # A key published under the kid of another does not verify it either.
    assert cose.verify(signed, {kid: other_key.public_key()}) is cose.Verdict.BAD_SIGNATURE


def test_the_code_is_a_valid_url_with_the_payload_as_fragment() -> None:
    kid, private_key = new_key()
    text = text_of(claims(), kid, private_key)
    code = cose.in_url("http://127.0.0.1:8000/verify/AAAAAAAAAAAAAAAAAAAAAA", text)
    url, _, fragment = code.partition("#")
    assert url == "http://127.0.0.1:8000/verify/AAAAAAAAAAAAAAAAAAAAAA"
    assert " " not in code
    assert all(fragment[i + 1 : i + 3] in ("20", "25") for i, c in enumerate(fragment) if c == "%")
    assert cose.split_code(code) == (url, text)
    assert cose.split_code(text) == (None, text)
    assert cose.split_code(url) == (url, None)


@given(st.binary(max_size=300))
def test_garbage_is_malformed_never_a_crash(data: bytes) -> None:
    for text in (
        cose.PREFIX + base45.b45encode(data).decode(),
        cose.PREFIX + base45.b45encode(zlib.compress(data)).decode(),
    ):
        with pytest.raises(cose.Malformed):
            cose.parse(cose.from_text(text))


@pytest.mark.parametrize(
    "text",
    [
        "PD2:6BFOXN",  # another format
        "PD1:not base45 ~~",
        "PD1:" + base45.b45encode(b"not zlib").decode(),
        "PD1:" + base45.b45encode(zlib.compress(b"\x00" * 100_000)).decode(),  # inflates past any declaration's
        "PD1:" + base45.b45encode(zlib.compress(cbor2.dumps(cbor2.CBORTag(18, [b"", {}, b"", b""])))).decode(),
        "PD1:" + base45.b45encode(zlib.compress(cbor2.dumps(cbor2.CBORTag(98, [])))).decode(),
    ],
)
def test_what_is_not_our_payload(text: str) -> None:
    with pytest.raises(cose.Malformed):
        cose.parse(cose.from_text(text))


def test_another_algorithm_is_malformed() -> None:
    kid, private_key = new_key()
    honest = cbor2.loads(cose.sign(claims(), kid, private_key))
    _, unprotected, payload, signature = honest.value
    es256 = cbor2.dumps(cbor2.CBORTag(18, [cbor2.dumps({1: -7, 4: kid}), unprotected, payload, signature]))
    with pytest.raises(cose.Malformed, match="EdDSA"):
        cose.parse(es256)


def test_a_declaration_of_many_plates_still_fits_a_code() -> None:
    kid, private_key = new_key()
    plates = tuple(f"WX{number:05d}ABCDEFGH" for number in range(60))  # the most a declaration holds
    text = text_of(claims(plates=plates), kid, private_key)
    assert cose.parse(cose.from_text(text)).claims.plates == plates
