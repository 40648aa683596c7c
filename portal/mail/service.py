"""The e-mail of an e-mail delivery: the declaration version's PDF in the delivery's language."""

import datetime
import uuid
from email.message import EmailMessage
from typing import NamedTuple
from urllib.parse import urlsplit

import asyncpg
import msgspec

from portal import clock, i18n
from portal import db as database
from portal.declarations import repository as declarations
from portal.delivery import repository as deliveries
from portal.documents import repository as documents
from portal.documents import service as rendering_service
from portal.documents.repository import DocumentKey
from portal.documents.service import Rendering
from portal.errors import Unprocessable
from portal.identity.auth import OperatorPrincipal
from portal.mail.message import Listed, declaration_message, digest_message
from portal.refusals import refusal
from portal.settings import Settings
from schemas.documents import EmailRequest


class EmailDelivery(NamedTuple):
    """What an e-mail delivery names: one version, in one language, to one address."""

    id: int
    key: DocumentKey
    address: str


def asked(body: EmailRequest) -> tuple[i18n.Language, str, str]:
    """The language and address a body asks for, and the wire name of its language field: the
    official pair (declarationLanguage, emailAddress) or the other (language, email), not a mix."""
    official = (body.declaration_language, body.email_address)
    other = (body.language, body.email)
    if any(value is not msgspec.UNSET for value in official) and any(value is not msgspec.UNSET for value in other):
        raise Unprocessable(
            [refusal("", "fields_mixed", oneWay="declarationLanguage and emailAddress", otherWay="language and email")]
        )
    (language, address), names = (
        (other, ("language", "email"))
        if any(value is not msgspec.UNSET for value in other)
        else (official, ("declarationLanguage", "emailAddress"))
    )
    if isinstance(language, msgspec.UnsetType) or isinstance(address, msgspec.UnsetType):
        unset = [name for name, value in zip(names, (language, address), strict=True) if value is msgspec.UNSET]
        raise Unprocessable([refusal(name, "required") for name in unset])
    return language, address, names[0]


async def email_declaration(
    db: database.Transaction,
    operator: OperatorPrincipal,
    declaration_id: uuid.UUID,
    language: i18n.Language,
    address: str,
    language_field: str = "declarationLanguage",
) -> None:
    """Queue the e-mail of the declaration's current version in ``language`` to ``address``,
    refused as a print is (404, a draft 409, a language without its catalogue 422)."""
    key = await rendering_service.printable(db, operator, declaration_id, language, language_field)
    # Each request is an e-mail of its own: asking twice sends twice, as a user would expect.
    await deliveries.request_email(db, key.declaration_id, key.version, key.language, address, uuid.uuid4().hex)


def message_id(delivery_id: int, base_url: str) -> str:
    """Stable per delivery: a message sent again after a lost acknowledgement is recognisably the same."""
    return f"<delivery-{delivery_id}@{urlsplit(base_url).hostname or 'portal.invalid'}>"


async def message_for(
    pool: asyncpg.Pool, rendering: Rendering, settings: Settings, delivery: EmailDelivery
) -> EmailMessage | None:
    """The message of ``delivery``, or None if its version is gone (deleted since)."""
    key = delivery.key
    async with database.transaction(pool) as db:
        version = await declarations.fetch_version(db, key.declaration_id, key.version)
        token = await documents.verification_token(db, key.declaration_id, key.version)
    if version is None:
        return None
    pdf = await rendering_service.pdf_of(pool, rendering, key)
    if pdf is None:
        return None
    return declaration_message(
        sender=settings.mail.sender,
        address=delivery.address,
        language=key.language,
        country=version.posting_country,
        start=version.start_date,
        end=version.end_date,
        verification_url=rendering_service.verification_url(settings.base_url, token),
        pdf=pdf,
        filename=rendering_service.filename(key),
        message_id=message_id(delivery.id, settings.base_url),
    )


async def digest_for(
    pool: asyncpg.Pool, rendering: Rendering, settings: Settings, delivery: EmailDelivery
) -> EmailMessage | None:
    """The weekly e-mail of ``delivery`` (anchored on one declaration of the driver), listing
    what is current and coming when it is sent; None if nothing is any more."""
    listing = await deliveries.digest_listing(
        pool, delivery.key.declaration_id, delivery.address, clock.today(), settings.mail.weekly_days_ahead
    )
    listed = []
    for item in listing:
        key = DocumentKey(item.declaration_id, item.version, delivery.key.language)
        pdf = await rendering_service.pdf_of(pool, rendering, key)
        if pdf is not None:
            filename = rendering_service.filename(key)
            listed.append(Listed(item.posting_country, item.start_date, item.end_date, pdf, filename))
    if not listed:
        return None
    return digest_message(
        sender=settings.mail.sender,
        address=delivery.address,
        language=delivery.key.language,
        listed=listed,
        message_id=message_id(delivery.id, settings.base_url),
    )


def week_of(day: datetime.date) -> str:
    """The key of a week's e-mails: ISO year and week (2026-W49)."""
    year, week, _ = day.isocalendar()
    return f"week:{year}-W{week:02d}"
