"""The README stays true: every setting has its line in the table, with its default."""

import re
from pathlib import Path

from portal.settings import Settings, variables

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def _table() -> dict[str, str]:
    """Each variable of the configuration table with the default its line gives."""
    rows = {}
    for line in README.splitlines():
        if not line.startswith("| `"):
            continue
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        names = re.findall(r"`([A-Z0-9_]+)`", cells[0])
        defaults = [value.strip() for value in cells[1].split(",")]
        for index, name in enumerate(names):
            rows[name] = defaults[index] if len(defaults) == len(names) else cells[1]
    return rows


def test_every_setting_has_a_line_with_its_default() -> None:
    table, defaults = _table(), Settings()
    for variable, group, name in variables():
        assert variable in table, f"{variable} is not in the README's configuration table"
        value = getattr(getattr(defaults, group) if group else defaults, name)
        if value in ("", None):
            continue  # an empty default says what it means in words (embedded, derived)
        shown = str(value).lower() if isinstance(value, bool) else str(value).removesuffix(".0")
        assert table[variable].strip("`") == shown, f"{variable}: the README says {table[variable]}, not {shown}"
    assert set(table) <= {variable for variable, _, _ in variables()}, "the README names a setting that is gone"
