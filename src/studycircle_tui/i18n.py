"""The member's language: translated sentences, plurals, dates and times (Babel).

English is the source language; each other language is a gettext catalog
(``locale/<code>/LC_MESSAGES/studycircle.po``, compiled to the ``.mo`` beside it, which
ships in the package; ``make i18n`` extracts and updates them, ``tools/i18n.py``).

**A language per session, not per process.** ssh-serve runs many players' apps in one
process and a player in Jakarta may sit beside one in Leeds, so the language is never a
process global: it is a ``Language`` object, and the one in force is a context variable
(``use``). asyncio copies context into each task it starts, so an app (or a command)
that calls ``use`` first sees its own language in everything it runs; code that holds
the object can also call it directly.

**Where translation happens.** Only the front ends (the command line, the TUI) translate.
Everything below them answers in English, marking sentences with ``core.messages``' ``N_``
and ``Message`` (a sentence with parameters that keeps its template); ``Language.message``
turns either into the member's language. The server's JSON errors carry a stable
``code``, which the client shows through its own catalog (``sync.http``).
"""

import io
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar, Token
from datetime import datetime, timedelta
from functools import cache
from gettext import GNUTranslations, NullTranslations
from importlib import resources

from babel import Locale
from babel.dates import format_datetime, format_skeleton, format_timedelta
from babel.numbers import format_decimal

from .core.messages import N_, Message, os_reason

__all__ = ["LANGUAGES", "N_", "Language", "Message", "choose", "current", "language", "use"]

DOMAIN = "studycircle"
SOURCE = "en"
# Each language the app speaks, by its ISO 639-1 code, named in itself (the settings
# screen and ``--lang`` list them). A new one needs only its catalog (README).
LANGUAGES = {"en": "English", "id": "Bahasa Indonesia"}
# The environment, in gettext's own order of precedence (LANGUAGE may list several).
ENVIRONMENT = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


class Language:
    """One language: its catalog and its Babel locale (dates, numbers, plural rules)."""

    def __init__(self, code: str, catalog: NullTranslations) -> None:
        self.code = code
        self.name = LANGUAGES[code]
        self.locale = Locale.parse(code)
        self._catalog = catalog

    def __repr__(self) -> str:
        return f"Language({self.code!r})"

    def gettext(self, text: str) -> str:
        return self._catalog.gettext(text)

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        """The form for ``count`` (the catalog holds one per plural form of the language:
        Indonesian has one, English two). Fill in ``{count}`` with ``format`` after."""
        return self._catalog.ngettext(singular, plural, count)

    def message(self, text: str) -> str:
        """A sentence from below the front end (a ``Message`` or an ``N_``-marked one) in
        this language; a sentence the catalog does not hold stays as it is."""
        if isinstance(text, Message):
            params = {
                key: self.message(value) if isinstance(value, Message) else value
                for key, value in text.params.items()
            }
            if not params:
                return self.gettext(text.template)
            try:
                return self.gettext(text.template).format(**params)
            except (KeyError, IndexError, ValueError):  # a broken translation: say it in English
                return str(text)
        return self.gettext(text)

    def error(self, error: BaseException) -> str:
        """An exception's sentence (its first argument, when that is text) translated."""
        first = error.args[0] if len(error.args) == 1 else None
        return self.message(first) if isinstance(first, str) else str(error)

    # Dates and times, as CLDR writes them in this language: "Rab 19.00", "Wed 19:00".

    def clock(self, moment: datetime, twelve_hour: bool = False) -> str:
        return format_skeleton("hm" if twelve_hour else "Hm", moment, locale=self.locale)

    def weekday(self, moment: datetime) -> str:
        return format_datetime(moment, "EEE", locale=self.locale)

    def day_month(self, moment: datetime) -> str:
        return format_skeleton("MMMd", moment, locale=self.locale)

    def date(self, moment: datetime) -> str:
        return format_skeleton("yMMMd", moment, locale=self.locale)

    def ago(self, seconds: float) -> str:
        """How long ago, in words: "5 menit yang lalu", "5 minutes ago"."""
        return format_timedelta(
            timedelta(seconds=-max(0.0, seconds)), add_direction=True, locale=self.locale
        )

    def number(self, value: float) -> str:
        """1,234.5 in English, 1.234,5 in Indonesian."""
        return format_decimal(value, locale=self.locale)


def _load(code: str) -> NullTranslations:
    if code == SOURCE:
        return NullTranslations()
    compiled = resources.files(__package__).joinpath(f"locale/{code}/LC_MESSAGES/{DOMAIN}.mo")
    return GNUTranslations(io.BytesIO(compiled.read_bytes()))


@cache
def language(code: str) -> Language:
    """The language named ``code`` (one of ``LANGUAGES``); KeyError otherwise."""
    if code not in LANGUAGES:
        raise KeyError(code)
    return Language(code, _load(code))


def supported(locale_name: str) -> str | None:
    """``LANGUAGES``' code for a locale name as the environment writes it ("id_ID.UTF-8",
    "en", "in" as old systems name Indonesian), or None."""
    code = locale_name.split(".")[0].split("@")[0].replace("-", "_").split("_")[0].lower()
    code = {"in": "id"}.get(code, code)
    return code if code in LANGUAGES else None


def from_environment(environ: Mapping[str, str] | None = None) -> str:
    """The language the environment asks for, as gettext reads it: the first of
    LANGUAGE, LC_ALL, LC_MESSAGES, LANG that is set decides (LANGUAGE may list several,
    "id:en"); English when it names none we have, or is "C"/"POSIX"."""
    environ = os.environ if environ is None else environ
    for variable in ENVIRONMENT:
        value = environ.get(variable, "")
        if not value:
            continue
        if variable == "LANGUAGE":
            # GNU gettext ignores LANGUAGE when the locale is "C": do as it does.
            if (environ.get("LC_ALL") or environ.get("LANG") or "C") in ("C", "POSIX"):
                continue
            found = [supported(part) for part in value.split(":")]
            codes = [code for code in found if code]
            if codes:
                return codes[0]
            continue
        return supported(value) or SOURCE
    return SOURCE


def choose(flag: str | None, setting: str, environ: Mapping[str, str] | None = None) -> str:
    """The language to speak: ``--lang`` first, then the ``language`` setting (unless
    "auto"), then the environment."""
    for wanted in (flag, setting):
        if wanted and wanted != "auto" and wanted in LANGUAGES:
            return wanted
    return from_environment(environ)


def sent_by_client(environ: Mapping[str, str]) -> str:
    """The language an SSH client asked for with the variables it sent (OpenSSH sends
    LANG and LC_* where its config says ``SendEnv LANG LC_*``), or "" if it sent none."""
    sent = {key: value for key, value in environ.items() if key in ENVIRONMENT and value}
    return from_environment(sent) if sent else ""


def for_session(setting: str, sent: str) -> str:
    """An ssh-serve player's language: their own ``language`` setting, else what their
    SSH client asked for, else English (never the host's: it is not theirs)."""
    for wanted in (setting, sent):
        if wanted in LANGUAGES:
            return wanted
    return SOURCE


_current: ContextVar[Language] = ContextVar("studycircle_language")


def use(code: str | Language) -> Token[Language]:
    """Speak ``code`` in this context (and the tasks it starts) from now on."""
    chosen = code if isinstance(code, Language) else language(code)
    return _current.set(chosen)


@contextmanager
def speaking(code: str | Language) -> Iterator[Language]:
    """Speak ``code`` inside the ``with`` block, and what was spoken before after it."""
    token = use(code)
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def current() -> Language:
    return _current.get(None) or language(SOURCE)


def _(text: str) -> str:
    """``text`` in the current context's language (mark it for ``make i18n`` too)."""
    return current().gettext(text)


def ngettext(singular: str, plural: str, count: int) -> str:
    return current().ngettext(singular, plural, count)


def os_error(error: OSError) -> str:
    """Why an operating-system call failed, in the current language."""
    return current().message(os_reason(error))


def message(text: str) -> str:
    return current().message(text)


def error_text(error: BaseException) -> str:
    return current().error(error)
