"""Themes as data: TOML files read, checked and turned into Textual ``Theme`` objects.

The bundled themes live in the top-level ``themes/`` folder; a user's own go in the
config folder's ``themes/`` and win over a bundled theme of the same name. A file that
cannot be used is skipped with a problem that names the file and what is wrong in it;
the app then starts with its default theme instead of crashing.

A theme file::

    name = "dusk"                      # optional: the file's stem otherwise
    description = "Purple evening"     # optional: shown in the theme picker
    dark = true
    primary = "#8A7FE0"                # required; any colour Textual parses
    background = "#1E1B2E"             # secondary, accent, foreground, surface, panel,
                                       # boost, success, warning, error: optional
    [variables]                        # optional: Textual's theme variables
    block-cursor-text-style = "bold"
"""

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from textual.color import Color, ColorParseError
from textual.theme import Theme

from ..themes import bundled_themes_dir

COLOR_FIELDS = (
    "primary",
    "secondary",
    "accent",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
    "success",
    "warning",
    "error",
)
OTHER_FIELDS = ("name", "description", "dark", "ansi", "luminosity_spread", "text_alpha")
TEXT_STYLES = {
    "none",
    "not",
    "b",
    "bold",
    "i",
    "italic",
    "u",
    "underline",
    "reverse",
    "dim",
    "d",
    "strike",
    "s",
    "blink",
    "overline",
    "o",
}
NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
MAX_BYTES = 64 * 1024


class ThemeError(ValueError):
    """A theme file that cannot be used; the text names the file and the problem."""


@dataclass(frozen=True, slots=True)
class ThemeInfo:
    theme: Theme
    description: str
    path: Path
    bundled: bool


def _fail(path: Path, problem: str) -> ThemeError:
    return ThemeError(f"theme file {path.name}: {problem}")


def _check_color(path: Path, key: str, value: object) -> str:
    if not isinstance(value, str):
        raise _fail(path, f"'{key}' should be a colour in quotes, e.g. \"#336699\"")
    # Textual accepts "colour" or "colour NN%" (the percentage is an alpha).
    parts = value.split()
    try:
        Color.parse(parts[0] if parts else "")
    except ColorParseError:
        raise _fail(path, f"'{key}' is not a colour: {value!r}") from None
    if len(parts) > 2 or (len(parts) == 2 and not re.fullmatch(r"\d{1,3}%", parts[1])):
        raise _fail(path, f"'{key}' is not a colour: {value!r}")
    return value


def _check_variable(path: Path, key: object, value: object) -> str:
    if not isinstance(key, str) or not re.fullmatch(r"[a-z][a-z0-9-]*", key):
        raise _fail(path, f"variable name {key!r} should be lower-case words joined by -")
    if key.endswith("text-style") or key.endswith("-style"):
        words = value.split() if isinstance(value, str) else None
        if not words or any(word not in TEXT_STYLES for word in words):
            raise _fail(path, f"variable '{key}' should be a text style such as \"bold\"")
        return value  # type: ignore[return-value]
    return _check_color(path, f"variables.{key}", value)


def parse_theme(path: Path, text: str) -> ThemeInfo:
    """A theme from the text of ``path``; ThemeError says what is wrong."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise _fail(path, f"not valid TOML ({error})") from None
    unknown = sorted(set(raw) - set(COLOR_FIELDS) - set(OTHER_FIELDS) - {"variables"})
    if unknown:
        raise _fail(path, f"unknown key '{unknown[0]}'")
    name = raw.get("name", path.stem)
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise _fail(path, "'name' should be lower-case letters, digits and - (e.g. \"dusk\")")
    if "primary" not in raw:
        raise _fail(path, "'primary' is missing (every theme needs a primary colour)")
    colors = {key: _check_color(path, key, raw[key]) for key in COLOR_FIELDS if key in raw}
    for key in ("dark", "ansi"):
        if key in raw and not isinstance(raw[key], bool):
            raise _fail(path, f"'{key}' should be true or false")
    numbers = {}
    for key in ("luminosity_spread", "text_alpha"):
        if key in raw:
            value = raw[key]
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
                raise _fail(path, f"'{key}' should be a number from 0 to 1")
            numbers[key] = float(value)
    description = raw.get("description", "")
    if not isinstance(description, str):
        raise _fail(path, "'description' should be text in quotes")
    variables = raw.get("variables", {})
    if not isinstance(variables, dict):
        raise _fail(path, '[variables] should be a table of name = "value"')
    variables = {key: _check_variable(path, key, value) for key, value in variables.items()}
    if raw.get("ansi", False):
        # Textual's own CSS uses these two with ANSI themes; its ansi-dark sets them so.
        variables.setdefault("ansi-background", "ansi_black")
        variables.setdefault("ansi-foreground", "ansi_white")
    theme = Theme(
        name=name,
        dark=raw.get("dark", True),
        ansi=raw.get("ansi", False),
        variables=variables,
        **colors,
        **numbers,
    )
    try:
        theme.to_color_system().generate()
    except Exception as error:  # Textual's own check of the whole palette
        raise _fail(path, f"Textual cannot use it ({error})") from None
    return ThemeInfo(theme, description[:80], path, bundled=False)


def read_theme(path: Path) -> ThemeInfo:
    try:
        if path.stat().st_size > MAX_BYTES:
            raise _fail(path, "larger than 64 KB; is it really a theme?")
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise _fail(path, "not UTF-8 text") from None
    except OSError as error:
        raise _fail(path, f"cannot be read ({error.strerror or error})") from None
    return parse_theme(path, text)


def load_themes(user_dir: Path | None) -> tuple[dict[str, ThemeInfo], list[str]]:
    """Every usable theme, bundled first, then the user's (a same-named one replaces the
    bundled theme); and one problem line per file that could not be used."""
    themes: dict[str, ThemeInfo] = {}
    problems: list[str] = []
    for folder, bundled in ((bundled_themes_dir(), True), (user_dir, False)):
        if folder is None or not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.toml")):
            try:
                info = read_theme(path)
            except ThemeError as error:
                where = "" if bundled else f" (in {folder})"
                problems.append(f"{error}{where}; skipped")
                continue
            themes[info.theme.name] = ThemeInfo(info.theme, info.description, path, bundled)
    return themes, problems
