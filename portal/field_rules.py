"""The content rule of each field, named by its type (``schemas.base``): checked and normalised
(NFC names, compact plates) after a body is decoded, by the API and by bulk filing alike.

Most values pass their rule unchanged: for a Struct type, the single-valued fields of each rule
are checked together first (in C), and only when that says no does each value go through the
rule itself, which says why.
"""

import functools
import operator
import re
import types
import typing
import unicodedata
from collections.abc import Callable
from typing import Any, TypeVar

import msgspec

from portal import normalize
from portal.refusals import Refused
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


def allowed_values(annotation: Any) -> list[str]:
    """The values of the Literal in ``annotation`` (through Annotated, unions and lists)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return [str(value) for value in typing.get_args(annotation)]
    if origin in (typing.Annotated, typing.Union, types.UnionType, list):
        return [value for option in typing.get_args(annotation) for value in allowed_values(option)]
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


def apply_rule(plan: FieldPlan, value: Any, rule: Rule, errors: list[FieldError]) -> Any:
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
        normalised = apply_rule(plan, value, rule, errors)
        if normalised is not value:
            setattr(struct, plan.name, normalised)
    return errors
