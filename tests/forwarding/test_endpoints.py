"""Registering endpoints: what the portal refuses to post to, at registration and at every send;
listing, disabling and secrets that rotate with an overlap."""

import base64
import hashlib
import hmac
import ipaddress
import time
import uuid
from typing import Any

import asyncpg
import pytest
from standardwebhooks.webhooks import Webhook

from portal.forwarding import addresses, repository
from portal.forwarding.sender import client as forwarding_client
from portal.forwarding.sender import post
from portal.forwarding.service import secret_box
from portal.forwarding.signature import signature
from portal.receiver.server import Receiver
from portal.settings import Forwarding
from tests.conftest import new_authority
from tests.forwarding.conftest import Client, Register, control

PRODUCTION = Forwarding()


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://127.0.0.1/in", "https://"),
        ("https://127.0.0.1/in", "127.0.0.1, which is not a public address"),
        ("http://169.254.169.254/latest/meta-data/", "https://"),
        ("https://169.254.169.254/latest/meta-data/", "169.254.169.254, which is not a public address"),
        ("https://[::1]:8443/in", "::1, which is not a public address"),
        ("https://[::ffff:10.0.0.1]/in", "which is not a public address"),
        ("https://10.1.2.3/in", "10.1.2.3, which is not a public address"),
        ("https://100.64.0.1/in", "not a public address"),
        ("https://localhost/in", "which is not a public address"),
        ("https://user:password@imi.example.eu/in", "credentials"),
        ("ftp://imi.example.eu/in", "https://"),
        ("imi.example.eu/in", "https://"),
    ],
)
async def test_an_authority_cannot_register_an_endpoint_inside_the_portals_network(
    client: Client, db: asyncpg.Connection, url: str, why: str
) -> None:
    authority = await new_authority(db, "FR")
    answer = await client.post("/authority/endpoints", json={"url": url}, headers=authority.headers)
    assert answer.status_code == 422, answer.text
    [error] = answer.json()["errors"]
    assert (error["field"], error["code"]) == ("url", "endpoint_refused")
    assert why in error["message"]
    listed = await client.get("/authority/endpoints", headers=authority.headers)
    assert listed.json()["items"] == []


async def test_a_name_that_resolves_to_a_private_address_is_refused() -> None:
    async def intranet(host: str, port: int) -> list[str]:
        return ["93.184.215.14", "192.168.1.20"]  # one public, one private: refused all the same

    with pytest.raises(addresses.RefusedUrl, match=r"192\.168\.1\.20"):
        await addresses.target("https://imi.example.eu/in", PRODUCTION, intranet)


async def test_a_name_that_resolves_elsewhere_at_send_time_is_not_posted_to(
    receiver: Receiver,
) -> None:
    """DNS rebinding: public when registered, loopback a moment later. The check runs again at
    the send and the connection goes to the address it checked."""
    answers = iter([["93.184.215.14"], ["127.0.0.1"]])

    async def rebinding(host: str, port: int) -> list[str]:
        return next(answers)

    first = await addresses.target(f"https://imi.example.eu:{receiver.port}/in", PRODUCTION, rebinding)
    assert first.address == ipaddress.ip_address("93.184.215.14")
    assert first.url == f"https://93.184.215.14:{receiver.port}/in"
    assert (first.host_header, first.server_name) == (f"imi.example.eu:{receiver.port}", "imi.example.eu")
    async with forwarding_client(PRODUCTION) as http:
        outcome = await post(http, PRODUCTION, "https://imi.example.eu/in", ["whsec_AAAA"], "msg_1", b"{}", rebinding)
    assert not outcome.delivered
    assert outcome.error
    assert "127.0.0.1, which is not a public address" in outcome.error
    assert (await control(receiver, "/_control/stats"))["batches"] == 0


async def test_an_endpoint_is_listed_disabled_and_enabled_by_its_own_authority_only(
    open_client: Client, db: asyncpg.Connection, receiver: Receiver, register: Register
) -> None:
    authority = await new_authority(db, "FR")
    other = await new_authority(db, "FR")
    endpoint = await register(authority, receiver)
    assert endpoint["secret"].startswith("whsec_")
    assert len(base64.b64decode(endpoint["secret"][6:])) == 32
    again = await open_client.post("/authority/endpoints", json={"url": endpoint["url"]}, headers=authority.headers)
    assert again.status_code == 409
    assert again.json()["errors"][0]["code"] == "endpoint_exists"
    path = f"/authority/endpoints/{endpoint['endpointId']}"
    assert (await open_client.post(f"{path}/disable", headers=other.headers)).status_code == 404
    assert (await open_client.get("/authority/endpoints", headers=other.headers)).json()["items"] == []
    disabled = await open_client.post(f"{path}/disable", headers=authority.headers)
    assert disabled.status_code == 200
    assert disabled.json()["state"] == "DISABLED"
    enabled = await open_client.post(f"{path}/enable", headers=authority.headers)
    assert enabled.json()["state"] == "ACTIVE"
    [listed] = (await open_client.get("/authority/endpoints", headers=authority.headers)).json()["items"]
    assert "secret" not in listed
    assert listed["url"] == endpoint["url"]


async def test_during_a_rotation_batches_are_signed_with_both_secrets(
    open_client: Client, db: asyncpg.Connection, receiver: Receiver, register: Register, jobs: dict[str, Any]
) -> None:
    authority = await new_authority(db, "FR")
    endpoint = await register(authority, receiver)
    endpoint_id = uuid.UUID(endpoint["endpointId"])
    path = f"/authority/endpoints/{endpoint_id}/rotate-secret"
    rotated = await open_client.post(path, json={"overlapHours": 2}, headers=authority.headers)
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["secret"]
    assert new != endpoint["secret"]
    assert rotated.json()["previousSecretExpiresAt"]

    box = secret_box(jobs["settings"])
    secrets = [box.open(sealed) for sealed in await repository.secrets_of(jobs["db_pool"], endpoint_id)]
    assert secrets == [new, endpoint["secret"]]
    timestamp = int(time.time())
    header = signature(secrets, "msg_x", timestamp, b"{}")
    signed = f"msg_x.{timestamp}.{{}}".encode()
    old = hmac.digest(base64.b64decode(endpoint["secret"].removeprefix("whsec_")), signed, hashlib.sha256)
    assert header.split(" ")[1] == "v1," + base64.b64encode(old).decode()
    # A receiver that knows only one of the two verifies the batch.
    headers = {"webhook-id": "msg_x", "webhook-timestamp": str(timestamp), "webhook-signature": header}
    for secret in (new, endpoint["secret"]):
        Webhook(secret).verify(b"{}", headers)

    at_once = await open_client.post(path, json={"overlapHours": 0}, headers=authority.headers)
    sealed = await repository.secrets_of(jobs["db_pool"], endpoint_id)
    assert [box.open(secret) for secret in sealed] == [at_once.json()["secret"]]
