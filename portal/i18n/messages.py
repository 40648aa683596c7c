"""Every message of the catalogues, where the code has it: marked with ``N_`` or passed to
``gettext`` in Python, called as ``_()`` in the pages' templates, and each refusal's message
(``portal.refusals``). ``python -m portal.i18n.messages`` adds the new ones to ``portal.pot``
and, untranslated, to each language's catalogue, for translators to fill in."""

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from portal import i18n
from portal.refusals import MESSAGES

PORTAL = Path(__file__).resolve().parents[1]
TEMPLATE = i18n.CATALOGUES / f"{i18n.DOMAIN}.pot"


def in_code() -> dict[str, str]:
    """Each message, with where it is found (a translator's hint)."""
    found: dict[str, str] = {}
    for method, folder, keywords in (
        ("python", PORTAL, {"N_": None, "gettext": None}),
        ("jinja2", PORTAL / "web" / "templates", {"_": None}),
    ):
        pattern = "**.py" if method == "python" else "**.html"
        for filename, _, message, _, _ in extract_from_dir(str(folder), [(pattern, method)], keywords=keywords):
            if isinstance(message, str):
                found.setdefault(message, filename)
    for code, message in MESSAGES.items():
        found.setdefault(message, f"refusal {code}")
    return found


def _read(path: Path) -> Catalog:
    with path.open("rb") as file:
        return read_po(file)


def _write(path: Path, catalog: Catalog) -> None:
    with path.open("wb") as file:
        write_po(file, catalog, width=0, omit_header=False)


def update() -> list[str]:
    """Add the messages the catalogues lack; return them."""
    template = _read(TEMPLATE)
    new = [(message, where) for message, where in in_code().items() if message not in template]
    for message, where in new:
        template.add(message, auto_comments=[f"{where}"])
    _write(TEMPLATE, template)
    for language in i18n.LANGUAGES:
        if language == i18n.DEFAULT:
            continue
        path = i18n.CATALOGUES / i18n.locale_name(language) / "LC_MESSAGES" / f"{i18n.DOMAIN}.po"
        catalog = _read(path)
        for message, where in new:
            if message not in catalog:
                catalog.add(message, auto_comments=[f"{where}"])
        _write(path, catalog)
    return [message for message, _ in new]


if __name__ == "__main__":
    print(f"{len(update())} new messages")
