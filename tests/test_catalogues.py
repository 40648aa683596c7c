"""The catalogues hold every message the code marks, each translated in every language, and the
compiled catalogues are those of the sources (a .po edited without compiling fails here)."""

import re
import string

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from portal import i18n
from portal.i18n import messages

TEMPLATE = i18n.CATALOGUES / f"{i18n.DOMAIN}.pot"
TRANSLATED = [language for language in i18n.LANGUAGES if language != i18n.DEFAULT]


def marked_in_code() -> set[str]:
    """Every message marked with N_, or passed to gettext as written, in the portal's code, each
    ``_()`` of the pages' templates, and every refusal's message (what pybabel extract finds,
    and the refusals the pages render)."""
    return set(messages.in_code())


def template_messages() -> set[str]:
    with TEMPLATE.open("rb") as file:
        return {message.id for message in read_po(file) if message.id and isinstance(message.id, str)}


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_the_template_holds_exactly_the_messages_of_the_code() -> None:
    code, template = marked_in_code(), template_messages()
    assert code - template == set(), "marked in the code, missing from portal.pot"
    assert template - code == set(), "in portal.pot, used nowhere"


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_is_translated_and_compiled(language: i18n.Language) -> None:
    folder = i18n.CATALOGUES / i18n.locale_name(language) / "LC_MESSAGES"
    with (folder / f"{i18n.DOMAIN}.po").open("rb") as file:
        source = {message.id: message.string for message in read_po(file) if message.id}
    for message in template_messages():
        translation = source.get(message)
        assert translation, f"{language}: {message!r} is not translated"
        assert isinstance(translation, str)
        assert placeholders(translation) == placeholders(message), f"{language}: placeholders of {message!r}"
        assert not re.search(r"\s{2,}", translation), f"{language}: doubled space in {message!r}"
    with (folder / f"{i18n.DOMAIN}.mo").open("rb") as file:
        compiled = {message.id: message.string for message in read_mo(file) if message.id}
    assert compiled == {key: value for key, value in source.items() if key in template_messages()}, (
        f"{language}: the .mo is not the compiled .po: pybabel compile -d portal/i18n/locale -D portal"
    )


@pytest.mark.parametrize(("language", "written"), [("en", "12,345"), ("de", "12.345"), ("fr", "12\u202f345")])
def test_counts_are_written_as_the_readers_language_writes_numbers(language: i18n.Language, written: str) -> None:
    assert i18n.number_text(12345, language) == written
