"""Strict decoding of request bodies, with every failing field named in one answer.

msgspec stops at the first error, and litestar's own ``data`` binding converts leniently
(``"5"`` becomes 5). Here a body is decoded strictly in one pass; only when that fails is it
decoded again field by field to collect every error. Each field then goes through the content
rule its type names (``schemas.base``), which also normalises it (NFC names, compact plates).
"""

import functools
import re
from collections.abc import Callable, Generator
from typing import Any, Generic, TypeVar

import msgspec
from litestar.dto import MsgspecDTO
from litestar.typing import FieldDefinition

from portal.errors import ApiError, MalformedBody, Unprocessable, UnsupportedMediaType
from portal.field_rules import FieldPlan, Rule, allowed_values, apply_rule, apply_rules, plan_of
from portal.refusals import Refused, refusal
from schemas.errors import FieldError

T = TypeVar("T", bound=msgspec.Struct)


@functools.cache
def _decoder(type_: Any) -> msgspec.json.Decoder[Any]:
    return msgspec.json.Decoder(type_, strict=True)


# msgspec's messages, by what they say: "Expected `str` of length >= 1" and the like.
_MSGSPEC_MESSAGES: list[tuple[re.Pattern[str], Callable[[re.Match[str], Any], tuple[Any, dict[str, Any]]]]] = [
    (re.compile(r"Expected `str` of length >= (\d+)"), lambda m, _: ("too_short", {"minLength": int(m[1])})),
    (re.compile(r"Expected `str` of length <= (\d+)"), lambda m, _: ("too_long", {"maxLength": int(m[1])})),
    (re.compile(r"Expected `array` of length >= (\d+)"), lambda m, _: ("too_few", {"minItems": int(m[1])})),
    (re.compile(r"Expected `array` of length <= (\d+)"), lambda m, _: ("too_many", {"maxItems": int(m[1])})),
    (re.compile(r"Expected `(?:int|float)` >= (\S+)"), lambda m, _: ("too_small", {"minimum": m[1]})),
    (re.compile(r"Expected `(?:int|float)` <= (\S+)"), lambda m, _: ("too_large", {"maximum": m[1]})),
    (re.compile(r"Expected `(\w+)`, got `(\w+)`"), lambda m, _: ("wrong_type", {"expected": m[1], "got": m[2]})),
    (
        re.compile(r"Invalid enum value"),
        lambda _, annotation: ("not_allowed", {"allowed": ", ".join(allowed_values(annotation))}),
    ),
    (re.compile(r"Invalid RFC3339 encoded date$"), lambda m, _: ("invalid_date", {})),
    (re.compile(r"Invalid RFC3339 encoded datetime"), lambda m, _: ("invalid_datetime", {})),
    (re.compile(r"Invalid UUID"), lambda m, _: ("invalid_uuid", {})),
]


def _from_msgspec(field: str, error: msgspec.ValidationError, annotation: Any) -> FieldError:
    """msgspec's error about ``field`` as a coded refusal: "Expected `str`, got `int` - at `$[1]`"
    becomes wrong_type at ``field[1]``."""
    message, _, where = str(error).partition(" - at `$")
    path = field + where.rstrip("`")
    for pattern, coded in _MSGSPEC_MESSAGES:
        if match := pattern.match(message):
            code, params = coded(match, annotation)
            return refusal(path, code, **params)
    return refusal(path, "invalid_value", problem=message)


def _malformed(problem: Exception) -> MalformedBody:
    if isinstance(problem, RecursionError):
        return MalformedBody.of("", "body_too_deep")
    if isinstance(problem, UnicodeDecodeError):
        return MalformedBody.of("", "body_not_utf8")
    return MalformedBody.of("", "body_not_json", problem=str(problem))


def _check_syntax(body: bytes) -> None:
    """Raise MalformedBody unless ``body`` is one well-formed JSON value in UTF-8."""
    try:
        body.decode("utf-8")
        _decoder(msgspec.Raw).decode(body)
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError) as problem:
        raise _malformed(problem) from None


def _item_errors(plan: FieldPlan, raw: msgspec.Raw, errors: list[FieldError]) -> bool:
    """Name each item of a list field that has the wrong type or breaks its rule.

    Returns False when the value is not a list of JSON values at all (nothing was named).
    """
    try:
        items = _decoder(list[msgspec.Raw]).decode(raw)
    except msgspec.ValidationError:
        return False
    named = False
    for index, item in enumerate(items):
        path = f"{plan.wire_name}[{index}]"
        try:
            value = _decoder(plan.item_type).decode(item)
        except msgspec.ValidationError as problem:
            errors.append(_from_msgspec(path, problem, plan.item_type))
            named = True
            continue
        if plan.rule is not None:
            try:
                plan.rule(value)
            except Refused as refused:
                errors.append(refused.at(path))
    return named


def _every_error(body: bytes, struct_type: type[msgspec.Struct]) -> list[FieldError]:
    """Decode field by field to name every type error, and every rule a well-typed field breaks.

    A body that is not well-formed JSON (anywhere, even past the first type error) is a 400.
    """
    _check_syntax(body)
    try:
        fields = _decoder(dict[str, msgspec.Raw]).decode(body)
    except msgspec.ValidationError:
        return [refusal("", "body_not_object")]
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError) as problem:
        raise _malformed(problem) from None
    errors: list[FieldError] = []
    plans = plan_of(struct_type)
    known = {plan.wire_name for plan in plans}
    for plan in plans:
        if plan.wire_name not in fields:
            if plan.required:
                errors.append(refusal(plan.wire_name, "required"))
            continue
        try:
            value = _decoder(plan.type).decode(fields[plan.wire_name])
        except msgspec.ValidationError as problem:
            # Name every bad item of a list, not only the first; else the error as msgspec found it.
            if not (plan.many and _item_errors(plan, fields[plan.wire_name], errors)):
                errors.append(_from_msgspec(plan.wire_name, problem, plan.type))
        except (msgspec.DecodeError, UnicodeDecodeError, RecursionError) as problem:
            raise _malformed(problem) from None
        else:
            if plan.rule is not None and value is not None:
                apply_rule(plan, value, plan.rule, errors)
    errors.extend(refusal(name, "unknown_field") for name in fields if name not in known)
    return errors


def is_plain_ascii(body: bytes) -> bool:
    """Printable ASCII without escapes: JSON forbids raw control characters in strings, so only
    DEL and escapes (``\\u0000``) could bring one."""
    return body.isascii() and b"\\" not in body and b"\x7f" not in body


def decode_json(body: bytes, struct_type: type[T]) -> T:
    """Decode ``body`` strictly into ``struct_type`` and normalise it, or refuse it whole.

    Raises MalformedBody (400) for what is not JSON and Unprocessable (422) naming every field
    that has the wrong type, is missing, is unknown or breaks its content rule.
    """
    if not body.strip():
        raise MalformedBody.of("", "body_empty")
    try:
        struct: T = _decoder(struct_type).decode(body)
    except msgspec.ValidationError:
        errors = _every_error(body, struct_type)
        raise Unprocessable(errors or [refusal("", "body_not_object")]) from None
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError) as problem:
        raise _malformed(problem) from None
    if errors := apply_rules(struct, ascii_only=is_plain_ascii(body)):
        raise Unprocessable(errors)
    return struct


def require_json(content_type: str) -> None:
    media_type = content_type.partition(";")[0].strip().lower()
    # A missing type is tolerated: much fleet software sends JSON without saying so.
    if media_type and media_type != "application/json" and not media_type.endswith("+json"):
        raise UnsupportedMediaType.of("", "media_type", expected="application/json", got=media_type)


class StrictJSON(MsgspecDTO[T], Generic[T]):
    """Request-body binding for litestar handlers that goes through ``decode_json``.

    Handlers declare ``data: SomeStruct`` with ``dto=StrictJSON[SomeStruct]`` and get a strictly
    decoded, normalised Struct; the OpenAPI document shows the Struct itself.
    """

    def decode_bytes(self, value: bytes) -> Any:
        require_json(self.asgi_connection.headers.get("content-type", ""))
        return decode_json(value, self.model_type)

    @classmethod
    def create_openapi_schema(cls, field_definition: FieldDefinition, handler_id: str, schema_creator: Any) -> Any:
        return schema_creator.for_field_definition(FieldDefinition.from_annotation(cls.model_type))

    @classmethod
    def generate_field_definitions(cls, model_type: type[msgspec.Struct]) -> Generator[Any, None, None]:
        yield from super().generate_field_definitions(model_type)


def query_value(name: str, value: str | None, rule: Rule) -> str | None:
    """A query parameter through a content rule: a bad one answers 400 naming the parameter."""
    if value is None:
        return None
    try:
        return rule(value)
    except Refused as refused:
        raise ApiError([refused.at(name)]) from None
