"""What the receiver is told through ``/_control/``: the fault it plays, the secrets it accepts;
and what it shows there (its counts, the events it stored, its health)."""

import asyncio
import contextlib
import time
import urllib.parse
from collections.abc import Awaitable, Callable, Sequence
from http import HTTPStatus
from typing import Annotated, Literal, NamedTuple, Protocol, TypeVar

import msgspec
import structlog
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from portal.receiver.store import EventsPage, Store

T = TypeVar("T")
Mode = Literal["ok", "fail", "stall", "reset", "gone", "throttle"]
Rejection = Literal["signature", "stale"]
# Standard Webhooks' tolerance, which its library applies without exposing it.
TIMESTAMP_TOLERANCE_SECONDS = 5 * 60

log = structlog.get_logger(__name__)
_json = msgspec.json.Encoder()


class Reply(NamedTuple):
    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()


def json_reply(status: int, content: object, *headers: tuple[str, str]) -> Reply:
    return Reply(status, _json.encode(content), headers)


def error(status: HTTPStatus, detail: str | None = None) -> Reply:
    content = {"error": status.phrase} if detail is None else {"error": status.phrase, "detail": detail}
    return json_reply(status, content)


class ModeRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename="camel"):
    """A fault to play on deliveries for ``seconds`` (none: until told otherwise)."""

    mode: Mode
    seconds: Annotated[float, msgspec.Meta(gt=0)] | None = None
    # fail: the status answered (500 unless given); throttle: 429 unless given (503, say).
    status: Annotated[int, msgspec.Meta(ge=400, le=599)] | None = None
    retry_after: Annotated[int, msgspec.Meta(ge=0)] = 5


OK = ModeRequest(mode="ok")


class Faults:
    """The mode the receiver is in, back to ``ok`` once its time is up."""

    def __init__(self, mode: ModeRequest = OK) -> None:
        self._changed = asyncio.Event()
        self.set(mode)

    def set(self, mode: ModeRequest) -> None:
        self._mode = mode
        self._until = None if mode.seconds is None else time.monotonic() + mode.seconds
        # Stalled deliveries wait on this: told anything new, they are answered.
        self._changed.set()
        self._changed = asyncio.Event()

    def current(self) -> ModeRequest:
        if self._until is not None and time.monotonic() >= self._until:
            self._mode, self._until = OK, None
        return self._mode

    async def stall(self) -> None:
        """Wait until the mode ends or another one is set."""
        remaining = None if self._until is None else max(0.0, self._until - time.monotonic())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), remaining)


class Secrets:
    """The secrets deliveries may be signed with (several while a sender rotates its own)."""

    def __init__(self, secrets: Sequence[str]) -> None:
        self.replace(secrets)

    def replace(self, secrets: Sequence[str]) -> None:
        """Raises ``ValueError`` if one is not a secret (``whsec_`` and base64)."""
        if not secrets:
            raise ValueError("at least one secret is needed")
        try:
            self._webhooks = [Webhook(secret) for secret in secrets]
        except Exception as problem:  # the library's own, or binascii.Error
            raise ValueError(f"not a webhook secret: {type(problem).__name__}") from None

    def rejection(self, body: bytes, headers: dict[str, str]) -> Rejection | None:
        """Why a delivery is refused, if it is: no valid signature, or a stale timestamp."""
        # The library checks the timestamp too, but tells no stale delivery from a forged one.
        with contextlib.suppress(KeyError, ValueError):
            if abs(time.time() - float(headers["webhook-timestamp"])) > TIMESTAMP_TOLERANCE_SECONDS:
                return "stale"
        for webhook in self._webhooks:
            # ValueError: a signature that is not base64, a body that is not UTF-8.
            with contextlib.suppress(WebhookVerificationError, ValueError):
                webhook.verify(body, headers, json_parse=False)
                return None
        return "signature"


class Rejected(msgspec.Struct, frozen=True):
    signature: int
    stale: int
    malformed: int


class Stats(msgspec.Struct, frozen=True, rename="camel"):
    """The receiver's counts since its store was made (or last emptied)."""

    batches: int
    events: int
    duplicates: int
    conflicts: int
    out_of_order: int
    replayed_batches: int
    rejected: Rejected
    failed_on_purpose: int
    mode: Mode
    last_received_at: str | None


def stats_of(store: Store, mode: Mode) -> Stats:
    counts = store.counts()
    return Stats(
        batches=counts["batches"],
        events=counts["events"],
        duplicates=counts["duplicates"],
        conflicts=counts["conflicts"],
        out_of_order=counts["outOfOrder"],
        replayed_batches=counts["replayedBatches"],
        rejected=Rejected(counts["rejectedSignature"], counts["rejectedStale"], counts["rejectedMalformed"]),
        failed_on_purpose=counts["failedOnPurpose"],
        mode=mode,
        last_received_at=store.last_received_at(),
    )


class InStore(Protocol):
    """Runs work on the store, in the store's own thread."""

    def __call__(self, work: Callable[[Store], T], /) -> Awaitable[T]: ...


class _NewSecrets(msgspec.Struct, forbid_unknown_fields=True):
    secrets: Annotated[list[str], msgspec.Meta(min_length=1)]


_mode = msgspec.json.Decoder(ModeRequest)
_secrets = msgspec.json.Decoder(_NewSecrets)
_ROUTES: dict[str, str] = {
    "/_control/health": "GET",
    "/_control/stats": "GET",
    "/_control/events": "GET",
    "/_control/mode": "POST",
    "/_control/secrets": "POST",
    "/_control/reset-store": "POST",
}


class Control:
    """The ``/_control/`` routes. They take no signature: the receiver is a tool for tests and
    integrators, and listens on 127.0.0.1 unless told otherwise."""

    def __init__(self, in_store: InStore, faults: Faults, secrets: Secrets) -> None:
        self._in_store = in_store
        self._faults = faults
        self._secrets = secrets

    async def answer(self, method: str, path: str, query: str, body: bytes) -> Reply:
        allowed = _ROUTES.get(path)
        if allowed is None:
            return error(HTTPStatus.NOT_FOUND)
        if method != allowed:
            return json_reply(HTTPStatus.METHOD_NOT_ALLOWED, {"error": "Method Not Allowed"}, ("allow", allowed))
        try:
            return await self._route(path, query, body)
        except msgspec.DecodeError as problem:  # ValidationError too: it is a subclass
            return error(HTTPStatus.BAD_REQUEST, str(problem))

    async def _route(self, path: str, query: str, body: bytes) -> Reply:
        if path == "/_control/health":
            return json_reply(HTTPStatus.OK, {"status": "ok"})
        if path == "/_control/stats":
            mode = self._faults.current().mode
            return json_reply(HTTPStatus.OK, await self._in_store(lambda store: stats_of(store, mode)))
        if path == "/_control/events":
            return await self._events(query)
        if path == "/_control/mode":
            told = _mode.decode(body)
            self._faults.set(told)
            log.info("mode set", mode=told.mode, seconds=told.seconds, status=told.status)
            return json_reply(HTTPStatus.OK, told)
        if path == "/_control/secrets":
            try:
                self._secrets.replace(_secrets.decode(body).secrets)
            except ValueError as problem:
                return error(HTTPStatus.BAD_REQUEST, str(problem))
            log.info("secrets replaced")
            return json_reply(HTTPStatus.OK, {"status": "ok"})
        await self._in_store(Store.empty)
        log.info("store emptied")
        return json_reply(HTTPStatus.OK, {"status": "ok"})

    async def _events(self, query: str) -> Reply:
        parameters = urllib.parse.parse_qs(query)
        try:
            after = int(parameters.get("after", ["0"])[0])
            limit = int(parameters.get("limit", ["100"])[0])
        except ValueError:
            return error(HTTPStatus.BAD_REQUEST, "after and limit are integers")
        if after < 0 or not 1 <= limit <= 10_000:
            return error(HTTPStatus.BAD_REQUEST, "after >= 0, 1 <= limit <= 10000")
        page: EventsPage = await self._in_store(lambda store: store.events_after(after, limit))
        return json_reply(HTTPStatus.OK, page)


def fault_reply(mode: ModeRequest) -> Reply:
    """The answer to a delivery in a mode that answers (fail, throttle, gone, stall)."""
    if mode.mode == "throttle":
        status = mode.status or HTTPStatus.TOO_MANY_REQUESTS
        return json_reply(status, {"error": "throttled on purpose"}, ("retry-after", str(mode.retry_after)))
    if mode.mode == "gone":
        return json_reply(HTTPStatus.GONE, {"error": "gone on purpose"})
    if mode.mode == "stall":
        return json_reply(HTTPStatus.SERVICE_UNAVAILABLE, {"error": "stalled on purpose"})
    return json_reply(mode.status or HTTPStatus.INTERNAL_SERVER_ERROR, {"error": "failing on purpose"})
