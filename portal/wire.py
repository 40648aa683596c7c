"""Strict decoding of request bodies, with every failing field named in one answer.

msgspec stops at the first error, and litestar's own ``data`` binding converts leniently
(``"5"`` becomes 5). Here a body is decoded strictly in one pass; only when that fails is it
decoded again field by field to collect every error. Each field then goes through the content
rule its type names (``schemas.base``), which also normalises it (NFC names, compact plates).
"""

import functools
import operator
import re
import types
import typing
import unicodedata
from collections.abc import Callable, Generator
from typing import Any, Generic, TypeVar

import msgspec
from litestar.dto import MsgspecDTO
from litestar.typing import FieldDefinition

from portal import normalize
from portal.errors import ApiError, MalformedBody, Unprocessable, UnsupportedMediaType
from portal.refusals import Refused, refusal
from schemas.errors import FieldError

T = TypeVar("T", bound=msgspec.Struct)
Rule = Callable[[str], str]

RULES: dict[str, Rule] = {
    "text": normalize.text,
    "latin_name": normalize.latin_name,
    "plate": normalize.plate,
    "country": normalize.country,
    "posting_country": normalize.posting_country,
    "registration_country": normalize.registration_country,
    "email": normalize.email,
    "phone": normalize.phone,
}


def _strip(value: str) -> str:
    stripped = value.strip()
    if value and not stripped:
        raise Refused("blank")
    return stripped


# The same rules for a body that is printable ASCII without escapes (most are): nothing in it
# can be a control character or need Unicode normalisation, so free text only needs trimming.
_ASCII_RULES: dict[str, Rule] = RULES | {"text": _strip}


class FieldPlan(msgspec.Struct, frozen=True):
    name: str
    wire_name: str
    type: Any
    required: bool
    rule: Rule | None
    ascii_rule: Rule | None
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


def _allowed_values(annotation: Any) -> list[str]:
    """The values of the Literal in ``annotation`` (through Annotated, unions and lists)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return [str(value) for value in typing.get_args(annotation)]
    if origin in (typing.Annotated, typing.Union, types.UnionType, list):
        return [value for option in typing.get_args(annotation) for value in _allowed_values(option)]
    return []


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
                ascii_rule=_ASCII_RULES[rule] if rule else None,
                many=many,
                item_type=_item_type(field.type) if many else None,
            )
        )
    return tuple(plans)


# A value that starts or ends with white space, among values joined by NUL (never in a str of JSON).
_EDGE_SPACE = re.compile(r"(?:\A|\x00)\s|\s(?:\x00|\Z)")


def _plain(values: list[str]) -> bool:
    """Whether the free text rule leaves every one of ``values`` as it is: printable, NFC and
    trimmed, checked over all of them at once (in C)."""
    joined = "".join(values)
    return (
        joined.isprintable()
        and (joined.isascii() or unicodedata.is_normalized("NFC", joined))
        and not _EDGE_SPACE.search("\x00".join(values))
    )


# For each rule, a check that every value of a record would pass it unchanged, made over all of
# them at once: most values do, and a field at a time costs a bulk upload more than its checks.
# When it says no, each value goes through the rule itself, which says why.
_PASS_TOGETHER: dict[Rule, Callable[[list[str]], bool]] = {
    normalize.text: _plain,
    normalize.latin_name: lambda values: _plain(values) and all(map(normalize.plain_latin_name, values)),
    normalize.country: lambda values: normalize.iso_countries().issuperset(values),
    normalize.posting_country: normalize.POSTING_COUNTRIES.issuperset,
    normalize.registration_country: normalize.REGISTRATION_COUNTRIES.issuperset,
}


class _Group(msgspec.Struct, frozen=True):
    """The single-valued fields of one rule in a Struct type, read together."""

    read: Callable[[Any], Any]
    plans: tuple[FieldPlan, ...]
    passes: Callable[[list[str]], bool]


class _Ruled(msgspec.Struct, frozen=True):
    groups: tuple[_Group, ...]
    # Lists, and fields of rules without a check made together.
    one_by_one: tuple[FieldPlan, ...]


def _reader(*names: str) -> Callable[[Any], tuple[Any, ...]]:
    """What reads the named fields of a Struct as a tuple, in C."""
    read = operator.attrgetter(*names)
    if len(names) > 1:
        return read

    def one(struct: Any) -> tuple[Any, ...]:
        return (read(struct),)

    return one


@functools.cache
def _ruled(struct_type: type[msgspec.Struct]) -> _Ruled:
    plans = [plan for plan in plan_of(struct_type) if plan.rule is not None]
    groups = []
    for rule, passes in _PASS_TOGETHER.items():
        members = tuple(plan for plan in plans if plan.rule is rule and not plan.many)
        if members:
            groups.append(_Group(_reader(*(plan.name for plan in members)), members, passes))
    grouped = {plan for group in groups for plan in group.plans}
    return _Ruled(tuple(groups), tuple(plan for plan in plans if plan not in grouped))


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
        lambda _, annotation: ("not_allowed", {"allowed": ", ".join(_allowed_values(annotation))}),
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


def _apply_rule(plan: FieldPlan, value: Any, rule: Rule, errors: list[FieldError]) -> Any:
    if not plan.many:
        try:
            return rule(value)
        except Refused as refused:
            errors.append(refused.at(plan.wire_name))
            return value
    normalised = []
    for index, item in enumerate(value):
        try:
            normalised.append(rule(item))
        except Refused as refused:
            errors.append(refused.at(f"{plan.wire_name}[{index}]"))
            normalised.append(item)
    return normalised


def apply_rules(struct: T, *, ascii_only: bool = False) -> list[FieldError]:
    """Normalise every field of ``struct`` in place by its rule; return what broke a rule.

    ``ascii_only``: the struct was decoded from printable ASCII without escapes, so the cheaper
    variant of each rule is enough.
    """
    errors: list[FieldError] = []
    ruled = _ruled(type(struct))
    plans = list(ruled.one_by_one)
    for group in ruled.groups:
        if not group.passes([value for value in group.read(struct) if value.__class__ is str]):
            plans += group.plans
    for plan in plans:
        value = getattr(struct, plan.name)
        if value is None or value is msgspec.UNSET:
            continue
        rule: Rule = plan.ascii_rule if ascii_only else plan.rule  # type: ignore[assignment]
        normalised = _apply_rule(plan, value, rule, errors)
        if normalised is not value:
            setattr(struct, plan.name, normalised)
    return errors


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
                _apply_rule(plan, value, plan.rule, errors)
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
