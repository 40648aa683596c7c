"""``portal verify-qr`` as an inspector runs it: on the PDF, a photo or the scanned text, against
a saved key set (offline) or the portal (online)."""

import asyncio
import contextlib
import uuid
import zlib
from pathlib import Path
from typing import Any

import base45
import cbor2
import pypdfium2
import pytest
from click.testing import CliRunner, Result
from litestar.testing import TestClient

from portal.app import create_app
from portal.cli import main
from portal.settings import Settings
from portal.signing import cose, inspection
from portal.signing.inspection import period
from tests.factories import Operator, today
from tests.helpers import Client
from tests.signing.printing import PORTAL, printed_code


async def verify_qr(*arguments: str) -> Result:
    # In a thread: the session's event loop serves the test client meanwhile.
    return await asyncio.to_thread(CliRunner().invoke, main, ["verify-qr", *arguments])


async def saved_keys(client: Client, folder: Path) -> Path:
    answer = await client.get("/verify/keys")
    assert answer.status_code == 200, answer.text
    path = folder / "keys.json"
    path.write_bytes(answer.content)
    return path


def payload_of(code: str) -> dict[int, Any]:
    _, text = cose.split_code(code)
    assert text is not None
    message = cbor2.loads(zlib.decompress(base45.b45decode(text.removeprefix(cose.PREFIX))))
    payload: dict[int, Any] = cbor2.loads(message.value[2])
    return payload


async def test_a_printed_declaration_verifies_offline(client: Client, operator: Operator, tmp_path: Path) -> None:
    declaration, pdf, code = await printed_code(client, operator, declarationPostingCountry="DE")
    assert code.startswith(f"{PORTAL}/verify/")
    keys = await saved_keys(client, tmp_path)
    (tmp_path / "declaration.pdf").write_bytes(pdf)

    result = await verify_qr(str(tmp_path / "declaration.pdf"), "--offline", "--keys", str(keys))
    assert result.exit_code == 0, result.output
    assert "signature valid" in result.output
    assert f"{declaration['declarationId']}, version {declaration['declarationVersion']}" in result.output
    assert "Host country:  DE" in result.output
    for plate in declaration["declarationVehiclePlateNumberHeavy"]:
        assert plate in result.output
    claims = cose.parse(cose.from_text(cose.split_code(code)[1] or "")).claims
    assert period(claims, today()) in result.output
    assert "Portal says" not in result.output  # offline: nothing asked

    # What the code holds: the declaration's key facts, nothing that names the driver.
    payload = payload_of(code)
    assert payload == {
        1: uuid.UUID(declaration["declarationId"]).bytes,
        2: declaration["declarationVersion"],
        3: "DE",
        4: declaration["declarationStartDate"],
        5: declaration["declarationEndDate"],
        6: declaration["declarationVehiclePlateNumberHeavy"],
    }
    encoded = cbor2.dumps(payload)
    for personal in ("driverLatinFirstName", "driverLatinLastName", "driverDocumentNumber", "driverLicenseNumber"):
        assert declaration[personal].encode() not in encoded, personal
        assert declaration[personal] not in code, personal


async def test_a_photo_and_the_scanned_text_verify_too(client: Client, operator: Operator, tmp_path: Path) -> None:
    _, pdf, code = await printed_code(client, operator)
    keys = await saved_keys(client, tmp_path)
    photo = tmp_path / "photo.png"
    pypdfium2.PdfDocument(pdf)[0].render(scale=3).to_pil().save(photo)
    for argument in (str(photo), code, cose.split_code(code)[1] or ""):
        result = await verify_qr(argument, "--offline", "--keys", str(keys))
        assert result.exit_code == 0, (argument, result.output)
        assert "signature valid" in result.output


async def test_what_does_not_verify(client: Client, operator: Operator, tmp_path: Path) -> None:
    _, _, code = await printed_code(client, operator)
    keys = await saved_keys(client, tmp_path)
    url, text = cose.split_code(code)
    assert url is not None
    assert text is not None
    signed = cose.parse(cose.from_text(text))
    forged_claims = signed.claims._replace(plates=("FORGED1",))
    forged = cbor2.dumps(cbor2.CBORTag(18, [signed.protected, {}, cose.encode_claims(forged_claims), signed.signature]))
    tampered = await verify_qr(cose.in_url(url, cose.to_text(forged)), "--offline", "--keys", str(keys))
    assert tampered.exit_code == 1, tampered.output
    assert "bad signature" in tampered.output

    empty = tmp_path / "no-keys.json"
    empty.write_text('{"keys": []}')
    unknown = await verify_qr(code, "--offline", "--keys", str(empty))
    assert unknown.exit_code == 1, unknown.output
    assert "unknown kid" in unknown.output

    truncated = await verify_qr(code[:-20], "--offline", "--keys", str(keys))
    assert truncated.exit_code == 1, truncated.output
    assert "malformed" in truncated.output

    unsigned = await verify_qr(url, "--offline", "--keys", str(keys))  # a code printed before signing
    assert unsigned.exit_code == 1, unsigned.output
    assert "no signed payload" in unsigned.output


async def test_what_cannot_be_read(tmp_path: Path) -> None:
    noise = tmp_path / "noise.png"
    noise.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    keys = tmp_path / "keys.json"
    keys.write_text('{"keys": []}')
    for argument in (str(noise), "no such file.pdf"):
        result = await verify_qr(argument, "--offline", "--keys", str(keys))
        assert result.exit_code == 2, result.output
        assert "unreadable" in result.output
    bad_keys = tmp_path / "bad.json"
    bad_keys.write_text("<html>not keys</html>")
    result = await verify_qr("PD1:ABC", "--offline", "--keys", str(bad_keys))
    assert result.exit_code == 2, result.output
    assert "keys unavailable" in result.output
    offline_without_keys = await verify_qr("PD1:ABC", "--offline")
    assert offline_without_keys.exit_code == 2
    assert "--offline needs --keys" in offline_without_keys.output


async def test_online_the_keys_and_the_page_come_from_the_portal(
    client: Client, operator: Operator, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, _, code = await printed_code(client, operator)
    # The portal as an HTTP client reaches it: an application of its own, on the same database.
    with TestClient(create_app(settings)) as portal:
        monkeypatch.setattr(inspection, "client", lambda: contextlib.nullcontext(portal))
        result = await verify_qr(code)
    assert result.exit_code == 0, result.output
    assert "signature valid" in result.output
    # Whatever the page answers (valid and reason, or that it is not there yet), it is said.
    assert "Portal says:" in result.output


async def test_online_a_portal_out_of_reach_is_said(tmp_path: Path) -> None:
    result = await verify_qr("http://127.0.0.1:9/verify/AAAA#PD1:ABC")
    assert result.exit_code == 2, result.output
    assert "could not fetch http://127.0.0.1:9/verify/keys" in result.output
    page = inspection.ask_page(inspection.client(), "http://127.0.0.1:9/verify/AAAA#PD1:ABC")
    assert page.startswith("could not reach http://127.0.0.1:9/verify/AAAA")
