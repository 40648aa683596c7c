"""SQL of people, their memberships of operators, their web sessions and account e-mails."""

import datetime
import uuid
from typing import Literal

import asyncpg
import msgspec

from portal.db import Transaction

Role = Literal["OWNER", "MEMBER"]


class Person(msgspec.Struct, frozen=True):
    id: uuid.UUID
    email: str
    password_hash: str
    language: str | None
    confirmed_at: datetime.datetime | None
    password_changed_at: datetime.datetime


class Membership(msgspec.Struct, frozen=True):
    operator_id: uuid.UUID
    operator_name: str
    role: Role


class Session(msgspec.Struct, frozen=True):
    person_id: uuid.UUID
    email: str
    language: str | None
    # The operator chosen for this session, and the person's role there (None: none chosen).
    operator_id: uuid.UUID | None
    operator_name: str | None
    operator_country: str | None
    role: Role | None


class OperatorPerson(msgspec.Struct, frozen=True):
    """A person of an operator, as its owners see them."""

    person_id: uuid.UUID
    email: str
    role: Role
    confirmed_at: datetime.datetime | None


class AccountMail(msgspec.Struct, frozen=True):
    id: int
    person_id: uuid.UUID
    email: str
    purpose: Literal["CONFIRM", "RESET"]
    language: str
    attempts: int
    password_changed_at: datetime.datetime


_PERSON = "id, email, password_hash, language, confirmed_at, password_changed_at"


async def insert_person(
    db: Transaction, person_id: uuid.UUID, email: str, password_hash: str, language: str | None
) -> bool:
    """False, and nothing stored, when the address has an account already."""
    stored: bool = await db.fetchval(
        """
        WITH added AS (
            INSERT INTO people (id, email, password_hash, language) VALUES ($1, $2, $3, $4)
            ON CONFLICT (email) DO NOTHING RETURNING 1
        ) SELECT EXISTS (SELECT 1 FROM added)
        """,
        person_id,
        email,
        password_hash,
        language,
    )
    return stored


async def set_membership(db: Transaction, person_id: uuid.UUID, operator_id: uuid.UUID, role: Role) -> None:
    """The person a member of the operator in ``role`` (their role changed if they were one)."""
    await db.execute(
        "INSERT INTO memberships (person_id, operator_id, role) VALUES ($1, $2, $3)"
        " ON CONFLICT (person_id, operator_id) DO UPDATE SET role = excluded.role",
        person_id,
        operator_id,
        role,
    )


async def people_of(db: asyncpg.Connection, operator_id: uuid.UUID) -> list[OperatorPerson]:
    rows = await db.fetch(
        "SELECT p.id, p.email, m.role::text, p.confirmed_at FROM memberships m JOIN people p ON p.id = m.person_id"
        " WHERE m.operator_id = $1 ORDER BY p.email",
        operator_id,
    )
    return [OperatorPerson(*row) for row in rows]


async def remove_membership(db: Transaction, person_id: uuid.UUID, operator_id: uuid.UUID) -> int | None:
    """End the membership and the sessions it chose; the owners left (None: there was none).
    The operator's memberships are locked first, so two owners removing each other cannot
    both succeed."""
    owners: int | None = await db.fetchval(
        """
        WITH locked AS (SELECT person_id, role FROM memberships WHERE operator_id = $2 FOR UPDATE),
        removed AS (DELETE FROM memberships WHERE person_id = $1 AND operator_id = $2 RETURNING role),
        ended AS (DELETE FROM web_sessions WHERE person_id = $1 AND operator_id = $2)
        SELECT CASE WHEN EXISTS (SELECT 1 FROM removed)
               THEN count(*) FILTER (WHERE locked.role = 'OWNER' AND locked.person_id <> $1) END
        FROM locked
        """,
        person_id,
        operator_id,
    )
    return owners


async def person_by_email(db: asyncpg.Connection, email: str) -> Person | None:
    row = await db.fetchrow(f"SELECT {_PERSON} FROM people WHERE email = $1", email)
    return Person(*row) if row else None


async def person(db: asyncpg.Connection, person_id: uuid.UUID) -> Person | None:
    row = await db.fetchrow(f"SELECT {_PERSON} FROM people WHERE id = $1", person_id)
    return Person(*row) if row else None


async def confirm(db: Transaction, person_id: uuid.UUID) -> None:
    await db.execute("UPDATE people SET confirmed_at = coalesce(confirmed_at, now()) WHERE id = $1", person_id)


async def set_password(db: Transaction, person_id: uuid.UUID, password_hash: str) -> None:
    """A new password, and every session of the person's ended (a thief's with them)."""
    await db.execute(
        """
        WITH ended AS (DELETE FROM web_sessions WHERE person_id = $1)
        UPDATE people SET password_hash = $2, password_changed_at = clock_timestamp() WHERE id = $1
        """,
        person_id,
        password_hash,
    )


async def rehash(db: Transaction, person_id: uuid.UUID, password_hash: str) -> None:
    """The same password under today's parameters: sessions and reset links stay as they are."""
    await db.execute("UPDATE people SET password_hash = $2 WHERE id = $1", person_id, password_hash)


async def set_language(db: Transaction, person_id: uuid.UUID, language: str) -> None:
    await db.execute("UPDATE people SET language = $2 WHERE id = $1", person_id, language)


async def memberships(db: asyncpg.Connection, person_id: uuid.UUID) -> list[Membership]:
    rows = await db.fetch(
        """
        SELECT m.operator_id, o.name, m.role::text FROM memberships m JOIN operators o ON o.id = m.operator_id
        WHERE m.person_id = $1 ORDER BY o.name, m.operator_id
        """,
        person_id,
    )
    return [Membership(*row) for row in rows]


async def insert_session(
    db: Transaction,
    token_hash: bytes,
    person_id: uuid.UUID,
    operator_id: uuid.UUID | None,
    lifetime: datetime.timedelta,
) -> None:
    await db.execute(
        "INSERT INTO web_sessions (token_hash, person_id, operator_id, expires_at) VALUES ($1, $2, $3, now() + $4)",
        token_hash,
        person_id,
        operator_id,
        lifetime,
    )


async def session(db: asyncpg.Connection, token_hash: bytes) -> Session | None:
    """The session of the token if it has not expired, with the person's role where the chosen
    operator still counts them among its members."""
    row = await db.fetchrow(
        """
        SELECT s.person_id, p.email, p.language, m.operator_id, o.name, o.establishment_country, m.role::text
        FROM web_sessions s JOIN people p ON p.id = s.person_id
        LEFT JOIN memberships m ON m.person_id = s.person_id AND m.operator_id = s.operator_id
        LEFT JOIN operators o ON o.id = m.operator_id
        WHERE s.token_hash = $1 AND s.expires_at > now()
        """,
        token_hash,
    )
    return Session(*row) if row else None


async def choose_operator(db: Transaction, token_hash: bytes, operator_id: uuid.UUID) -> bool:
    """The session works for ``operator_id`` from now on, if its person is a member of it."""
    chosen: bool = await db.fetchval(
        """
        WITH chosen AS (
            UPDATE web_sessions s SET operator_id = $2 FROM memberships m
            WHERE s.token_hash = $1 AND m.person_id = s.person_id AND m.operator_id = $2 RETURNING 1
        ) SELECT EXISTS (SELECT 1 FROM chosen)
        """,
        token_hash,
        operator_id,
    )
    return chosen


async def delete_session(db: Transaction, token_hash: bytes) -> None:
    await db.execute("DELETE FROM web_sessions WHERE token_hash = $1 OR expires_at < now()", token_hash)


async def queue_mail(db: Transaction, person_id: uuid.UUID, purpose: str, language: str) -> None:
    await db.execute(
        "INSERT INTO account_mails (person_id, purpose, language) VALUES ($1, $2, $3)", person_id, purpose, language
    )


async def take_due_mails(db: Transaction, limit: int, lease: datetime.timedelta) -> list[AccountMail]:
    """Account e-mails due, each leased for ``lease`` (a job killed mid-way leaves them to the next)."""
    rows = await db.fetch(
        """
        WITH due AS (
            SELECT id FROM account_mails WHERE sent_at IS NULL AND next_attempt_at <= now()
            ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED
        ), leased AS (
            UPDATE account_mails a SET next_attempt_at = now() + $2, attempts = a.attempts + 1
            FROM due WHERE a.id = due.id RETURNING a.*
        )
        SELECT l.id, l.person_id, p.email, l.purpose::text, l.language, l.attempts, p.password_changed_at
        FROM leased l JOIN people p ON p.id = l.person_id ORDER BY l.id
        """,
        limit,
        lease,
    )
    return [AccountMail(*row) for row in rows]


async def mail_sent(db: Transaction, mail_id: int) -> None:
    await db.execute("UPDATE account_mails SET sent_at = now(), last_error = NULL WHERE id = $1", mail_id)


async def mail_failed(db: Transaction, mail_id: int, error: str, wait: datetime.timedelta, give_up: bool) -> None:
    await db.execute(
        """
        UPDATE account_mails SET last_error = $2,
               next_attempt_at = CASE WHEN $4 THEN 'infinity' ELSE now() + $3 END
        WHERE id = $1
        """,
        mail_id,
        error,
        wait,
        give_up,
    )
