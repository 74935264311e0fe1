"""A pseudo-language in which every marked sentence is still readable but has no plain
ASCII letter left ("Reply" → "Ŕéƥĺý"), so text on screen that still has one was not
marked for translation, or was marked and shown without being translated.

Its catalog is made at test time from every sentence ``make i18n`` extracts (the same
template, tools/i18n.py); fields (``{name}``, ``%s``) are kept as they are, so they are
filled in as in any language. What a screen may show in plain ASCII on its own: what
members wrote (every word of the circle's file), key names, theme names and the theme files'
descriptions, language names,
the config file's path, and the weekday and month names Babel writes (the
pseudo-language's locale is English). So a sentence made only of words the circle's
members also wrote would slip through; the story's posts are short.
"""

import importlib.util
import io
import json
import re
from collections.abc import Iterable
from functools import cache
from gettext import GNUTranslations
from pathlib import Path

from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo

from studycircle_tui import config, i18n
from studycircle_tui.tui.actions import ACTIONS, display_keys

TOOLS = Path(__file__).resolve().parents[2] / "tools" / "i18n.py"
_spec = importlib.util.spec_from_file_location("i18n_tool_pseudo", TOOLS)
assert _spec and _spec.loader
i18n_tool = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(i18n_tool)

_PLAIN = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ACCENTED = "àƀçđéƒĝĥíĵķĺɱñóƥʠŕšţúṽŵẋýžÀƁÇĐÉƑĜĤÍĴĶĹṀÑÓƤɊŔŠŢÚṼŴẊÝŽ"
_ACCENT = str.maketrans(_PLAIN, _ACCENTED)
_PSEUDO_GAPS = str.maketrans(_ACCENTED, " " * len(_ACCENTED))
# What is filled in, never translated: {field}, {field:spec}, %s, %(name)s.
_FIELD = re.compile(r"\{[^{}]*\}|%(?:\([a-z_]+\))?[sdr]")
# A word: letters (any script) and digits; one with two ASCII letters or more is suspect.
_WORD = re.compile(r"[^\W_]+")
_ASCII_LETTERS = re.compile(r"[A-Za-z]")


def pseudo(text: str) -> str:
    """``text`` with every ASCII letter accented, its fields kept."""
    parts, start = [], 0
    for field in _FIELD.finditer(text):
        parts += [text[start : field.start()].translate(_ACCENT), field.group()]
        start = field.end()
    return "".join([*parts, text[start:].translate(_ACCENT)])


@cache
def pseudo_language() -> i18n.Language:
    """The pseudo-language: English dates and plural rules, every sentence accented."""
    catalog = Catalog(locale="en", domain="studycircle")
    for message in i18n_tool.template():
        if not message.id:
            continue
        if isinstance(message.id, tuple | list):
            catalog.add(tuple(message.id), tuple(pseudo(form) for form in message.id))
        else:
            catalog.add(message.id, pseudo(message.id))
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return i18n.Language("en", GNUTranslations(compiled))


def screen_lines(app) -> list[str]:
    """The screen as text, one string a row, as drawn. (Through the compositor, as
    Textual's own ``export_screenshot`` does: its SVG leaves out the spaces between keys.)"""
    return [strip.text for strip in app.screen._compositor.render_strips()]


def _words(text: str) -> set[str]:
    return {word.casefold() for word in _WORD.findall(text)}


# The fields of an op that hold what a member wrote (not its type, ids or choices: the
# screen says those in words of its own, which must be translated).
WRITTEN = ("name", "lead_name", "goal", "rules", "title", "text", "comment")


def _written(op: dict) -> Iterable[str]:
    data = op.get("data", {})
    for key in WRITTEN:
        if isinstance(data.get(key), str):
            yield data[key]
    if op["type"] == "post.hide" and data.get("reason"):  # a flag's reason is a choice
        yield data["reason"]


def allowed_words(circle_file: Path, themes: Iterable[str] = ()) -> set[str]:
    """Words a screen may show untranslated (see the module's docstring)."""
    allowed: set[str] = set()
    for line in circle_file.read_text(encoding="utf-8").splitlines():
        for text in _written(json.loads(line)):
            allowed |= _words(text)
    for action in ACTIONS:  # as the footer shows them, and as config.toml names them
        allowed |= _words(f"{display_keys(action.keys)} {action.key_display or ''} {action.keys}")
    allowed |= _words(str(config.config_file()))  # the settings screen says where it saves
    english = Locale("en")
    for names in (english.days["format"]["abbreviated"], english.months["format"]["abbreviated"]):
        allowed |= _words(" ".join(names.values()))
    allowed |= _words(" ".join([*themes, *i18n.LANGUAGES.values()]))
    return allowed


def unmarked(lines: list[str], allowed: set[str]) -> list[str]:
    """Words on screen no marked sentence can have made. A word cut by the edge of its
    pane ("Wednes…"), or at a letter the pseudo-language uses ("Caf" of "Café"), is
    allowed when an allowed word starts or ends with it."""
    found = []
    for line in lines:
        # Pseudo letters end a word: a dialog drawn over a sentence can butt one onto it.
        for word in _WORD.findall(line.translate(_PSEUDO_GAPS)):
            folded = word.casefold()
            if len(_ASCII_LETTERS.findall(word)) < 2 or folded in allowed:
                continue
            if any(known.startswith(folded) or known.endswith(folded) for known in allowed):
                continue
            found.append(f"{word!r} in {line.strip()!r}")
    return found
