"""The settings screen: every key of config.toml, written back with tomli-w on save.

One line per setting (compact widgets), so it fits 80x24 and works from the keyboard:
tab moves between fields, enter opens a choice, ctrl+s saves, escape leaves unsaved.
Key overrides list every binding that has an id, with its default keys as the
placeholder; an empty field keeps the default.
"""

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Input, Label, Select, Static

from ... import config
from ...config import Settings
from ..actions import ACTIONS, SCOPES, binding_id, bindings_for

if TYPE_CHECKING:
    from ..preferences import Preferences

ON_OFF = [("on", True), ("off", False)]
DEPTHS = [
    ("automatic (what the terminal says)", "auto"),
    ("truecolor (16 million)", "truecolor"),
    ("256 colours", "256"),
    ("16 colours (Linux console)", "16"),
    ("1 bit: no colour", "1"),
]
TIME_FORMATS = [
    ("relative (5m, 3h, Tue)", "relative"),
    ("24-hour clock", "24h"),
    ("12-hour clock", "12h"),
]


def known_bindings() -> dict[str, tuple[str, str]]:
    """Every binding of every screen, from the key table: id -> (what, default keys)."""
    known = {}
    order = list(SCOPES)  # the main screen's keys first, as in the table
    for action in sorted(ACTIONS, key=lambda a: order.index(a.scope)):
        if action.bound:
            known[binding_id(action)] = (
                f"{SCOPES[action.scope].place}: {action.title}",
                action.keys,
            )
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
        themes = [("automatic (by colour depth)", "auto")]
        themes += [
            (f"{name} — {description}" if description else name, name)
            for name, description in self.preferences.theme_choices()
        ]
        theme = settings.theme if settings.theme in {value for _, value in themes} else "auto"
        yield Label("Settings", id="settings-title")
        saved_to = _home_relative(settings.path or config.config_file())
        yield Static(f"saved to {saved_to}", id="settings-path")
        with VerticalScroll(id="settings-form"):
            yield from self._row("Theme", Select(themes, value=theme, id="theme"))
            yield from self._row(
                "Colour depth", Select(DEPTHS, value=settings.color_depth, id="color_depth")
            )
            yield from self._row(
                "ASCII borders", Select(ON_OFF, value=settings.ascii_borders, id="ascii_borders")
            )
            yield from self._row(
                "Low bandwidth",
                Select(ON_OFF, value=settings.low_bandwidth, id="low_bandwidth"),
            )
            yield from self._row(
                "Time format", Select(TIME_FORMATS, value=settings.time_format, id="time_format")
            )
            yield from self._row(
                "Bell on mention",
                Select(ON_OFF, value=settings.bell_on_mention, id="bell_on_mention"),
            )
            yield from self._row("Your name", Input(settings.name, id="name", max_length=80))
            yield from self._row(
                "Default circle",
                Input(
                    settings.default_circle,
                    id="default_circle",
                    placeholder="the last one opened",
                    max_length=200,
                ),
            )
            yield Label("Keys (empty: the default)", classes="settings-heading")
            for binding_id, (description, keys) in self.bindings_known.items():
                yield from self._row(
                    description,
                    Input(
                        settings.keys.get(binding_id, ""),
                        placeholder=keys,
                        id=f"key-{_safe_id(binding_id)}",
                        name=binding_id,
                    ),
                )
        yield Static("", id="settings-error")
        yield Footer()

    def _row(self, title: str, widget: Select | Input) -> ComposeResult:
        widget.compact = True
        with Horizontal(classes="settings-row"):
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
                raise ValueError(f"{key}: {error}") from None
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
            raise ValueError(f"keys: {error}") from None
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
