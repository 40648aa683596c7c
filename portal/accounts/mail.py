"""The e-mails of accounts: a link to confirm the address, to choose a new password, or to
choose the first one of a person invited."""

from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import urlencode, urlsplit

from portal import i18n
from portal.accounts.repository import AccountMail
from portal.accounts.tokens import Tokens
from portal.i18n import N_

SUBJECTS = {
    "CONFIRM": N_("Confirm your e-mail address"),
    "RESET": N_("Choose a new password"),
    "INVITE": N_("You are invited to file posting declarations"),
}
BODIES = {
    "CONFIRM": N_(
        "Someone, probably you, signed up with this address on the posting declarations portal."
        " Open this link to confirm it (it works for 7 days):"
    ),
    "RESET": N_(
        "Someone, probably you, asked to reset the password of this address on the posting"
        " declarations portal. Open this link to choose a new one (it works for 1 hour):"
    ),
    "INVITE": N_(
        "A transport operator invited you to file posting declarations for it on the portal."
        " Open this link to choose your password (it works for 7 days):"
    ),
}
IGNORE = N_("If it was not you, ignore this message: nothing changes.")
_PATHS = {"CONFIRM": "/web/confirm", "RESET": "/web/password-reset/new", "INVITE": "/web/password-reset/new"}


def account_message(mail: AccountMail, tokens: Tokens, base_url: str, sender: str) -> EmailMessage:
    language: i18n.Language = mail.language if mail.language in i18n.available() else i18n.DEFAULT
    gettext = i18n.translations(language).gettext
    token = tokens.made(mail.purpose, mail.person_id, mail.password_changed_at)
    link = f"{base_url.rstrip('/')}{_PATHS[mail.purpose]}?{urlencode({'token': token})}"
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.email
    message["Subject"] = gettext(SUBJECTS[mail.purpose])
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(f"account-{mail.id}", urlsplit(base_url).hostname or "portal.invalid")
    message["Content-Language"] = i18n.locale_name(language).replace("_", "-")
    message.set_content(f"{gettext(BODIES[mail.purpose])}\n\n{link}\n\n{gettext(IGNORE)}\n")
    return message
