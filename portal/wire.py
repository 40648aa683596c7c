"""Strict decoding of request bodies, with every failing field named in one answer.

msgspec stops at the first error, and litestar's own ``data`` binding converts leniently
(``"5"`` becomes 5). Here a body is decoded strictly in one pass; only when that fails is it
decoded again field by field to collect every error. Each field then goes through the content
rule its type names (``schemas.base``), which also normalises it (NFC names, compact plates).
"""

import functools
import types
import typing
from collections.abc import Callable, Generator
from typing import Any, Generic, TypeVar

import msgspec
from litestar.dto import MsgspecDTO
from litestar.typing import FieldDefinition

from portal import normalize
from portal.errors import ApiError, MalformedBody, Unprocessable, UnsupportedMediaType
from schemas.errors import FieldError

T = TypeVar("T", bound=msgspec.Struct)

RULES: dict[str, Callable[[str], str]] = {
    "text": normalize.text,
    "latin_name": normalize.latin_name,
    "plate": normalize.plate,
    "country": normalize.country,
    "posting_country": normalize.posting_country,
    "registration_country": normalize.registration_country,
}


class FieldPlan(msgspec.Struct, frozen=True):
    name: str
    wire_name: str
    type: Any
    required: bool
    rule: Callable[[str], str] | None
    many: bool
    # For a list whose items each go through ``rule``: the type of one item.
    item_type: Any = None


def _rule_of(annotation: Any) -> tuple[str | None, bool]:
    """The content rule a field's type names, and whether it applies to each item of a list."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        base, *metadata = typing.get_args(annotation)
        for meta in metadata:
            if isinstance(meta, msgspec.Meta) and meta.extra and "rule" in meta.extra:
                return meta.extra["rule"], False
        return _rule_of(base)
    if origin in (typing.Union, types.UnionType):
        for option in typing.get_args(annotation):
            rule, many = _rule_of(option)
            if rule:
                return rule, many
        return None, False
    if origin is list:
        rule, _ = _rule_of(typing.get_args(annotation)[0])
        return rule, rule is not None
    return ("text", False) if annotation is str else (None, False)


def _item_type(annotation: Any) -> Any:
    """The item type of the list in ``annotation`` (through Annotated and unions), or None."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _item_type(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        for option in typing.get_args(annotation):
            if (item := _item_type(option)) is not None:
                return item
        return None
    if origin is list:
        return typing.get_args(annotation)[0]
    return None


@functools.cache
def plan_of(struct_type: type[msgspec.Struct]) -> tuple[FieldPlan, ...]:
    plans = []
    for field in msgspec.structs.fields(struct_type):
        rule, many = _rule_of(field.type)
        plans.append(
            FieldPlan(
                name=field.name,
                wire_name=field.encode_name,
                type=field.type,
                required=field.required,
                rule=RULES[rule] if rule else None,
                many=many,
                item_type=_item_type(field.type) if many else None,
            )
        )
    return tuple(plans)


@functools.cache
def _decoder(type_: Any) -> msgspec.json.Decoder[Any]:
    return msgspec.json.Decoder(type_, strict=True)


def _error(path: str, message: str) -> FieldError:
    return FieldError(field=path, message=message)


def _split_msgspec_error(field: str, error: msgspec.ValidationError) -> FieldError:
    # "Expected `str`, got `int` - at `$[1]`" -> field[1], "Expected `str`, got `int`"
    message, _, where = str(error).partition(" - at `$")
    return _error(field + where.rstrip("`"), message)


def _apply_rule(plan: FieldPlan, value: Any, errors: list[FieldError]) -> Any:
    if plan.rule is None or value is None or value is msgspec.UNSET:
        return value
    if not plan.many:
        try:
            return plan.rule(value)
        except ValueError as problem:
            errors.append(_error(plan.wire_name, str(problem)))
            return value
    normalised = []
    for index, item in enumerate(value):
        try:
            normalised.append(plan.rule(item))
        except ValueError as problem:
            errors.append(_error(f"{plan.wire_name}[{index}]", str(problem)))
            normalised.append(item)
    return normalised


def apply_rules(struct: T) -> tuple[T, list[FieldError]]:
    """Normalise every field by its rule; return the normalised struct and what broke a rule."""
    errors: list[FieldError] = []
    changes = {}
    for plan in plan_of(type(struct)):
        if plan.rule is None:
            continue
        value = getattr(struct, plan.name)
        normalised = _apply_rule(plan, value, errors)
        if normalised is not value:
            changes[plan.name] = normalised
    return (msgspec.structs.replace(struct, **changes) if changes else struct), errors


def _malformed(problem: Exception) -> MalformedBody:
    if isinstance(problem, RecursionError):
        return MalformedBody("the body is nested too deeply")
    if isinstance(problem, UnicodeDecodeError):
        return MalformedBody("the body is not valid UTF-8")
    return MalformedBody(f"the body is not valid JSON: {problem}")


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
            errors.append(_split_msgspec_error(path, problem))
            named = True
            continue
        if plan.rule is not None:
            try:
                plan.rule(value)
            except ValueError as problem:
                errors.append(_error(path, str(problem)))
    return named


def _every_error(body: bytes, struct_type: type[msgspec.Struct]) -> list[FieldError]:
    """Decode field by field to name every type error, and every rule a well-typed field breaks.

    A body that is not well-formed JSON (anywhere, even past the first type error) is a 400.
    """
    _check_syntax(body)
    try:
        fields = _decoder(dict[str, msgspec.Raw]).decode(body)
    except msgspec.ValidationError:
        return [_error("", "the body must be a JSON object")]
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError) as problem:
        raise _malformed(problem) from None
    errors: list[FieldError] = []
    plans = plan_of(struct_type)
    known = {plan.wire_name for plan in plans}
    for plan in plans:
        if plan.wire_name not in fields:
            if plan.required:
                errors.append(_error(plan.wire_name, "is required"))
            continue
        try:
            value = _decoder(plan.type).decode(fields[plan.wire_name])
        except msgspec.ValidationError as problem:
            # Name every bad item of a list, not only the first; else the error as msgspec found it.
            if not (plan.many and _item_errors(plan, fields[plan.wire_name], errors)):
                errors.append(_split_msgspec_error(plan.wire_name, problem))
        except (msgspec.DecodeError, UnicodeDecodeError, RecursionError) as problem:
            raise _malformed(problem) from None
        else:
            _apply_rule(plan, value, errors)
    errors.extend(_error(name, "is not a known field") for name in fields if name not in known)
    return errors


def decode_json(body: bytes, struct_type: type[T]) -> T:
    """Decode ``body`` strictly into ``struct_type`` and normalise it, or refuse it whole.

    Raises MalformedBody (400) for what is not JSON and Unprocessable (422) naming every field
    that has the wrong type, is missing, is unknown or breaks its content rule.
    """
    if not body.strip():
        raise MalformedBody("the body is empty: a JSON object is expected")
    try:
        struct: T = _decoder(struct_type).decode(body)
    except msgspec.ValidationError:
        errors = _every_error(body, struct_type)
        raise Unprocessable(errors or [_error("", "the body does not match the expected object")]) from None
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError) as problem:
        raise _malformed(problem) from None
    struct, errors = apply_rules(struct)
    if errors:
        raise Unprocessable(errors)
    return struct


def require_json(content_type: str) -> None:
    media_type = content_type.partition(";")[0].strip().lower()
    # A missing type is tolerated: much fleet software sends JSON without saying so.
    if media_type and media_type != "application/json" and not media_type.endswith("+json"):
        raise UnsupportedMediaType(f"the body must be application/json, not {media_type}")


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


def query_value(name: str, value: str | None, rule: Callable[[str], str]) -> str | None:
    """A query parameter through a content rule: a bad one answers 400 naming the parameter."""
    if value is None:
        return None
    try:
        return rule(value)
    except ValueError as problem:
        raise ApiError(f"{name} {problem}", [_error(name, str(problem))]) from None
