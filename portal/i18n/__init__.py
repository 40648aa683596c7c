"""The portal's languages: gettext catalogues compiled by Babel, CLDR names and date formats.

The PDFs, the verification page and the e-mails speak the 24 official EU languages and
Norwegian, named by the codes the official interface uses (``no`` for Norwegian, which CLDR
and the catalogues call Bokmål, ``nb``). English is the source language: it has no catalogue.
"""

import datetime
import functools
import gettext
import unicodedata
from pathlib import Path
from typing import get_args

import babel
import babel.dates
import babel.numbers
from babel.support import Translations

from schemas.base import Language as Language  # re-exported: the portal's name for them

LANGUAGES: tuple[Language, ...] = get_args(Language)
DEFAULT: Language = "en"
CATALOGUES = Path(__file__).parent / "locale"
DOMAIN = "portal"
# English as the EU writes it (5 December 2026); Norwegian is Bokmål.
_LOCALE_NAMES = {"en": "en_IE", "no": "nb"}


def N_(message: str) -> str:
    """Marks a message for the catalogues where it is translated later (pybabel's keyword)."""
    return message


def locale_name(language: Language) -> str:
    """The CLDR and catalogue name of ``language``."""
    return _LOCALE_NAMES.get(language, language)


@functools.cache
def translations(language: Language) -> gettext.NullTranslations:
    """The compiled catalogue of ``language`` (English: the messages as written)."""
    if language == DEFAULT:
        return gettext.NullTranslations()
    found = Translations.load(CATALOGUES, [locale_name(language)], domain=DOMAIN)
    if not isinstance(found, Translations):  # Babel answers NullTranslations when none is found
        raise LookupError(f"no compiled catalogue for {language!r} under {CATALOGUES}")
    return found


@functools.cache
def available() -> tuple[Language, ...]:
    """The languages whose catalogue is compiled (and English)."""
    return tuple(
        language
        for language in LANGUAGES
        if language == DEFAULT or (CATALOGUES / locale_name(language) / "LC_MESSAGES" / f"{DOMAIN}.mo").is_file()
    )


@functools.cache
def _locale(language: Language) -> babel.Locale:
    return babel.Locale.parse(locale_name(language))


def country_name(code: str, language: Language) -> str:
    """The name of the country with ISO code ``code`` in ``language`` (Greece is ``GR`` there too)."""
    name: str = _locale(language).territories.get(code.upper(), code)
    return name


@functools.cache
def countries_by_name(codes: frozenset[str], language: Language) -> tuple[tuple[str, str], ...]:
    """``codes`` as (code, name), in the order of their names in ``language``."""
    named = [(code, country_name(code, language)) for code in codes]
    # Babel has no collation: letters with accents are sorted with their base letter.
    return tuple(sorted(named, key=lambda pair: unicodedata.normalize("NFKD", pair[1]).casefold()))


def language_name(language: Language) -> str:
    """The name of ``language`` in itself (polski, ελληνικά): what a language switcher lists."""
    name: str = _locale(language).get_language_name(locale_name(language)) or language
    return name[:1].upper() + name[1:]


def number_text(value: int, language: Language) -> str:
    """A count as ``language`` writes it (12 345 in Polish, 12.345 in German, 12,345 in English)."""
    return babel.numbers.format_decimal(value, locale=_locale(language))


def date_text(value: datetime.date, language: Language) -> str:
    """A date as ``language`` writes it in full (2 December 2026, 2. Dezember 2026)."""
    return babel.dates.format_date(value, format="long", locale=_locale(language))


def negotiate(accept_language: str | None) -> Language:
    """The language of ours (its catalogue compiled) that an ``Accept-Language`` header
    prefers, English if none."""
    if not accept_language:
        return DEFAULT
    wanted = []
    for part in accept_language.split(","):
        tag, _, quality = part.strip().partition(";q=")
        try:
            weight = float(quality) if quality else 1.0
        except ValueError:
            continue
        if tag and weight > 0:
            wanted.append((weight, tag.strip().replace("_", "-")))
    preferred = [tag for _, tag in sorted(wanted, key=lambda pair: -pair[0])]
    ours = {locale_name(language): language for language in available()}
    found = babel.negotiate_locale(preferred, list(ours), sep="-")
    return ours[found] if found else DEFAULT
