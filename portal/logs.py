"""Structured logs. Lines carry route templates and ids, never query strings or personal data."""

import logging
import time

import msgspec
import structlog
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

_json = msgspec.json.Encoder(enc_hook=str)


def _json_line(_: object, __: str, event: structlog.typing.EventDict) -> bytes:
    return _json.encode(event)


def configure(level: str = "INFO", *, as_json: bool = False) -> None:
    """Lines of ``key=value`` for people, or of JSON for a log collector (``as_json``).

    Both are written as they are made, in the request's own process: every request writes a
    line, so the renderers are the cheap ones (measured: structlog's console renderer cost
    more than half of what the rest of the line did)."""
    processors: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
    ]
    if as_json:
        processors.append(_json_line)
        factory: structlog.typing.WrappedLogger = structlog.BytesLoggerFactory()
    else:
        processors.append(
            structlog.processors.KeyValueRenderer(key_order=["timestamp", "level", "event"], repr_native_str=False)
        )
        factory = structlog.PrintLoggerFactory()
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=factory,
        cache_logger_on_first_use=True,
    )


_access = structlog.get_logger("portal.access")


def access_log(app: ASGIApp) -> ASGIApp:
    """An ASGI middleware that logs each request by its route template, status and duration.

    The template (``/authority/declarations``), never the path or the query string: roadside
    search keys travel in the query, and names, plates or numbers must never reach a log.
    """

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await app(scope, receive, send_and_note)
        finally:
            # Synchronous on purpose: the async methods hand every line to a thread, which cost
            # more than writing it (profiled under roadside look-ups).
            _access.info(
                "request",
                method=scope["method"],
                route=scope.get("path_template") or "(no route)",
                status=status,
                ms=round((time.perf_counter() - started) * 1000, 1),
            )

    return middleware
