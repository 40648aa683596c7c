"""E-mail to drivers: on submission and on request, in the reader's language, the PDF attached,
through real SMTP; ``declarationEmailStatus`` tells the truth, retries included."""

import uuid
from collections.abc import AsyncIterator
from email.message import EmailMessage
from typing import Any

import asyncpg
import pytest

from portal import i18n
from portal import settings as configuration
from portal.db import transaction
from portal.identity.repository import set_operator_profile
from portal.identity.storage import OperatorProfile
from portal.mail.sink import MailSink
from tests.documents.reading import text
from tests.documents.relays import CountingRelay, counting_relay
from tests.documents.test_delivery import deliveries_of
from tests.factories import Operator, days, declaration_body
from tests.helpers import Client, created, draft, fleet, received_in, submitted
from workers.deliveries import drain, plan_weekly_emails, send_digests, send_emails


def received(sink: MailSink, address: str) -> list[EmailMessage]:
    """The messages the sink kept for ``address``."""
    return received_in(sink.folder, address)


def attachment(message: EmailMessage) -> bytes:
    [pdf] = [part for part in message.iter_attachments() if part.get_content_type() == "application/pdf"]
    content = pdf.get_content()
    assert isinstance(content, bytes)
    return content


async def status_of(client: Client, operator: Operator, declaration_id: str) -> str:
    answer = await client.get(f"/declarations/{declaration_id}", headers=operator.headers)
    status: str = answer.json()["declarationEmailStatus"]
    return status


async def test_a_submission_is_emailed_to_the_driver_in_their_language(
    client: Client, operator: Operator, db: asyncpg.Connection, worker: dict[str, Any], mail_sink: MailSink
) -> None:
    async with transaction(db) as tx:
        await set_operator_profile(tx, operator.operator_id, OperatorProfile(language="de"))
    address = f"driver-{uuid.uuid4().hex[:8]}@example.com"
    declaration = await submitted(client, operator, driverEmail=address, declarationPostingCountry="FR")
    assert declaration["declarationEmailStatus"] == "QUEUED"  # from the submission on, before any worker ran
    await drain(worker)
    [delivery] = await deliveries_of(db, declaration["declarationId"], "EMAIL")
    assert (delivery["language"], delivery["address"]) == ("de", address)

    assert await send_emails(worker, [delivery["id"]]) == 1
    assert await send_emails(worker, [delivery["id"]]) == 0  # a job run twice sends once
    [message] = received(mail_sink, address)
    german = i18n.translations("de").gettext
    assert message["Subject"] == german("Your posting declaration for {country}").format(
        country=i18n.country_name("FR", "de")
    )
    assert message["Content-Language"] == "de"
    body = message.get_body(("plain",))
    assert body is not None
    assert "http://127.0.0.1:8000/verify/" in body.get_content()
    pdf = attachment(message)
    assert german("Posting declaration") in text(pdf)
    assert declaration["declarationId"] in text(pdf)
    assert await status_of(client, operator, declaration["declarationId"]) == "SENT"


async def test_an_email_asked_for_goes_to_the_address_given(
    client: Client, operator: Operator, db: asyncpg.Connection, worker: dict[str, Any], mail_sink: MailSink
) -> None:
    declaration = await submitted(client, operator, driverEmail=None)
    assert declaration["declarationEmailStatus"] == "NOT_SENT"
    address = f"office-{uuid.uuid4().hex[:8]}@example.com"
    # The pair some clients send instead of declarationLanguage and emailAddress.
    answer = await client.post(
        f"/declarations/{declaration['declarationId']}/email",
        json={"language": "pl", "email": address},
        headers=operator.headers,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["declarationEmailStatus"] == "QUEUED"
    await drain(worker)
    [delivery] = await deliveries_of(db, declaration["declarationId"], "EMAIL")
    assert (delivery["language"], delivery["address"]) == ("pl", address)
    assert await send_emails(worker, [delivery["id"]]) == 1
    [message] = received(mail_sink, address)
    assert i18n.translations("pl").gettext("Posting declaration") in text(attachment(message))
    assert await status_of(client, operator, declaration["declarationId"]) == "SENT"

    # Asked again: sent again.
    again = await client.post(
        f"/declarations/{declaration['declarationId']}/email",
        json={"declarationLanguage": "pl", "emailAddress": address},
        headers=operator.headers,
    )
    assert again.json()["declarationEmailStatus"] == "QUEUED"
    second = (await deliveries_of(db, declaration["declarationId"], "EMAIL"))[-1]
    assert await send_emails(worker, [second["id"]]) == 1
    assert len(received(mail_sink, address)) == 2


@pytest.mark.parametrize(
    ("body", "fields", "code"),
    [
        ({"declarationLanguage": "pl", "email": "a@example.com"}, [""], "fields_mixed"),
        ({"language": "pl", "emailAddress": "a@example.com"}, [""], "fields_mixed"),
        ({"declarationLanguage": "pl"}, ["emailAddress"], "required"),
        ({"email": "a@example.com"}, ["language"], "required"),
        ({}, ["declarationLanguage", "emailAddress"], "required"),
        ({"declarationLanguage": "pl", "emailAddress": "not an address"}, ["emailAddress"], "not_an_email"),
        ({"declarationLanguage": "xx", "emailAddress": "a@example.com"}, ["declarationLanguage"], "not_allowed"),
    ],
)
async def test_a_bad_request_is_refused_and_nothing_is_queued(
    client: Client, operator: Operator, db: asyncpg.Connection, body: dict[str, str], fields: list[str], code: str
) -> None:
    declaration = await submitted(client, operator, driverEmail=None)
    answer = await client.post(
        f"/declarations/{declaration['declarationId']}/email", json=body, headers=operator.headers
    )
    assert answer.status_code == 422, answer.text
    errors = answer.json()["errors"]
    assert [error["field"] for error in errors] == fields
    assert {error["code"] for error in errors} == {code}
    assert await deliveries_of(db, declaration["declarationId"], "EMAIL") == []
    assert await status_of(client, operator, declaration["declarationId"]) == "NOT_SENT"


async def test_a_draft_is_not_emailed(client: Client, operator: Operator) -> None:
    declaration = await draft(client, operator)
    answer = await client.post(
        f"/declarations/{declaration['declarationId']}/email",
        json={"declarationLanguage": "en", "emailAddress": "a@example.com"},
        headers=operator.headers,
    )
    assert answer.status_code == 409
    assert answer.json()["errors"][0]["code"] == "wrong_state"


@pytest.fixture
async def refusing_relay() -> AsyncIterator[CountingRelay]:
    async with counting_relay() as relay:
        yield relay


async def test_a_refusing_relay_is_retried_then_the_email_fails_then_succeeds_when_asked_again(
    client: Client, operator: Operator, db: asyncpg.Connection, worker: dict[str, Any], refusing_relay: CountingRelay
) -> None:
    handler = refusing_relay
    worker["settings"] = configuration.replace(
        worker["settings"], mail={"smtp_url": handler.url}, delivery={"max_attempts": 2, "retry_seconds": 1}
    )
    declaration = await submitted(client, operator)
    await drain(worker)
    [delivery] = await deliveries_of(db, declaration["declarationId"], "EMAIL")
    assert await send_emails(worker, [delivery["id"]]) == 0
    [waiting] = await deliveries_of(db, declaration["declarationId"], "EMAIL")
    assert (waiting["state"], waiting["attempts"]) == ("PENDING", 1)
    assert await status_of(client, operator, declaration["declarationId"]) == "QUEUED"  # it will be tried again
    assert await send_emails(worker, [delivery["id"]]) == 0
    [given_up] = await deliveries_of(db, declaration["declarationId"], "EMAIL")
    assert (given_up["state"], given_up["attempts"]) == ("FAILED", 2)
    assert await status_of(client, operator, declaration["declarationId"]) == "FAILED"
    assert handler.accepted == []

    handler.refusing = False  # the relay is back: the operator asks again
    await client.post(
        f"/declarations/{declaration['declarationId']}/email",
        json={"declarationLanguage": "en", "emailAddress": "back@example.com"},
        headers=operator.headers,
    )
    retry = (await deliveries_of(db, declaration["declarationId"], "EMAIL"))[-1]
    assert await send_emails(worker, [retry["id"]]) == 1
    assert len(handler.accepted) == 1
    assert await status_of(client, operator, declaration["declarationId"]) == "SENT"


async def test_the_weekly_email_lists_current_and_coming_declarations(
    client: Client, operator: Operator, db: asyncpg.Connection, worker: dict[str, Any], mail_sink: MailSink
) -> None:
    profile = await client.put(
        "/operator-profile", json={"weeklyDriverEmail": True, "language": "it"}, headers=operator.headers
    )
    assert profile.status_code == 200, profile.text
    address = f"weekly-{uuid.uuid4().hex[:8]}@example.com"
    driver_id, plates = await fleet(client, operator)
    filed = []
    for country, start, end in (("FR", 0, 20), ("DE", 5, 40), ("IT", 200, 230)):  # the last is not coming yet
        body = declaration_body(
            driver_id,
            plates,
            driverEmail=address,
            declarationPostingCountry=country,
            declarationStartDate=days(start),
            declarationEndDate=days(end),
        )
        declaration = await created(client, operator, "/declarations", body)
        submit = await client.post(f"/declarations/{declaration['declarationId']}/submit", headers=operator.headers)
        assert submit.status_code == 200, submit.text
        filed.append(declaration["declarationId"])

    assert await plan_weekly_emails(worker) >= 1
    digests = [row for row in await deliveries_of(db, filed[0], "DIGEST") if row["address"] == address]
    assert len(digests) == 1
    assert digests[0]["language"] == "it"
    await plan_weekly_emails(worker)  # again the same week: planned once
    assert len(await deliveries_of(db, filed[0], "DIGEST")) == 1

    assert await send_digests(worker, [digests[0]["id"]]) == 1
    [message] = received(mail_sink, address)
    italian = i18n.translations("it").gettext
    assert message["Subject"] == italian("Your current and coming posting declarations")
    pdfs = [part.get_content() for part in message.iter_attachments()]
    assert len(pdfs) == 2
    assert {filed[0], filed[1]} == {next(identifier for identifier in filed if identifier in text(pdf)) for pdf in pdfs}
    listing = message.get_body(("plain",))
    assert listing is not None
    assert i18n.country_name("DE", "it") in listing.get_content()
    assert i18n.country_name("IT", "it") not in listing.get_content()
