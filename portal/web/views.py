"""The pages' templates (Jinja, escaped by default), rendered in the reader's language with the
catalogues the PDFs and e-mails use."""

import datetime
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
from litestar import Response
from litestar.enums import MediaType

from portal import i18n, normalize
from portal.refusals import MESSAGES
from portal.web.declaration_form import OPERATION_TYPES, STATUSES, TRANSPORT_TYPES
from schemas.errors import FieldError

TEMPLATES = Path(__file__).parent / "templates"

_ENVIRONMENT = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def refusal_text(error: FieldError, language: i18n.Language) -> str:
    """A refusal in the reader's language, from its code and parameters (never its English
    message: the catalogue holds the code's message as the API writes it)."""
    message = i18n.translations(language).gettext(MESSAGES[error.code])
    return message.format(**error.params) if error.params else message


def _name_of(names: dict[str, str], gettext: Callable[[str], str]) -> Callable[[str | list[str]], str]:
    """An enumeration's value named in the reader's language (the catalogue's word for it); a
    list of them, each named, separated by commas."""

    def named(value: str | list[str]) -> str:
        codes = value if isinstance(value, list) else [value]
        return ", ".join(gettext(names.get(code) or code) for code in codes)

    return named


def _globals(language: i18n.Language) -> dict[str, Any]:
    translations = i18n.translations(language)
    return {
        "_": translations.gettext,
        "gettext": translations.gettext,
        "language": language,
        "languages": i18n.available(),
        "language_name": i18n.language_name,
        "country_name": lambda code: i18n.country_name(code, language),
        "countries": i18n.countries_by_name(normalize.iso_countries(), language),
        "number_text": lambda value: i18n.number_text(value, language),
        "date_text": lambda value: i18n.date_text(value, language) if isinstance(value, datetime.date) else "",
        "refusal_text": lambda error: refusal_text(error, language),
        "status_text": _name_of(STATUSES, translations.gettext),
        "operation_text": _name_of(OPERATION_TYPES, translations.gettext),
        "transport_text": _name_of(TRANSPORT_TYPES, translations.gettext),
    }


def page(template: str, language: i18n.Language, status_code: int = 200, **context: Any) -> Response[str]:
    html = _ENVIRONMENT.get_template(template).render(**_globals(language), **context)
    return Response(
        html,
        status_code=status_code,
        media_type=MediaType.HTML,
        headers={"content-language": language, "cache-control": "no-store"},
    )
