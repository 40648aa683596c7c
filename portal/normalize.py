"""Normalisation and content rules for single values: names, plates, countries, free text.

Each function returns the normalised value or raises ``Refused`` with the refusal's code;
``portal.wire`` applies them to every field by the rule its type names, and names the field.
"""

import functools
import re
import unicodedata

import babel

from portal.refusals import Refused

# The host countries the official interface accepts (Greece is GR there, not EL).
POSTING_COUNTRIES = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "ES",
        "FI",
        "FR",
        "GB",
        "GR",
        "HR",
        "HU",
        "IE",
        "IT",
        "LI",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "NO",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
    ]
)
REGISTRATION_COUNTRIES = POSTING_COUNTRIES | {"IS"}
COUNTRY_HINTS = {"EL": "Greece is GR", "UK": "the United Kingdom is GB"}
# Babel lists a few codes that are reserved or regional, not countries.
_NOT_COUNTRIES = frozenset({"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "ZZ"})

PLATE_MIN, PLATE_MAX = 2, 15
PLATE_PATTERN = re.compile(f"[A-Z0-9]{{{PLATE_MIN},{PLATE_MAX}}}")
_PLATE_SEPARATORS = str.maketrans("", "", " -")

# Control (Cc), format (Cf: bidi overrides, zero-width), unassigned, private-use and surrogates.
_FORBIDDEN_CATEGORIES = {"Cc", "Cf", "Cn", "Co", "Cs"}
# Letters and marks outside Latin script are refused in names; these are allowed besides.
_NAME_PUNCTUATION = frozenset(" -'.,’")


@functools.cache
def iso_countries() -> frozenset[str]:
    codes = (str(code) for code in babel.Locale("en").territories)
    return frozenset(code for code in codes if len(code) == 2 and code.isalpha()) - _NOT_COUNTRIES


@functools.cache
def _latin_letters() -> frozenset[str]:
    """Every letter of the Latin script up to the Latin Extended Additional block."""
    return frozenset(
        char for char in map(chr, range(0x2000)) if char.isalpha() and unicodedata.name(char, "").startswith("LATIN ")
    )


def text(value: str) -> str:
    """Free text: NFC, trimmed, no control or invisible format characters."""
    # Bulk filing runs this on every string of a million records: printable text, by far the
    # most common, is checked in C; only the rest is looked at character by character.
    if not value.isprintable():
        for char in value:
            if unicodedata.category(char) in _FORBIDDEN_CATEGORIES:
                name = unicodedata.name(char, f"U+{ord(char):04X}")
                raise Refused("control_character", character=name)
    if not (value.isascii() or unicodedata.is_normalized("NFC", value)):
        value = unicodedata.normalize("NFC", value)
    normalised = value.strip()
    if not normalised and value:
        raise Refused("blank")
    return normalised


@functools.cache
def _latin_name() -> re.Pattern[str]:
    """Latin letters, the punctuation of names and the combining marks of the first plane, as one
    character class: a name is checked in C, and only one that fails is looked at in Python."""
    marks = (chr(code) for code in range(0x10000) if unicodedata.category(chr(code)).startswith("M"))
    allowed = "".join(sorted({*_latin_letters(), *_NAME_PUNCTUATION, *marks}))
    return re.compile(f"[{re.escape(allowed)}]+")


def plain_latin_name(value: str) -> bool:
    """Whether ``value`` is a name in Latin script as it stands (see latin_name)."""
    return _latin_name().fullmatch(value) is not None


def latin_name(value: str) -> str:
    """A person's name in Latin script, as the official interface asks."""
    normalised = text(value)
    if not normalised:
        raise Refused("blank")
    if _latin_name().fullmatch(normalised):
        return normalised
    latin = _latin_letters()
    for char in normalised:
        if char in latin or char in _NAME_PUNCTUATION or unicodedata.category(char).startswith("M"):
            continue
        raise Refused("not_latin", character=repr(char))
    return normalised


def plate(value: str) -> str:
    """A vehicle plate: NFKC, spaces and hyphens dropped, upper case, 2-15 of A-Z and 0-9.

    A look-alike letter from another script (Cyrillic 'А', Greek 'Ε') is refused, never mapped,
    so that the plate an inspector types finds the plate that was declared.
    """
    if value.isascii():
        compact = value.translate(_PLATE_SEPARATORS).upper()
        if PLATE_PATTERN.fullmatch(compact):
            return compact
    compact = unicodedata.normalize("NFKC", text(value)).translate(_PLATE_SEPARATORS)
    for char in compact:
        # Check before upper-casing: 'ı'.upper() is 'I' and 'ſ'.upper() is 'S'.
        if not (char.isascii() and char.isalnum()):
            name = unicodedata.name(char, f"U+{ord(char):04X}")
            raise Refused("plate_character", character=f"{char!r} ({name})")
    normalised = compact.upper()
    if not PLATE_PATTERN.fullmatch(normalised):
        raise Refused("plate_length", minLength=PLATE_MIN, maxLength=PLATE_MAX)
    return normalised


def country(value: str) -> str:
    if value in COUNTRY_HINTS:
        raise Refused("country_hint", value=value, hint=COUNTRY_HINTS[value])
    if value not in iso_countries():
        raise Refused("not_a_country", value=value)
    return value


def posting_country(value: str) -> str:
    country(value)
    if value not in POSTING_COUNTRIES:
        raise Refused("not_a_host_country", value=value, allowed=_listed(POSTING_COUNTRIES))
    return value


def registration_country(value: str) -> str:
    country(value)
    if value not in REGISTRATION_COUNTRIES:
        raise Refused("not_a_registration_country", value=value, allowed=_listed(REGISTRATION_COUNTRIES))
    return value


def _listed(codes: frozenset[str]) -> str:
    return " ".join(sorted(codes))


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE = re.compile(r"\+?[0-9 ()./-]{4,30}")


def email(value: str) -> str:
    """An e-mail address: something@somewhere.tld, nothing more is asked of it."""
    normalised = text(value)
    if not _EMAIL.fullmatch(normalised):
        raise Refused("not_an_email")
    return normalised


def phone(value: str) -> str:
    normalised = text(value)
    if not _PHONE.fullmatch(normalised):
        raise Refused("not_a_phone")
    return normalised
