"""The tables of the synthetic fleet: nationalities (read from nationalities.toml), the host
countries in order of popularity, calling codes, and national plate formats."""

import functools
import math
import tomllib
from pathlib import Path
from typing import Any, NamedTuple

from portal.normalize import POSTING_COUNTRIES, REGISTRATION_COUNTRIES

# A pattern is one tuple of options per character: a literal is a one-option tuple.
Pattern = tuple[tuple[str, ...], ...]

DIGITS = tuple("0123456789")
LETTERS = tuple("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_ALPHABETS: dict[str, tuple[str, ...]] = {
    "#": DIGITS,
    "%": DIGITS[1:],
    "@": LETTERS,
    "*": LETTERS + DIGITS,
}
# Markers in licence and identity patterns, compared by identity: a digit of the driver's unique
# number, and the control letter of a Spanish DNI computed from the digits before it.
_UNIQUE = ("&",)
_DNI_LETTER = ("=",)
_DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"


def _pattern(template: str, alphabets: dict[str, tuple[str, ...]] | None = None) -> Pattern:
    table = {**_ALPHABETS, "&": _UNIQUE, "=": _DNI_LETTER, **(alphabets or {})}
    return tuple(table.get(char, (char,)) for char in template)


# A template is a pattern compiled for filling: runs of digits (drawn as one number), runs of
# the unique number's digits and runs of literal text each become one (options, width) step;
# a literal has width 0.
Template = tuple[tuple[tuple[str, ...], int], ...]


def _template(template: str, alphabets: dict[str, tuple[str, ...]] | None = None) -> Template:
    steps: list[tuple[tuple[str, ...], int]] = []
    for options in _pattern(template, alphabets):
        literal = len(options) == 1 and options is not _UNIQUE and options is not _DNI_LETTER
        last, width = steps[-1] if steps else ((), -1)
        if literal and width == 0:
            steps[-1] = ((last[0] + options[0],), 0)
        elif options is last and (options is DIGITS or options is _UNIQUE):
            steps[-1] = (options, width + 1)
        else:
            steps.append((options, 0 if literal else 1))
    return tuple(steps)


def _names(listed: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in listed.split(",") if name.strip())


# ---------------------------------------------------------------------------------------------
# Nationalities: names with their real diacritics, addresses and document number formats.
# ---------------------------------------------------------------------------------------------


class Nationality(NamedTuple):
    country: str
    male: tuple[str, ...]
    female: tuple[str, ...]
    surnames: tuple[str, ...]
    # Where the language inflects surnames (Nowak/Nowakowa aside: Kowalski/Kowalska).
    female_surnames: tuple[str, ...]
    # Spanish and Portuguese drivers mostly carry two surnames in the last-name field.
    two_surnames: bool
    # (city, post code pattern)
    cities: tuple[tuple[str, Template], ...]
    streets: tuple[str, ...]
    # "{street}" and "{number}" placed as the country writes an address line.
    address: str
    # None where the country issues no identity card (Denmark): those drivers show a passport.
    id_card: Template | None
    passport: Template
    # Eight "&" take the driver's unique number, so licence numbers never repeat in a fleet.
    licence: Template


def _nationality(
    country: str,
    *,
    male: str,
    female: str,
    surnames: str,
    female_surnames: str | None = None,
    two_surnames: bool = False,
    cities: str,
    streets: str,
    address: str = "{street} {number}",
    id_card: str | None,
    passport: str,
    licence: str,
) -> Nationality:
    def city(entry: str) -> tuple[str, Template]:
        name, _, post_code = entry.partition("|")
        return name.strip(), _template(post_code.strip())

    return Nationality(
        country=country,
        male=_names(male),
        female=_names(female),
        surnames=_names(surnames),
        female_surnames=_names(female_surnames) if female_surnames else _names(surnames),
        two_surnames=two_surnames,
        cities=tuple(city(entry) for entry in cities.split(";") if entry.strip()),
        streets=_names(streets),
        address=address,
        id_card=_template(id_card) if id_card else None,
        passport=_template(passport),
        licence=_template(licence),
    )


@functools.cache
def nationalities() -> tuple[Nationality, ...]:
    """The nationalities of loadtests/synthetic/nationalities.toml, read once."""
    table = tomllib.loads((Path(__file__).parent / "nationalities.toml").read_text(encoding="utf-8"))
    # TOML has no null: a country without identity cards says id_card = "".
    entries: list[dict[str, Any]] = table["nationality"]
    return tuple(_nationality(**(entry | {"id_card": entry.get("id_card") or None})) for entry in entries)


@functools.cache
def nationality_of(country: str) -> Nationality | None:
    return next((nationality for nationality in nationalities() if nationality.country == country), None)


# Where fleets post drivers most, first: a driver's j-th declaration goes to the j-th country
# from its own starting point in this list, so drivers with few declarations go where most go.
HOST_ORDER = (
    "DE", "FR", "NL", "BE", "IT", "ES", "AT", "DK", "SE", "CZ", "SK", "HU", "PL", "LT", "RO",
    "SI", "HR", "LU", "PT", "BG", "FI", "NO", "LV", "EE", "IE", "GB", "GR", "LI", "CY", "MT",
)  # fmt: skip
assert sorted(HOST_ORDER) == sorted(POSTING_COUNTRIES)

CALLING_CODES = {
    "AT": 43, "BE": 32, "BG": 359, "CY": 357, "CZ": 420, "DE": 49, "DK": 45, "EE": 372, "ES": 34, "FI": 358,
    "FR": 33, "GB": 44, "GR": 30, "HR": 385, "HU": 36, "IE": 353, "IS": 354, "IT": 39, "LI": 423, "LT": 370,
    "LU": 352, "LV": 371, "MT": 356, "NL": 31, "NO": 47, "PL": 48, "PT": 351, "RO": 40, "SE": 46, "SI": 386,
    "SK": 421,
}  # fmt: skip
assert set(CALLING_CODES) == REGISTRATION_COUNTRIES


# ---------------------------------------------------------------------------------------------
# Plates: national formats of the operator's country, one distinct plate per vehicle.
# ---------------------------------------------------------------------------------------------


class PlateFormat(NamedTuple):
    steps: Template
    capacity: int
    # How many plates the last three characters tell apart: the low half for ``_shuffle``.
    low: int


def _plate_format(template: str, alphabets: dict[str, tuple[str, ...]]) -> PlateFormat:
    slots = _pattern(template, alphabets)
    low = math.prod(len(options) for options in slots[-3:])
    return PlateFormat(_template(template, alphabets), math.prod(len(options) for options in slots), low)


def _plate_formats(*templates: str, **alphabets: str) -> tuple[PlateFormat, ...]:
    """Formats of one country; lower-case letters stand for the alphabets given (district codes...).

    Formats of one country must differ in shape once spaces and hyphens are dropped (a letter
    where the other has a digit), so that no two vehicles share a normalised plate.
    """
    table = {key: tuple(value.split()) if " " in value else tuple(value) for key, value in alphabets.items()}
    return tuple(_plate_format(template, table) for template in templates)


_NL_LETTERS = "BDFGHJKLNPRSTVXZ"  # Dutch plates use consonants only.
_ES_LETTERS = "BCDFGHJKLMNPRSTVWXYZ"  # Spanish plates, likewise.
PLATE_FORMATS: dict[str, tuple[PlateFormat, ...]] = {
    # "WX 12345" and "KR 7A123": district code, then five digits or digit-letter-three digits.
    "PL": _plate_formats(
        "d #####",
        "d #@###",
        d="WA WB WD WE WF WH WI WJ WK WN WT WU WW WX WY KR KK PO PZ DW DB GD GA LU ZS EL SK SO SG BI CB CT OP"
        " RZ TK NO FZ DL",
    ),
    # "B AB 1234", "HH AB 123", "LDS A 1234": city code of one, two or three letters.
    "DE": _plate_formats(
        "a @@ %###",
        "b @@ %##",
        "c @ %###",
        a="BMKFSHDLENWR",
        b="HH HB DO DU KA KI HL MZ WI BO GE OS",
        c="LDS MYK WAF GUT REK HSK MTK",
    ),
    "LT": _plate_formats("@@@ ###"),
    # Bucharest "B 123 ABC", the counties "CJ 12 ABC".
    "RO": _plate_formats(
        "B ### @@@",
        "c ## @@@",
        c="AB AR AG BC BH BN BT BV BR BZ CS CL CJ CT CV DB DJ GL GR GJ HR HD IL IS IF MM MH MS NT OT PH SM SJ SB"
        " SV TR TM TL VS VL VN",
    ),
    # "5T2 1234": series digit, region letter, a letter or digit, four digits.
    "CZ": _plate_formats("%r* ####", r="ABCEHJKLMPSTUZ"),
    # Side codes 7, 9 and 11: "12-BDF-3", "BD-123-F", "BDF-12-G".
    "NL": _plate_formats("##-lll-#", "ll-###-l", "lll-##-l", l=_NL_LETTERS),
    "ES": _plate_formats("#### lll", l=_ES_LETTERS),
    "FR": _plate_formats("@@-###-@@"),
    "IT": _plate_formats("@@ ###@@"),
}
GENERIC_PLATE_FORMATS = _plate_formats("@@ #### @")
