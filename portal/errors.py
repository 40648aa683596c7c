"""Refusals as exceptions, and the handlers that turn every failure into the one error body.

Every refusal carries at least one coded error (``portal.refusals``), so that a client can act
on the code whatever the status.
"""

import traceback
from collections.abc import Coroutine
from http import HTTPStatus
from typing import Any, Self, TypeVar

import asyncpg
import msgspec
import structlog
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, MethodNotAllowedException, NotFoundException, ValidationException
from litestar.exceptions.http_exceptions import RequestEntityTooLarge

from portal.refusals import Param, refusal
from schemas.errors import ErrorBody, FieldError, RefusalCode

log = structlog.get_logger(__name__)


class ApiError(Exception):
    """A refusal: its HTTP status, and every error it names (at least one)."""

    status_code = HTTPStatus.BAD_REQUEST

    def __init__(self, errors: list[FieldError], message: str = "") -> None:
        super().__init__(message or summary(errors))
        self.message = message or summary(errors)
        self.errors = errors

    @classmethod
    def of(cls, field: str, code: RefusalCode, **params: Param) -> Self:
        """A refusal naming one error."""
        return cls([refusal(field, code, **params)])


class MalformedBody(ApiError):
    status_code = HTTPStatus.BAD_REQUEST


class Unauthenticated(ApiError):
    status_code = HTTPStatus.UNAUTHORIZED


class Forbidden(ApiError):
    status_code = HTTPStatus.FORBIDDEN


class NotFound(ApiError):
    status_code = HTTPStatus.NOT_FOUND


class Conflict(ApiError):
    status_code = HTTPStatus.CONFLICT


class UnsupportedMediaType(ApiError):
    status_code = HTTPStatus.UNSUPPORTED_MEDIA_TYPE


class Unprocessable(ApiError):
    """A well-formed body that breaks a rule; ``errors`` names every failing field."""

    status_code = HTTPStatus.UNPROCESSABLE_ENTITY


class TooManyRequests(ApiError):
    """Too many requests from one client: ``Retry-After`` says when to come back."""

    status_code = HTTPStatus.TOO_MANY_REQUESTS

    def __init__(self, retry_after: int) -> None:
        super().__init__([refusal("", "rate_limited", retryAfter=retry_after)])
        self.retry_after = retry_after


def summary(errors: list[FieldError]) -> str:
    if len(errors) == 1:
        [error] = errors
        return f"{error.field}: {error.message}" if error.field else error.message
    fields = ", ".join(dict.fromkeys(e.field for e in errors if e.field))
    return f"the request breaks {len(errors)} rules: {fields}" if fields else "the request breaks several rules"


_encode = msgspec.json.Encoder().encode


def error_response(status_code: int, errors: list[FieldError], message: str = "") -> Response[bytes]:
    body = ErrorBody(message=message or summary(errors), errors=errors)
    return Response(_encode(body), status_code=status_code, media_type=MediaType.JSON)


def api_error_handler(_: Request[Any, Any, Any], exc: ApiError) -> Response[bytes]:
    response = error_response(exc.status_code, exc.errors, exc.message)
    if isinstance(exc, TooManyRequests):
        response.headers["retry-after"] = str(exc.retry_after)
    return response


def http_exception_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[bytes]:
    """Litestar's own refusals (query parameters, unknown routes, 405, 413) in our error shape."""
    if exc.status_code >= HTTPStatus.INTERNAL_SERVER_ERROR:
        return internal_error_handler(request, exc)
    if isinstance(exc, NotFoundException):
        return error_response(exc.status_code, [refusal("", "route_not_found")])
    if isinstance(exc, MethodNotAllowedException):
        return error_response(exc.status_code, [refusal("", "method_not_allowed", method=request.method)])
    if isinstance(exc, RequestEntityTooLarge):
        limit = request.app.state.settings.http.max_body_bytes
        return error_response(exc.status_code, [refusal("", "body_too_large", maxBytes=limit)])
    errors: list[FieldError] = []
    if isinstance(exc, ValidationException) and isinstance(exc.extra, list):
        problems = [problem for problem in exc.extra if isinstance(problem, dict)]
        # An empty body never reaches portal.wire: litestar finds no ``data`` and says "'data'".
        if any(problem.get("key") == "data" and problem.get("source") == "body" for problem in problems):
            return error_response(exc.status_code, [refusal("", "body_empty")])
        for problem in problems:
            errors.append(
                refusal(str(problem.get("key", "")), "bad_parameter", problem=str(problem.get("message", "")))
            )
    return error_response(exc.status_code, errors or [refusal("", "bad_parameter", problem=exc.detail)])


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    # The route template, never the path or query: those may carry personal data.
    route = request.scope.get("path_template", "")
    # The frames without the message: a database error's message may quote the values it saw.
    frames = "".join(traceback.format_tb(exc.__traceback__))
    log.error("unhandled error", method=request.method, route=route, error=type(exc).__name__, frames=frames)
    return error_response(HTTPStatus.INTERNAL_SERVER_ERROR, [refusal("", "internal")])


EXCEPTION_HANDLERS: dict[type[Exception] | int, Any] = {
    ApiError: api_error_handler,
    HTTPException: http_exception_handler,
    Exception: internal_error_handler,
}


R = TypeVar("R")


async def attempted(db: asyncpg.Connection, action: Coroutine[Any, Any, R]) -> R | ApiError:
    """The action's answer, or its refusal with whatever it wrote undone (a savepoint): the page
    shows the refusal while the request's transaction goes on."""
    try:
        async with db.transaction():
            return await action
    except ApiError as refused:
        return refused
