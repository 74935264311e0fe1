"""The README and docs/architecture.md stay true where a test can tell: every test they
cite as the check of a promise exists, and the README's key tables are the main screen's
``?`` (both read from ``tui/actions.py``'s table)."""

import ast
import re
from pathlib import Path

from studycircle_tui.tui.actions import SCOPES, key_label, scope_actions
from studycircle_tui.tui.screens.main import MainScreen

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
DOCS = ("README.md", "docs/architecture.md")

# `test_x.py`, `tests/tui/test_x.py::name`, then `::name` or `test_name` naming another
# test of the file cited last (the promise table's "`file` (`one`, `two`)" and
# "`file::one`, `::two`").
CITATION = re.compile(
    r"`(?:tests/)?((?:tui/)?(?:test_\w+|histories)\.py)(?:::(\w+))?`|`(?:::)?(test_\w+)`"
)


def _defined(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef)
    return {node.name for node in ast.walk(tree) if isinstance(node, kinds)}


def citations(text: str) -> list[tuple[str, str | None]]:
    """(test file, test name or None) for every test ``text`` cites."""
    found: list[tuple[str, str | None]] = []
    current = None
    for match in CITATION.finditer(text):
        file, name, more = match.groups()
        if file:
            current = file
            found.append((file, name))
        elif current is not None:
            found.append((current, more))
    return found


def test_every_test_the_docs_cite_exists():
    cited = [(doc, *cite) for doc in DOCS for cite in citations((ROOT / doc).read_text())]
    missing = []
    for doc, file, name in cited:
        path = TESTS / file
        if not path.exists():
            missing.append(f"{doc}: no tests/{file}")
        elif name is not None and name not in _defined(path):
            missing.append(f"{doc}: no {name} in tests/{file}")
    assert not missing, "\n".join(missing)
    # The promise table names dozens of tests by name: finding none would mean the
    # pattern no longer matches how the docs cite them, and this test checks nothing.
    assert sum(name is not None for _, _, name in cited) >= 30


def test_citations_are_read_as_the_docs_write_them():
    text = "`test_a.py` (`test_one`, `test_two`), `tui/test_b.py::test_three`, `::test_four`"
    assert citations(text) == [
        ("test_a.py", None),
        ("test_a.py", "test_one"),
        ("test_a.py", "test_two"),
        ("tui/test_b.py", "test_three"),
        ("tui/test_b.py", "test_four"),
    ]


def _cells(row: str) -> list[str]:
    cells = re.split(r"(?<!\\)\|", row.strip().strip("|"))
    return [cell.strip().replace("\\|", "|") for cell in cells]


def readme_key_tables() -> dict[str, list[tuple[str, str]]]:
    """The README's "Using it" tables: heading -> [(key, what it does)]."""
    text = (ROOT / "README.md").read_text()
    section = text.split("\n## Using it\n", 1)[1].split("\n## ", 1)[0]
    tables: dict[str, list[tuple[str, str]]] = {}
    heading = None
    for line in section.splitlines():
        bold = re.fullmatch(r"\*\*(.+)\*\*", line.strip())
        if bold:
            heading = bold.group(1)
            tables[heading] = []
        elif heading is not None and line.startswith("| `"):
            key, does = _cells(line)
            tables[heading].append((key.strip("`"), does))
        elif heading is not None and tables[heading] and not line.startswith("|"):
            heading = None  # the table ended
    return {title: rows for title, rows in tables.items() if rows}


def main_screen_help() -> dict[str, list[tuple[str, str]]]:
    """What ``?`` on the main screen lists (``help.help_table``), by heading."""
    tables: dict[str, list[tuple[str, str]]] = {}
    for scope in MainScreen.KEY_SCOPES:
        rows = tables.setdefault(SCOPES[scope].title, [])
        rows += [(key_label(a), a.help) for a in scope_actions(scope) if a.listed]
    return tables


def test_the_readme_key_tables_are_the_main_screens_help():
    assert readme_key_tables() == main_screen_help()
