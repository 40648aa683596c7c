"""The signing keys: made once however many renderers ask at once, rotated, published."""

import asyncio
import hashlib
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from portal import clock
from portal.db import migrate, transaction
from portal.settings import Settings
from portal.signing import cose, inspection
from portal.signing.service import SecretMismatch, Signer
from tests.conftest import _with_database
from tests.factories import Operator
from tests.helpers import Client
from tests.signing.printing import PORTAL, printed_code


async def published(client: Client) -> dict[str, dict[str, object]]:
    answer = await client.get("/verify/keys")  # no API key: the keys are public
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    return {key["kid"]: key for key in answer.json()["keys"]}


def kid_of(code: str) -> str:
    _, text = cose.split_code(code)
    assert text is not None, code
    return cose.b64url(cose.parse(cose.from_text(text)).kid)


def claims_of(code: str) -> cose.Claims:
    _, text = cose.split_code(code)
    assert text is not None, code
    return cose.parse(cose.from_text(text)).claims


async def test_the_keys_are_published_as_a_jwks(client: Client, operator: Operator) -> None:
    _, _, code = await printed_code(client, operator)
    keys = await published(client)
    key = keys[kid_of(code)]
    assert key["status"] == "current"
    assert key["retiredAt"] is None
    assert [k for k in keys.values() if k["status"] == "current"] == [key]
    assert (key["kty"], key["crv"], key["alg"], key["use"]) == ("OKP", "Ed25519", "EdDSA", "sig")
    raw = cose.from_b64url(str(key["x"]))
    assert len(raw) == 32
    assert cose.from_b64url(str(key["kid"])) == hashlib.sha256(raw).digest()[:8]
    answer = await client.get("/verify/keys")
    assert "public" in answer.headers["cache-control"]


async def test_rotation_keeps_old_codes_verifiable(
    client: Client, operator: Operator, settings: Settings, db: asyncpg.Connection
) -> None:
    _, _, before = await printed_code(client, operator)
    async with transaction(db) as tx:
        new_kid = await Signer.of(settings).rotate(tx)
    _, _, after = await printed_code(client, operator)
    assert kid_of(after) == cose.b64url(new_kid) != kid_of(before)

    keys = await published(client)
    assert keys[kid_of(before)]["status"] == "retired"
    assert keys[kid_of(before)]["retiredAt"] is not None
    assert keys[kid_of(after)]["status"] == "current"
    assert [kid for kid, key in keys.items() if key["status"] == "current"] == [kid_of(after)]
    key_set = inspection.keys_from_json((await client.get("/verify/keys")).content)
    for code in (before, after):
        assert inspection.check(code, key_set).verdict is cose.Verdict.VALID


@pytest.fixture
async def empty_database(servers: tuple[str, str]) -> AsyncIterator[str]:
    """A migrated database of its own, with no signing key yet."""
    name = f"portal_signing_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(servers[0])
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = _with_database(servers[0], name)
    await migrate(url)
    yield url
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()


CLAIMS = cose.Claims(uuid.uuid4(), 2, "DE", clock.today(), clock.today(), ("WX1234A",))


async def test_renderers_at_once_make_one_key(empty_database: str) -> None:
    pool = await asyncpg.create_pool(empty_database, min_size=8, max_size=8)
    assert pool is not None
    try:

        async def render() -> str:
            # A signer per renderer: processes share no memory, only the database.
            async with transaction(pool) as tx:
                code = await Signer("the secret").qr_text(tx, f"{PORTAL}/verify/x", CLAIMS)
                await asyncio.sleep(0.05)  # the transaction stays open while others try
                return kid_of(code)

        kids = await asyncio.gather(*(render() for _ in range(8)))
        assert len(set(kids)) == 1
        assert await pool.fetchval("SELECT count(*) FROM signing_keys") == 1

        async def rotate() -> bytes:
            async with transaction(pool) as tx:
                return await Signer("the secret").rotate(tx)

        rotated = await asyncio.gather(*(rotate() for _ in range(3)))
        rows = await pool.fetch("SELECT kid, retired_at FROM signing_keys")
        assert len(rows) == 4
        [current] = [row["kid"] for row in rows if row["retired_at"] is None]
        assert current in rotated
    finally:
        await pool.close()


async def test_a_key_of_another_secret_is_not_used(empty_database: str) -> None:
    db = await asyncpg.connect(empty_database)
    try:
        async with transaction(db) as tx:
            await Signer("one secret").qr_text(tx, f"{PORTAL}/verify/x", CLAIMS)
        with pytest.raises(SecretMismatch, match="keys rotate"):
            async with transaction(db) as tx:
                await Signer("another secret").qr_text(tx, f"{PORTAL}/verify/x", CLAIMS)
        async with transaction(db) as tx:
            await Signer("another secret").rotate(tx)
        async with transaction(db) as tx:
            assert await Signer("another secret").qr_text(tx, f"{PORTAL}/verify/x", CLAIMS)
    finally:
        await db.close()


def run_portal(database_url: str, settings: Settings, data_dir: Path, *arguments: str) -> str:
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "PORTAL_DATA_DIR": str(data_dir),
        # The servers' secret: the key the command makes is one they can sign with.
        "PORTAL_SECRET_KEY": settings.secret_key,
    }
    result = subprocess.run(
        [sys.executable, "-m", "portal", *arguments],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


async def test_keys_rotate_and_list_on_the_command_line(
    client: Client, operator: Operator, database_url: str, settings: Settings, tmp_path: Path
) -> None:
    _, _, before = await printed_code(client, operator)
    kid = (await asyncio.to_thread(run_portal, database_url, settings, tmp_path, "keys", "rotate")).strip()
    keys = await published(client)
    assert keys[kid]["status"] == "current"
    assert keys[kid_of(before)]["status"] == "retired"
    listed = await asyncio.to_thread(run_portal, database_url, settings, tmp_path, "keys", "list")
    lines = {line.split()[0]: line.split()[1] for line in listed.splitlines()}
    assert lines[kid] == "current"
    assert lines[kid_of(before)] == "retired"
    as_json = await asyncio.to_thread(run_portal, database_url, settings, tmp_path, "keys", "list", "--json")
    assert set(inspection.keys_from_json(as_json.encode())) == {cose.from_b64url(k) for k in keys}
    # The servers sign with the key the command made.
    _, _, after = await printed_code(client, operator)
    assert kid_of(after) == kid
