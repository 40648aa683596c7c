"""``Idempotency-Key`` on every POST: a retry gets the first answer, whatever happened between.

The key is claimed by inserting its row inside the request's own transaction, and the answer
is stored in that same transaction just before it commits. So a stored answer exists exactly
when the work it describes was committed; a concurrent duplicate waits on the row's unique
index until the first commits (then replays its answer) or rolls back (then does the work).

Litestar's ``after_request`` hook sees the response but not the request, so the response is
handed to the transaction's clean-up through a holder in a context variable set per request.
"""

import contextvars
import hashlib
import uuid
from typing import Any

import msgspec
from litestar import Request, Response

from portal.db import Transaction
from portal.errors import ApiError, Unprocessable
from portal.idempotency import repository

HEADER = "idempotency-key"
MAX_KEY_LENGTH = 200


class Replay(Exception):
    """Answer with the stored response of the first request that carried this key."""

    def __init__(self, status_code: int, body: bytes) -> None:
        super().__init__(status_code)
        self.status_code = status_code
        self.body = body


class Answer:
    """Carries a claimed key to the end of the request, and the response back to the transaction."""

    def __init__(self, principal: uuid.UUID, key: str) -> None:
        self.principal = principal
        self.key = key
        self.response: Response[Any] | None = None


_answer: contextvars.ContextVar[Answer | None] = contextvars.ContextVar("idempotent_answer", default=None)


def replay_handler(_: Request[Any, Any, Any], replay: Replay) -> Response[bytes]:
    return Response(replay.body, status_code=replay.status_code, media_type="application/json")


async def before_request(request: Request[Any, Any, Any]) -> None:
    # Async on purpose: litestar runs sync hooks in a thread, where the context variable would be lost.
    key = request.headers.get(HEADER)
    # Bulk filing opts out: its records are idempotent by clientReference, and its body is a
    # stream too large to hash and keep.
    if request.method != "POST" or key is None or request.route_handler.opt.get("idempotency") is False:
        _answer.set(None)
        return
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ApiError.of("Idempotency-Key", "idempotency_key_length", maxLength=MAX_KEY_LENGTH)
    # Keys are scoped to the caller named in the headers; authentication checks that name
    # against the API key and a forged one rolls the claim back with everything else.
    caller = request.headers.get("x-operator-id") or request.headers.get("x-authority-id") or ""
    try:
        principal = uuid.UUID(caller)
    except ValueError:
        _answer.set(None)  # authentication will refuse this request
        return
    answer = Answer(principal, key)
    request.state.idempotency = answer
    _answer.set(answer)


async def after_request(response: Response[Any]) -> Response[Any]:
    answer = _answer.get()
    if answer is not None:
        answer.response = response
    return response


async def claim(db: Transaction, request: Request[Any, Any, Any]) -> None:
    """Claim the request's key, or raise Replay with the first answer, or refuse a reused key."""
    answer: Answer | None = getattr(request.state, "idempotency", None)
    if answer is None:
        return
    digest = hashlib.sha256(request.url.path.encode() + b"\0" + await request.body()).digest()
    if await repository.claim(db, answer.principal, answer.key, digest):
        return
    first = await repository.first_answer(db, answer.principal, answer.key)
    request.state.idempotency = None
    if first is None or first["request_hash"] != digest:
        raise Unprocessable.of("Idempotency-Key", "idempotency_key_reused")
    raise Replay(first["status_code"], first["response_body"])


async def remember(db: Transaction, request: Request[Any, Any, Any]) -> None:
    """Store the answer of a claimed request, in its transaction, before it commits."""
    answer: Answer | None = getattr(request.state, "idempotency", None)
    if answer is None or answer.response is None:
        return
    content = answer.response.content
    body = content if isinstance(content, bytes) else msgspec.json.encode(content)
    status_code = answer.response.status_code or 200  # litestar fills it in for every handler answer
    await repository.store_answer(db, answer.principal, answer.key, status_code, body)
