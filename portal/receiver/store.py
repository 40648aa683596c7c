"""What the receiver took: the batches and events delivered to it, and its counters, in SQLite.

The store is synchronous and keeps one connection: the server calls it from a single thread of
its own, so calls never overlap. A batch is committed before its delivery is answered, since a
2xx answer tells the sender that the events are stored.
"""

import contextlib
import datetime
import hashlib
import sqlite3
from collections.abc import Iterator, Sequence
from typing import Annotated, Literal

import msgspec

EventType = Literal["SUBMITTED", "UPDATED", "WITHDRAWN"]

# The counters as GET /_control/stats names them; ``batches`` and ``events`` are those stored.
COUNTERS = (
    "batches",
    "events",
    "duplicates",
    "conflicts",
    "outOfOrder",
    "replayedBatches",
    "rejectedSignature",
    "rejectedStale",
    "rejectedMalformed",
    "failedOnPurpose",
)

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS batches (
        webhook_id TEXT PRIMARY KEY,
        received_at TEXT NOT NULL,
        events INTEGER NOT NULL
    )""",
    # seq, not the eventId, is the rowid: GET /_control/events pages on it in arrival order,
    # and AUTOINCREMENT keeps a reader's cursor valid across /_control/reset-store.
    """CREATE TABLE IF NOT EXISTS events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        event_id TEXT NOT NULL UNIQUE,
        declaration_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        type TEXT NOT NULL,
        body BLOB NOT NULL,
        sha256 BLOB NOT NULL,
        received_at TEXT NOT NULL,
        webhook_id TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS events_by_declaration ON events (declaration_id, version)",
    "CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID",
)
# Look-ups of a batch's ids go in chunks, well under SQLite's limit of bound parameters.
_CHUNK = 500


class ReceivedEvent(msgspec.Struct, frozen=True):
    """An event of a delivered batch, with the exact bytes it was delivered as."""

    event_id: str
    type: EventType
    version: int
    declaration_id: str
    body: bytes
    sha256: bytes


class Taken(msgspec.Struct, frozen=True):
    """What became of a batch: events stored, those already stored (identical or not)."""

    stored: int = 0
    duplicates: int = 0
    conflicts: int = 0
    out_of_order: int = 0
    replayed: bool = False


class ListedEvent(msgspec.Struct, frozen=True, rename="camel"):
    event_id: str
    type: str
    version: int
    declaration_id: str
    received_at: str


class EventsPage(msgspec.Struct, frozen=True):
    """Stored events in arrival order; ``next`` is the ``after=`` of the next page."""

    events: list[ListedEvent]
    next: int


class _Event(msgspec.Struct, rename="camel"):
    event_id: Annotated[str, msgspec.Meta(min_length=1)]
    type: EventType
    version: Annotated[int, msgspec.Meta(ge=1)]
    declaration: msgspec.Raw


class _Declaration(msgspec.Struct, rename="camel"):
    declaration_id: Annotated[str, msgspec.Meta(min_length=1)]


class _Batch(msgspec.Struct):
    # Raw: the exact bytes of each event, hashed and stored as they came.
    events: list[msgspec.Raw]


_batch = msgspec.json.Decoder(_Batch)
_event = msgspec.json.Decoder(_Event)
_declaration = msgspec.json.Decoder(_Declaration)


def decode_batch(body: bytes) -> list[ReceivedEvent]:
    """The events of a delivery's body; raises ``msgspec.DecodeError`` (or its subclass
    ``ValidationError``) when it is not a batch."""
    received = []
    for raw in _batch.decode(body).events:
        event = _event.decode(raw)
        declaration = _declaration.decode(event.declaration)
        exact = bytes(raw)
        received.append(
            ReceivedEvent(
                event.event_id,
                event.type,
                event.version,
                declaration.declaration_id,
                exact,
                hashlib.sha256(exact).digest(),
            )
        )
    return received


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds")


class Store:
    """The receiver's SQLite file (or ``:memory:``), created on first use."""

    def __init__(self, path: str) -> None:
        # Autocommit (isolation_level=None): transactions are begun and committed explicitly.
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        # WAL with synchronous=NORMAL: a commit is durable against a crash of the receiver
        # (not of the machine) without an fsync each time.
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=5000")  # an integrator's sqlite3 shell may hold a lock briefly
        with self._transaction():
            for statement in _SCHEMA:
                self._db.execute(statement)
            self._db.executemany(
                "INSERT OR IGNORE INTO counters (name, value) VALUES (?, 0)", [(name,) for name in COUNTERS]
            )

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _add(self, counts: dict[str, int]) -> None:
        self._db.executemany(
            "UPDATE counters SET value = value + ? WHERE name = ?", [(n, name) for name, n in counts.items() if n]
        )

    def take(self, webhook_id: str, events: Sequence[ReceivedEvent]) -> Taken:
        """Store a verified batch, once: a webhook-id already taken is a replay, and an event
        already stored is a duplicate (the same bytes) or a conflict (other bytes: the first
        stays). Events stored with a lower version than the declaration's highest so far are
        counted out of order; duplicates are not, as nothing new arrived."""
        now = _now()
        with self._transaction():
            batch = self._db.execute(
                "INSERT OR IGNORE INTO batches (webhook_id, received_at, events) VALUES (?, ?, ?)",
                (webhook_id, now, len(events)),
            )
            if batch.rowcount == 0:
                self._add({"replayedBatches": 1})
                return Taken(replayed=True)
            known = self._known(sorted({event.event_id for event in events}))
            highest = self._highest(sorted({event.declaration_id for event in events}))
            rows = []
            duplicates = conflicts = out_of_order = 0
            for event in events:
                digest = known.get(event.event_id)
                if digest == event.sha256:
                    duplicates += 1
                    continue
                if digest is not None:
                    conflicts += 1
                    continue
                known[event.event_id] = event.sha256
                top = highest.get(event.declaration_id, 0)
                if event.version < top:
                    out_of_order += 1
                highest[event.declaration_id] = max(top, event.version)
                rows.append((*msgspec.structs.astuple(event), now, webhook_id))
            self._db.executemany(
                "INSERT INTO events (event_id, type, version, declaration_id, body, sha256, received_at, webhook_id)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            self._add(
                {
                    "batches": 1,
                    "events": len(rows),
                    "duplicates": duplicates,
                    "conflicts": conflicts,
                    "outOfOrder": out_of_order,
                }
            )
        return Taken(len(rows), duplicates, conflicts, out_of_order)

    def _known(self, event_ids: list[str]) -> dict[str, bytes]:
        known: dict[str, bytes] = {}
        for start in range(0, len(event_ids), _CHUNK):
            chunk = event_ids[start : start + _CHUNK]
            marks = ", ".join("?" * len(chunk))
            known.update(self._db.execute(f"SELECT event_id, sha256 FROM events WHERE event_id IN ({marks})", chunk))
        return known

    def _highest(self, declaration_ids: list[str]) -> dict[str, int]:
        highest: dict[str, int] = {}
        for start in range(0, len(declaration_ids), _CHUNK):
            chunk = declaration_ids[start : start + _CHUNK]
            marks = ", ".join("?" * len(chunk))
            highest.update(
                self._db.execute(
                    f"SELECT declaration_id, MAX(version) FROM events WHERE declaration_id IN ({marks})"
                    " GROUP BY declaration_id",
                    chunk,
                )
            )
        return highest

    def count(self, counter: str) -> None:
        """One more of ``counter`` (a rejection, a delivery failed on purpose)."""
        with self._transaction():
            self._add({counter: 1})

    def counts(self) -> dict[str, int]:
        return dict(self._db.execute("SELECT name, value FROM counters"))

    def last_received_at(self) -> str | None:
        row = self._db.execute("SELECT received_at FROM batches ORDER BY rowid DESC LIMIT 1").fetchone()
        return None if row is None else str(row[0])

    def events_after(self, after: int, limit: int) -> EventsPage:
        rows = self._db.execute(
            "SELECT seq, event_id, type, version, declaration_id, received_at FROM events"
            " WHERE seq > ? ORDER BY seq LIMIT ?",
            (after, limit),
        ).fetchall()
        events = [ListedEvent(*row[1:]) for row in rows]
        return EventsPage(events, rows[-1][0] if rows else after)

    def empty(self) -> None:
        """Forget every batch, event and count (the events' sequence goes on)."""
        with self._transaction():
            self._db.execute("DELETE FROM batches")
            self._db.execute("DELETE FROM events")
            self._db.execute("UPDATE counters SET value = 0")

    def close(self) -> None:
        self._db.close()
