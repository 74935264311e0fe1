"""The settings screen: every key of config.toml, written back with tomli-w on save.

One line per setting (compact widgets), so it fits 80x24 and works from the keyboard:
tab moves between fields, enter opens a choice, ctrl+s saves, escape leaves unsaved.
Key overrides list every binding that has an id, with its default keys as the
placeholder; an empty field keeps the default.

The labels and choices are marked at import (``N_``) and translated in ``compose``, in
the session's language. A new ``language`` takes effect the next time the app opens:
what is already on screen was made in the old one.
"""

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Input, Label, Select, Static

from ... import config
from ...config import Settings
from ...i18n import LANGUAGES, N_, _, error_text, message
from ..actions import ACTIONS, SCOPES, binding_id, bindings_for
from ..widgets.footer import AppFooter

if TYPE_CHECKING:
    from ..preferences import Preferences

ON_OFF = [(N_("on"), True), (N_("off"), False)]
DEPTHS = [
    (N_("automatic (what the terminal says)"), "auto"),
    (N_("truecolor (16 million)"), "truecolor"),
    (N_("256 colours"), "256"),
    (N_("16 colours (Linux console)"), "16"),
    (N_("1 bit: no colour"), "1"),
]
TIME_FORMATS = [
    (N_("relative (5m, 3h, Tue)"), "relative"),
    (N_("24-hour clock"), "24h"),
    (N_("12-hour clock"), "12h"),
]
# Each language is named in itself, so a member who cannot read the current one finds theirs.
LANGUAGE_CHOICES = [(N_("automatic (from LANG)"), "auto")] + [
    (name, code) for code, name in LANGUAGES.items()
]


def choices(options: list[tuple[str, object]]) -> list[tuple[str, object]]:
    """A Select's options with their words in the session's language."""
    return [(_(label), value) for label, value in options]


def pick(options: list[tuple[str, object]], value: object, id: str) -> Select:
    """A choice that always holds a value (no blank "Select" line: Textual's, English)."""
    return Select(options, value=value, id=id, allow_blank=False)


def known_bindings() -> dict[str, tuple[str, str, str]]:
    """Every binding of every screen, from the key table: id -> (where, what, default
    keys), where and what in the session's language."""
    known = {}
    order = list(SCOPES)  # the main screen's keys first, as in the table
    for action in sorted(ACTIONS, key=lambda a: order.index(a.scope)):
        if action.bound:
            place = message(SCOPES[action.scope].place)
            known[binding_id(action)] = (place, message(action.title), action.keys)
    return known


class SettingsScreen(Screen[Settings | None]):
    CSS_PATH = "settings.tcss"
    BINDINGS = bindings_for("settings")
    KEY_SCOPES = ("settings",)

    def __init__(self, preferences: "Preferences") -> None:
        super().__init__()
        self.preferences = preferences
        self.settings = preferences.settings
        self.bindings_known = known_bindings()

    def compose(self) -> ComposeResult:
        settings = self.settings
        themes = [(_("automatic (by colour depth)"), "auto")]
        themes += [
            (f"{name} — {description}" if description else name, name)
            for name, description in self.preferences.theme_choices()
        ]
        theme = settings.theme if settings.theme in {value for _, value in themes} else "auto"
        on_off = choices(ON_OFF)
        yield Label(_("Settings"), id="settings-title")
        saved_to = _home_relative(settings.path or config.config_file())
        yield Static(_("saved to {file}").format(file=saved_to), id="settings-path")
        with VerticalScroll(id="settings-form"):
            yield from self._row(
                _("Language"),
                pick(choices(LANGUAGE_CHOICES), settings.language, "language"),
            )
            yield from self._row(_("Theme"), pick(themes, theme, "theme"))
            yield from self._row(
                _("Colour depth"),
                pick(choices(DEPTHS), settings.color_depth, "color_depth"),
            )
            yield from self._row(
                _("ASCII borders"),
                pick(on_off, settings.ascii_borders, "ascii_borders"),
            )
            yield from self._row(
                _("Low bandwidth"),
                pick(on_off, settings.low_bandwidth, "low_bandwidth"),
            )
            yield from self._row(
                _("Time format"),
                pick(choices(TIME_FORMATS), settings.time_format, "time_format"),
            )
            yield from self._row(
                _("Bell on mention"),
                pick(on_off, settings.bell_on_mention, "bell_on_mention"),
            )
            yield from self._row(_("Your name"), Input(settings.name, id="name", max_length=80))
            yield from self._row(
                _("Default circle"),
                Input(
                    settings.default_circle,
                    id="default_circle",
                    placeholder=_("the last one opened"),
                    max_length=200,
                ),
            )
            yield Label(_("Keys (empty: the default)"), classes="settings-heading")
            place = ""
            for binding_id, (where, description, keys) in self.bindings_known.items():
                if where != place:  # each place's keys under its name: labels stay short
                    place = where
                    yield Label(place, classes="settings-place")
                yield from self._row(
                    description,
                    Input(
                        settings.keys.get(binding_id, ""),
                        placeholder=keys,
                        id=f"key-{_safe_id(binding_id)}",
                        name=binding_id,
                    ),
                    classes="settings-key",
                )
        yield Static("", id="settings-error")
        yield AppFooter()

    def _row(self, title: str, widget: Select | Input, classes: str = "") -> ComposeResult:
        widget.compact = True
        with Horizontal(classes=f"settings-row {classes}"):
            yield Label(title, classes="settings-label")
            yield widget

    def on_mount(self) -> None:
        self.query_one("#theme", Select).focus()

    def _value(self, widget_id: str) -> object:
        widget = self.query_one(f"#{widget_id}")
        if isinstance(widget, Select):
            return widget.value
        assert isinstance(widget, Input)
        return widget.value

    def collect(self) -> Settings:
        """The form as Settings; ValueError names the field that is wrong."""
        values: dict[str, object] = {}
        for key in (
            "language",
            "theme",
            "color_depth",
            "ascii_borders",
            "low_bandwidth",
            "time_format",
            "bell_on_mention",
            "name",
            "default_circle",
        ):
            try:
                values[key] = config.check(key, self._value(key))
            except ValueError as error:
                raise ValueError(f"{key}: {error_text(error)}") from None
        if not values["name"]:
            values["name"] = config.default_name()
        keys = {
            key: value
            for key, value in self.settings.keys.items()
            if key not in self.bindings_known  # overrides of bindings gone since
        }
        for field in self.query(".settings-row Input"):
            assert isinstance(field, Input)
            if field.name and field.value.strip():
                keys[field.name] = field.value.strip()
        try:
            values["keys"] = config.check("keys", keys)
        except ValueError as error:
            raise ValueError(f"keys: {error_text(error)}") from None
        return replace(self.settings, problems=[], **values)  # type: ignore[arg-type]

    def action_save(self) -> None:
        try:
            settings = self.collect()
        except ValueError as error:
            self.query_one("#settings-error", Static).update(str(error))
            return
        self.dismiss(settings)

    def action_cancel(self) -> None:
        self.dismiss(None)


def _home_relative(path: Path) -> str:
    try:
        return "~/" + str(path.relative_to(Path.home()))
    except ValueError:
        return str(path)


def _safe_id(binding_id: str) -> str:
    return "".join(char if char.isalnum() else "_" for char in binding_id)
