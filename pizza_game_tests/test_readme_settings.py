"""The README's configuration table is the settings module's: every variable, with its default.

settings.py names every environment variable the project reads and holds the only defaults; the
README's table is what users read. A variable missing from the table, a row naming a variable
the code does not read, or a default that differs fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

from pizza_game import settings

README = Path(__file__).resolve().parents[1] / "README.md"
NO_DEFAULT = "—"


def variables() -> set[str]:
    """The names settings.py defines: module constants whose value is their own name."""
    return {name for name, value in vars(settings).items() if name.isupper() and value == name}


def table() -> dict[str, str]:
    """Variable -> default cell of the README's "## Configuration" table."""
    section = README.read_text().split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, str] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not cells[0].startswith("`"):
            continue
        for name in re.findall(r"`([A-Z0-9_]+)`", cells[0]):
            rows[name] = cells[1].strip("`")
    return rows


def test_every_variable_is_in_the_table_and_nothing_else() -> None:
    rows = table()
    assert sorted(variables() - rows.keys()) == []
    assert sorted(rows.keys() - variables()) == []


def test_the_table_shows_each_default() -> None:
    rows = table()
    shown = {name: rows.get(name) for name in variables()}
    expected = {name: settings.DEFAULTS.get(name, NO_DEFAULT) for name in variables()}
    assert shown == expected
