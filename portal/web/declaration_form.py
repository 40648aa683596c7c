"""The declaration form: its fields named as the API's body names them, its lists and its
yes/no turned into the body's JSON values, and a declaration turned back into what it shows."""

import re
from typing import Any

import msgspec

from portal import i18n, normalize
from portal.web import forms
from schemas.declarations import Declaration, DeclarationFields, SubmittedUpdate

LISTS = frozenset(
    {
        "declarationOperationType",
        "declarationTransportType",
        "declarationVehiclePlateNumber",
        "declarationVehiclePlateNumberLight",
        "declarationVehiclePlateNumberHeavy",
    }
)
FLAGS = frozenset({"otherContactAsTransportManager"})
# Frozen once submitted: an update's form shows them and the page takes them from the record.
FROZEN = ("driverId", "declarationPostingCountry", "declarationStartDate")
# Plates typed one a line, or separated by commas or semicolons.
_ITEMS = re.compile(r"[\n,;]+")
_FLAGS = {"true": True, "false": False}

# The catalogue's names of the enumerations (the PDF's own words).
OPERATION_TYPES = {"CABOTAGE_OPERATIONS": "Cabotage operations", "INTERNATIONAL_CARRIAGE": "International carriage"}
TRANSPORT_TYPES = {"CARRIAGE_OF_GOODS": "Carriage of goods", "CARRIAGE_OF_PASSENGERS": "Carriage of passengers"}
STATUSES = {"DRAFT": "Draft", "SUBMITTED": "Submitted", "WITHDRAWN": "Withdrawn", "EXPIRED": "Expired"}


def shaped(given: dict[str, str]) -> dict[str, Any]:
    """The JSON body of the fields given: lists split, yes/no a boolean (anything else is left
    as typed, for the schema to refuse with the API's code)."""
    body: dict[str, Any] = dict(given)
    for name in LISTS & body.keys():
        body[name] = [item.strip() for item in _ITEMS.split(body[name]) if item.strip()]
    for name in FLAGS & body.keys():
        body[name] = _FLAGS.get(body[name], body[name])
    return body


def values_of(declaration: Declaration) -> dict[str, str]:
    """What the form shows of a declaration: its declared fields, as typed."""
    return forms.values_of(declaration, DeclarationFields)


def with_frozen(values: dict[str, str], declaration: Declaration) -> dict[str, str]:
    """An update's fields with those a submission froze taken from the record."""
    return {**values, **{name: value for name, value in values_of(declaration).items() if name in FROZEN}}


def frozen_text(declaration: Declaration, language: i18n.Language) -> dict[str, str]:
    """What an update's form shows of the fields a submission froze (none for a draft)."""
    if declaration.declaration_status == "DRAFT":
        return {}
    return {
        "driverId": declaration.driver_latin_full_name,
        "declarationPostingCountry": i18n.country_name(declaration.declaration_posting_country, language),
        "declarationStartDate": i18n.date_text(declaration.declaration_start_date, language),
    }


def update_of(fields: DeclarationFields) -> SubmittedUpdate:
    """The whole form as an update: every field given, so what was emptied is emptied."""
    return SubmittedUpdate(**msgspec.structs.asdict(fields))


def named(names: dict[str, str], language: i18n.Language) -> list[tuple[str, str]]:
    gettext = i18n.translations(language).gettext
    return [(code, gettext(name)) for code, name in names.items()]


def posting_countries(language: i18n.Language) -> tuple[tuple[str, str], ...]:
    return i18n.countries_by_name(normalize.POSTING_COUNTRIES, language)
