"""Sending through the SMTP relay the settings name (the embedded sink by default)."""

import urllib.parse
from email.message import EmailMessage

import aiosmtplib

from portal.settings import Mail

_PORTS = {"smtp": 25, "smtps": 465}


def relay(mail: Mail) -> urllib.parse.SplitResult:
    """The relay's address, refused unless it is smtp:// or smtps:// with a host."""
    url = urllib.parse.urlsplit(mail.smtp_url)
    if url.scheme not in _PORTS or not url.hostname:
        raise ValueError("PORTAL_MAIL_SMTP_URL must be smtp://host[:port] or smtps://host[:port]")
    return url


async def send(mail: Mail, message: EmailMessage) -> None:
    """Hand ``message`` to the relay; raises if it is not accepted."""
    url = relay(mail)
    await aiosmtplib.send(
        message,
        hostname=url.hostname,
        port=url.port or _PORTS[url.scheme],
        username=urllib.parse.unquote(url.username) if url.username else None,
        password=urllib.parse.unquote(url.password) if url.password else None,
        use_tls=url.scheme == "smtps",
        # smtp://: STARTTLS when the relay offers it (aiosmtplib's default).
        timeout=mail.timeout_seconds,
    )
