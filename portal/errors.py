"""Refusals as exceptions, and the handlers that turn every failure into the one error body."""

import traceback
from http import HTTPStatus
from typing import Any

import msgspec
import structlog
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException

from schemas.errors import ErrorBody, FieldError

log = structlog.get_logger(__name__)


class ApiError(Exception):
    status_code = HTTPStatus.BAD_REQUEST

    def __init__(self, message: str, errors: list[FieldError] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or []


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

    def __init__(self, errors: list[FieldError], message: str = "") -> None:
        super().__init__(message or _summary(errors), errors)


def _summary(errors: list[FieldError]) -> str:
    fields = ", ".join(dict.fromkeys(e.field for e in errors if e.field))
    return f"the request breaks {len(errors)} rule(s): {fields}" if fields else "the request breaks a rule"


def error_response(status_code: int, message: str, errors: list[FieldError] | None = None) -> Response[bytes]:
    body = ErrorBody(message=message, errors=errors or [])
    return Response(msgspec.json.encode(body), status_code=status_code, media_type=MediaType.JSON)


def api_error_handler(_: Request[Any, Any, Any], exc: ApiError) -> Response[bytes]:
    return error_response(exc.status_code, exc.message, exc.errors)


def http_exception_handler(_: Request[Any, Any, Any], exc: HTTPException) -> Response[bytes]:
    """Litestar's own refusals (bad query parameters, unknown routes, 413) in our error shape."""
    errors: list[FieldError] = []
    if isinstance(exc, ValidationException) and isinstance(exc.extra, list):
        problems = [problem for problem in exc.extra if isinstance(problem, dict)]
        # An empty body never reaches portal.wire: litestar finds no ``data`` and says "'data'".
        if any(problem.get("key") == "data" and problem.get("source") == "body" for problem in problems):
            return error_response(exc.status_code, "the body is empty: a JSON object is expected")
        for problem in problems:
            errors.append(FieldError(field=str(problem.get("key", "")), message=str(problem.get("message", ""))))
    return error_response(exc.status_code, exc.detail, errors)


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    # The route template, never the path or query: those may carry personal data.
    route = request.scope.get("path_template", "")
    # The frames without the message: a database error's message may quote the values it saw.
    frames = "".join(traceback.format_tb(exc.__traceback__))
    log.error("unhandled error", method=request.method, route=route, error=type(exc).__name__, frames=frames)
    return error_response(HTTPStatus.INTERNAL_SERVER_ERROR, "internal error: it has been logged")


EXCEPTION_HANDLERS: dict[type[Exception] | int, Any] = {
    ApiError: api_error_handler,
    HTTPException: http_exception_handler,
    Exception: internal_error_handler,
}
