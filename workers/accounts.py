"""The job of account e-mails: each confirmation and reset link, sent after the commit that
asked for it, retried with a doubling wait when the relay fails."""

import datetime
from typing import Any

import structlog

from portal import db as database
from portal.accounts import repository
from portal.accounts.mail import account_message
from portal.accounts.tokens import Tokens
from portal.mail import sender
from portal.secrets import secret_key
from portal.settings import Settings

log = structlog.get_logger(__name__)

# Messages a run sends at most (the next run, seconds later, goes on).
BATCH = 50


async def send_account_mails(ctx: dict[str, Any]) -> int:
    settings: Settings = ctx["settings"]
    pool = ctx["db_pool"]
    rules = settings.delivery
    lease = datetime.timedelta(seconds=settings.mail.timeout_seconds * 2)
    async with database.transaction(pool) as db:
        due = await repository.take_due_mails(db, BATCH, lease)
    if not due:
        return 0
    tokens = Tokens(secret_key(settings))
    sent = 0
    for mail in due:
        try:
            await sender.send(settings.mail, account_message(mail, tokens, settings.base_url, settings.mail.sender))
        except Exception as problem:
            give_up = mail.attempts >= rules.max_attempts
            wait = datetime.timedelta(seconds=rules.retry_seconds * 2 ** (mail.attempts - 1))
            async with database.transaction(pool) as db:
                await repository.mail_failed(db, mail.id, repr(problem), wait, give_up)
            log.warning("account e-mail failed", mail=mail.id, error=repr(problem), given_up=give_up)
            continue
        async with database.transaction(pool) as db:
            await repository.mail_sent(db, mail.id)
        sent += 1
    return sent
