"""Accounts: sign-up (a new operator and its owner), confirmation of the address, login,
sessions, choosing among one's operators, and password reset.

Answers never tell whether an address has an account: sign-up and reset say the same
("look in your inbox") either way, and a failed login is one refusal for an unknown address,
a wrong password or an unconfirmed account, after the same argon2 work.
"""

import datetime
import secrets
import uuid

import asyncpg
import msgspec

from portal import i18n
from portal.accounts import passwords, repository
from portal.accounts.repository import Membership, Session
from portal.accounts.tokens import Tokens
from portal.db import Transaction
from portal.errors import Conflict, NotFound, Unprocessable
from portal.identity.service import found_operator
from portal.ids import new_id, secret_hash
from schemas.accounts import Invitation, Login, NewPassword, SignUp


class Started(msgspec.Struct, frozen=True):
    """A session begun: the cookie's token (only its hash is stored) and where to go first."""

    token: str
    person_id: uuid.UUID
    memberships: list[Membership]


def _address(email: str) -> str:
    return email.lower()


async def sign_up(db: Transaction, form: SignUp, language: i18n.Language) -> bool:
    """The operator, its owner and the confirmation e-mail; False (nothing stored) when the
    address has an account already, which the caller does not tell the visitor."""
    person_id = new_id()
    chosen = form.language or language
    if not await repository.insert_person(db, person_id, _address(form.email), passwords.hashed(form.password), chosen):
        return False
    operator_id = await found_operator(
        db, form.operator_name, form.establishment_country, form.community_licence_number
    )
    await repository.set_membership(db, person_id, operator_id, "OWNER")
    await repository.queue_mail(db, person_id, "CONFIRM", chosen)
    return True


async def add_person(
    db: Transaction, email: str, password: str, operator_id: uuid.UUID, role: repository.Role, language: str = "en"
) -> uuid.UUID:
    """A person of an existing operator, their address taken as confirmed (an administrator's
    or a benchmark's set-up, not a visitor's sign-up)."""
    person_id = new_id()
    if not await repository.insert_person(db, person_id, _address(email), passwords.hashed(password), language):
        raise ValueError(f"{email} has an account already")
    await repository.confirm(db, person_id)
    await repository.set_membership(db, person_id, operator_id, role)
    return person_id


async def confirm(db: Transaction, tokens: Tokens, token: str) -> bool:
    read = tokens.read("CONFIRM", token)
    if read is None or await repository.person(db, read[0]) is None:
        return False
    await repository.confirm(db, read[0])
    return True


async def log_in(db: Transaction, form: Login, lifetime: datetime.timedelta) -> Started:
    """A new session for the person whose address and password these are (a new token each
    time: a token planted before login is worth nothing after it); Unprocessable otherwise."""
    person = await repository.person_by_email(db, _address(form.email))
    if not passwords.matches(person.password_hash if person else None, form.password) or person is None:
        raise Unprocessable.of("", "login_failed")
    if person.confirmed_at is None:
        raise Unprocessable.of("email", "email_unconfirmed")
    if passwords.outdated(person.password_hash):
        await repository.rehash(db, person.id, passwords.hashed(form.password))
    member_of = await repository.memberships(db, person.id)
    # One operator: it is chosen; several: the person chooses (the official "select firm").
    operator_id = member_of[0].operator_id if len(member_of) == 1 else None
    token = secrets.token_urlsafe(32)
    await repository.insert_session(db, secret_hash(token), person.id, operator_id, lifetime)
    return Started(token, person.id, member_of)


async def session_of(db: asyncpg.Connection, token: str | None) -> Session | None:
    return await repository.session(db, secret_hash(token)) if token else None


async def choose_operator(db: Transaction, token: str, operator_id: uuid.UUID) -> bool:
    return await repository.choose_operator(db, secret_hash(token), operator_id)


async def log_out(db: Transaction, token: str) -> None:
    await repository.delete_session(db, secret_hash(token))


async def ask_reset(db: Transaction, email: str, language: i18n.Language) -> None:
    """A reset link e-mailed to the address if it has an account (the caller says the same either way)."""
    person = await repository.person_by_email(db, _address(email))
    if person is not None:
        await repository.queue_mail(db, person.id, "RESET", person.language or language)


async def reset_password(db: Transaction, tokens: Tokens, token: str, form: NewPassword) -> bool:
    """The new password, if the link is valid and still for the current password; every session
    of the person ends (the address is confirmed too: the link came through it)."""
    # An invitation's link chooses the first password the same way.
    read = tokens.read("RESET", token) or tokens.read("INVITE", token)
    if read is None:
        return False
    person_id, made_for = read
    person = await repository.person(db, person_id)
    if person is None or person.password_changed_at.isoformat() != made_for:
        return False
    await repository.set_password(db, person_id, passwords.hashed(form.password))
    await repository.confirm(db, person_id)
    return True


async def memberships(db: asyncpg.Connection, person_id: uuid.UUID) -> list[Membership]:
    return await repository.memberships(db, person_id)


async def set_language(db: Transaction, person_id: uuid.UUID, language: i18n.Language) -> None:
    await repository.set_language(db, person_id, language)


async def people_of(db: asyncpg.Connection, operator_id: uuid.UUID) -> list[repository.OperatorPerson]:
    return await repository.people_of(db, operator_id)


async def invite(db: Transaction, operator_id: uuid.UUID, invited: Invitation, language: i18n.Language) -> None:
    """The person as a member of the operator (or their role changed); a new address gets a
    person of its own, with no usable password until they choose one from the e-mailed link."""
    person_id = new_id()
    address = _address(invited.email)
    if await repository.insert_person(db, person_id, address, passwords.hashed(secrets.token_urlsafe(32)), language):
        await repository.queue_mail(db, person_id, "INVITE", language)
    else:
        found = await repository.person_by_email(db, address)
        assert found is not None  # the address had an account: the insert said so in this transaction
        person_id = found.id
    await repository.set_membership(db, person_id, operator_id, invited.role)


async def remove_person(db: Transaction, operator_id: uuid.UUID, person_id: uuid.UUID) -> None:
    """The person's membership ended (404 for another operator's); an operator keeps an owner."""
    remaining_owners = await repository.remove_membership(db, person_id, operator_id)
    if remaining_owners is None:
        raise NotFound.of("", "not_found", kind="person")
    if remaining_owners == 0:
        raise Conflict.of("", "last_owner")
