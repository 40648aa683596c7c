"""The e-mail of a declaration to its driver: a few lines in the driver's language and the PDF."""

import datetime
from email.message import EmailMessage
from email.utils import formatdate
from typing import NamedTuple

from portal import i18n
from portal.i18n import N_

SUBJECT = N_("Your posting declaration for {country}")
BODY = N_(
    "Attached is your posting declaration for {country}, from {start} to {end}."
    " Keep it with you during the posting and show it at roadside checks."
)
DIGEST_SUBJECT = N_("Your current and coming posting declarations")
DIGEST_BODY = N_(
    "Attached are your posting declarations that are valid now or will start soon."
    " Keep them with you and show them at roadside checks."
)
DIGEST_LINE = N_("{country}: from {start} to {end}")
CHECK = N_("Scan the code to check that this declaration is valid.")


class Listed(NamedTuple):
    """A declaration a weekly e-mail lists, and its PDF."""

    country: str
    start: datetime.date
    end: datetime.date
    pdf: bytes
    filename: str


def digest_message(
    *, sender: str, address: str, language: i18n.Language, listed: list[Listed], message_id: str
) -> EmailMessage:
    """The weekly e-mail: a line per declaration, each one's PDF attached."""
    gettext = i18n.translations(language).gettext
    lines = [
        gettext(DIGEST_LINE).format(
            country=i18n.country_name(item.country, language),
            start=i18n.date_text(item.start, language),
            end=i18n.date_text(item.end, language),
        )
        for item in listed
    ]
    message = _headed(sender, address, gettext(DIGEST_SUBJECT), message_id)
    message.set_content("\n".join([gettext(DIGEST_BODY), "", *(f"- {line}" for line in lines)]) + "\n")
    for item in listed:
        message.add_attachment(item.pdf, maintype="application", subtype="pdf", filename=item.filename)
    message["Content-Language"] = i18n.locale_name(language).replace("_", "-")
    return message


def _headed(sender: str, address: str, subject: str, message_id: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = address
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = message_id
    return message


def declaration_message(
    *,
    sender: str,
    address: str,
    language: i18n.Language,
    country: str,
    start: datetime.date,
    end: datetime.date,
    verification_url: str,
    pdf: bytes,
    filename: str,
    message_id: str,
) -> EmailMessage:
    """The message, its Message-ID given: the same delivery sent again is the same message."""
    gettext = i18n.translations(language).gettext
    values = {
        "country": i18n.country_name(country, language),
        "start": i18n.date_text(start, language),
        "end": i18n.date_text(end, language),
    }
    message = _headed(sender, address, gettext(SUBJECT).format(**values), message_id)
    message.set_content(f"{gettext(BODY).format(**values)}\n\n{gettext(CHECK)}\n{verification_url}\n")
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename=filename)
    # After the parts are made: making them moves the Content- headers there.
    message["Content-Language"] = i18n.locale_name(language).replace("_", "-")
    return message
