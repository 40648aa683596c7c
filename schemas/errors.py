"""The error body every refusal uses, so a client parses one shape."""

import msgspec

from schemas.base import ResponseBody


class FieldError(ResponseBody, kw_only=True):
    field: str = msgspec.field(name="field")
    message: str


class ErrorBody(ResponseBody, kw_only=True):
    message: str
    errors: list[FieldError] = msgspec.field(default_factory=list)
