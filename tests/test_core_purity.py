"""``core`` stays pure: no Textual, SQLite, HTTP or file system (docs/architecture.md, "Layers").

Checked twice, because each check alone has a blind spot: the source scan sees every
import and ``open(`` call in core's own files, and the run-time check in a fresh
interpreter sees what core pulls in indirectly through the packages it imports.
"""

import ast
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import studycircle_tui.core as core

CORE_DIR = Path(core.__file__).parent
CORE_FILES = sorted(CORE_DIR.rglob("*.py"))  # subpackages (quizformats/) too

# Modules that reach the file system, the network, a database or the terminal UI.
FORBIDDEN = {
    "os",
    "io",
    "pathlib",
    "shutil",
    "tempfile",
    "sqlite3",
    "fcntl",
    "socket",
    "glob",
    "textual",
    "httpx",
}
# What the run-time check looks for: the heavy layers core must never drag in, even
# through a dependency (os and io are loaded by the interpreter itself, so they can
# only be checked statically).
FORBIDDEN_AT_RUN_TIME = ("textual", "sqlite3", "_sqlite3", "httpx")


def package_of(path: Path) -> str:
    """The package a core file's relative imports start from."""
    parts = path.relative_to(CORE_DIR).parent.parts
    return ".".join(["studycircle_tui", "core", *parts])


def imported_modules(tree: ast.Module, package: str) -> list[tuple[str, int]]:
    """Every module an ``import`` statement names, made absolute, with its line."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, node.module] if node.module else anchor)
            else:
                base = node.module or ""
            found.append((base, node.lineno))
            # ``from .. import store`` names the module in the alias, not in ``module``.
            found.extend((f"{base}.{alias.name}", node.lineno) for alias in node.names)
    return found


def refusals(tree: ast.Module, package: str) -> list[str]:
    bad = []
    for name, line in imported_modules(tree, package):
        top = name.split(".")[0]
        if top in FORBIDDEN:
            bad.append(f"line {line}: {name}")
        # Within the app, core may import only core: everything else is a layer above.
        inside_app = top == "studycircle_tui" and name != "studycircle_tui"
        if inside_app and not (name + ".").startswith("studycircle_tui.core."):
            bad.append(f"line {line}: {name} (a layer above core)")
        if top in {"importlib", "builtins"}:
            bad.append(f"line {line}: {name} (a way round this check)")
    return bad


def test_core_has_modules_to_check():
    # Guards the scan below against passing vacuously (a moved package, a bad glob).
    names = {path.stem for path in CORE_FILES}
    assert {"ops", "hlc", "ids", "state", "permissions", "reducer", "replica"} <= names


def file_id(path: Path) -> str:
    return path.relative_to(CORE_DIR).as_posix()


@pytest.mark.parametrize("path", CORE_FILES, ids=file_id)
def test_no_forbidden_imports_in_source(path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    bad = refusals(tree, package_of(path))
    assert not bad, f"{file_id(path)} imports what core must not: {bad}"


@pytest.mark.parametrize("path", CORE_FILES, ids=file_id)
def test_no_file_access_calls_in_source(path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    bad = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        # open(), and the builtins that could hide an import or an open from this scan;
        # as a method only .open( (Path.open, io.open): re.compile( is harmless.
        if isinstance(func, ast.Name) and func.id in {"open", "__import__", "exec", "eval"}:
            bad.append(f"line {node.lineno}: {func.id}(")
        elif isinstance(func, ast.Attribute) and func.attr == "open":
            bad.append(f"line {node.lineno}: .open(")
    assert not bad, f"{file_id(path)} touches files or hides code: {bad}"


def test_the_scan_catches_what_it_should():
    # The checks above must not pass by being blind: feed them code that breaks each rule,
    # as if it were in core/ and in a subpackage of it.
    sample = ast.parse(
        "import os\nfrom pathlib import Path\nimport textual.app\nfrom ..store import db\n"
        "from .. import tui\nfrom . import ops\nfrom studycircle_tui.sync import file\n"
    )
    lines = {int(entry.split(":")[0][5:]) for entry in refusals(sample, "studycircle_tui.core")}
    assert lines == {1, 2, 3, 4, 5, 7}  # only line 6, core importing core, is fine
    # One level further down, ``..`` is core itself and allowed; ``...`` is not.
    nested = ast.parse("from ..ops import Op\nfrom ... import store\n")
    lines = {int(entry.split(":")[0][5:]) for entry in refusals(nested, "studycircle_tui.core.sub")}
    assert lines == {2}


def forbidden_loaded_after(code: str) -> list[str]:
    """Run ``code`` in a fresh interpreter; return the forbidden modules it loaded.

    A fresh interpreter because this test process has likely imported Textual already.
    """
    probe = (
        f"{code}\n"
        "import json, sys\n"
        f"forbidden = {FORBIDDEN_AT_RUN_TIME!r}\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in forbidden)))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_importing_core_loads_no_ui_database_or_http_module():
    modules = sorted(
        info.name for info in pkgutil.walk_packages([str(CORE_DIR)], "studycircle_tui.core.")
    )
    assert len(modules) >= 7
    imports = "\n".join(f"import {name}" for name in modules)
    assert forbidden_loaded_after(imports) == []


def test_run_time_check_would_see_a_forbidden_module():
    # The same probe must report a forbidden module when one is imported on purpose.
    assert "sqlite3" in forbidden_loaded_after("import sqlite3")
