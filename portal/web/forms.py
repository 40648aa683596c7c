"""A form read as the API reads a body: its fields under their wire names, decoded by the same
schema and content rules, so a page refuses what the API refuses with the same codes."""

from collections.abc import Callable
from typing import Any, TypeVar

import msgspec
from litestar import Request

from portal.errors import ApiError
from portal.web.session import CSRF_FIELD
from portal.wire import decode_json
from schemas.errors import FieldError

T = TypeVar("T", bound=msgspec.Struct)

_encode = msgspec.json.Encoder().encode


class Form(msgspec.Struct, frozen=True):
    """What the visitor typed (shown again with the errors) and the refusals, by field."""

    values: dict[str, str]
    errors: list[FieldError] = []

    def of(self, field: str) -> list[FieldError]:
        return [error for error in self.errors if error.field == field]

    @property
    def general(self) -> list[FieldError]:
        return [error for error in self.errors if not error.field]


# A field sent several times (checkboxes of one name) is kept as its values one per line.
SEPARATOR = "\n"


async def read_form(request: Request[Any, Any, Any]) -> dict[str, str]:
    form = await request.form()
    return {
        name: SEPARATOR.join(value for value in form.getall(name) if isinstance(value, str))
        for name in form
        if name != CSRF_FIELD
    }


def decoded(
    values: dict[str, str],
    struct_type: type[T],
    secret: frozenset[str] = frozenset(),
    shape: Callable[[dict[str, str]], dict[str, Any]] = dict,
) -> T | Form:
    """The struct, or the form with every refusal (the ``secret`` fields not shown again).
    A field left empty is a field not given, as in a JSON body that leaves it out; ``shape``
    turns the fields left into the body's JSON values (lists, booleans)."""
    given = {name: value for name, value in values.items() if value.strip()}
    try:
        return decode_json(_encode(shape(given)), struct_type)
    except ApiError as refused:
        kept = {name: value for name, value in values.items() if name not in secret}
        return Form(kept, refused.errors)


def _typed(value: Any) -> str:
    if isinstance(value, list):
        return SEPARATOR.join(str(item) for item in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def values_of(record: msgspec.Struct, fields_type: type[msgspec.Struct]) -> dict[str, str]:
    """What a form of ``fields_type`` shows of a record read back: its fields, as typed."""
    wire = msgspec.to_builtins(record)
    return {field.encode_name: _typed(wire.get(field.encode_name)) for field in msgspec.structs.fields(fields_type)}
