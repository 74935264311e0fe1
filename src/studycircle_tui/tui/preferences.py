"""The user's settings applied to the running app: themes, colour depth, ASCII borders,
key overrides, time format and low-bandwidth mode; and the palette's commands for them.
Each is this app's own (its classes, CSS variables and line filters), never the process's.

``app.py`` makes one ``Preferences`` in its ``__init__`` (themes are registered before
any is used) and asks it for extra palette commands. What the terminal is (TERM, a
colour depth or low-bandwidth mode forced from the command line) is read from the
app's ``environ``: the process's own, or an ssh-serve player's session. Everything that
went wrong while reading config.toml or the theme files is kept in ``problems`` and
shown as a toast once the app is up, so the app always starts: with the default for
whatever was bad.
"""

import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import fields, replace

from textual import constants
from textual.app import App, SystemCommand
from textual.command import CommandPalette, DiscoveryHit, Hit, Hits, Provider
from textual.filter import LineFilter
from textual.notifications import SeverityLevel
from textual.screen import Screen

from .. import config, terminal
from ..config import Settings
from ..i18n import N_, _, message, ngettext, os_error
from . import compat, display, timefmt
from .changed_cells import ChangedCellsDisplay
from .notices import KeptNotices
from .theme_loader import load_themes

DEFAULT_THEME = "dark"
PROBE_AFTER_SECONDS = 1.0  # the first screen is on its way by then
SLOW_LINK_SECONDS = 1.0
THEME_FOR_DEPTH = {"1": "monochrome", "16": "ansi-16"}
# Textual's own palette commands, by the title Textual gives them: what they say in the
# session's language (Textual has no catalog of its own).
TEXTUAL_COMMANDS = {
    "Quit": (N_("Quit"), N_("Quit the app (your draft is kept)")),
    "Screenshot": (N_("Screenshot"), N_("Save an SVG picture of the screen")),
    "Maximize": (N_("Maximize"), N_("Show the focused pane alone, full size")),
    "Minimize": (N_("Minimize"), N_("Give the pane back its usual size")),
    "Bell": (N_("Bell"), N_("Ring the bell")),
}


class Preferences:
    def __init__(
        self,
        app: App,
        settings: Settings | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.app = app
        self.environ = os.environ if environ is None else environ
        self.settings = settings if settings is not None else config.load_settings()
        self.problems: list[str] = list(self.settings.problems)
        self.themes, theme_problems = load_themes(config.user_themes_dir(self.settings.path))
        self.problems.extend(theme_problems)
        for info in self.themes.values():
            app.register_theme(info.theme)  # registered before any is used
        self._saving_theme = False
        self.notices = KeptNotices(app)  # a problem said again replaces its toast
        self._changed_cells: ChangedCellsDisplay | None = None
        self.line_filters: list[LineFilter] = []  # the app adds them to Textual's
        self._probe_sent: float | None = None
        self.link_seconds: float | None = None  # how long the terminal took to answer
        self.apply(self.settings, first=True)

    # --- what is in force -------------------------------------------------------------

    @property
    def color_depth(self) -> str:
        return terminal.color_depth(self.settings.color_depth, self.environ)

    @property
    def low_bandwidth(self) -> bool:
        return terminal.flag(terminal.ENV_LOW_BANDWIDTH, self.settings.low_bandwidth, self.environ)

    @property
    def ascii_borders(self) -> bool:
        return terminal.flag(terminal.ENV_ASCII, self.settings.ascii_borders, self.environ)

    @property
    def border_mode(self) -> str:
        """ASCII when asked; on the Linux console, the lines its font has; else Unicode."""
        if self.ascii_borders:
            return "ascii"
        return "console" if self.environ.get("TERM", "") == "linux" else "unicode"

    def theme_name(self, settings: Settings) -> str:
        """The theme to use: the chosen one if it exists, else the depth's default."""
        fallback = THEME_FOR_DEPTH.get(self.color_depth, DEFAULT_THEME)
        if fallback not in self.app.available_themes:
            fallback = DEFAULT_THEME
        if settings.theme in ("auto", ""):
            return fallback
        if settings.theme not in self.app.available_themes:
            self.problems.append(
                _(
                    "theme '{theme}' not found (is its file in {folder}?); using '{fallback}'"
                ).format(
                    theme=settings.theme,
                    folder=config.user_themes_dir(settings.path),
                    fallback=fallback,
                )
            )
            return fallback
        return settings.theme

    def apply(self, settings: Settings, *, first: bool = False) -> None:
        """Put ``settings`` in force, as far as a running app can."""
        app = self.app
        old = replace(self.settings)
        if settings is not self.settings:
            # In place: the app and its screens hold this very Settings object.
            for item in fields(Settings):
                setattr(self.settings, item.name, getattr(settings, item.name))
        settings = self.settings
        timefmt.set_format(app, settings.time_format)
        low = self.low_bandwidth
        app.animation_level = "none" if low else constants.TEXTUAL_ANIMATIONS
        app.set_class(low, "-low-bandwidth")
        # Only changed cells go to the terminal in every mode: it costs a little CPU per
        # frame and halves what a new message sends even on a fast link (4.4 KB → under
        # 1 KB at 80x24). Low-bandwidth mode adds no animations and fewer frames.
        if self._changed_cells is None and not terminal.flag(
            terminal.ENV_FULL_REDRAW, False, self.environ
        ):
            self._changed_cells = ChangedCellsDisplay(app)
            self._changed_cells.install()
        mode = self.border_mode
        for name, class_name in display.MODE_CLASSES.items():
            app.set_class(mode == name, class_name)
        self._saving_theme = True
        try:
            if app.is_running:
                app.theme = self.theme_name(settings)
            else:  # with the CSS variables the start reads the CSS with (borders too)
                compat.theme_before_start(app, self.theme_name(settings))
        finally:
            self._saving_theme = False
        # After the theme: one bit measures against its background. A depth the terminal
        # announced itself needs no filter (Textual draws with it), except none at all.
        depth, chosen = terminal.color_choice(settings.color_depth, self.environ)
        self.line_filters = self._line_filters(depth if chosen or depth == "1" else "truecolor")
        app.set_keymap(dict(settings.keys))
        if not first and (
            old.color_depth != settings.color_depth or old.ascii_borders != settings.ascii_borders
        ):
            # The CSS variables are read again, and every screen's lines redrawn (through
            # the new filters): what Textual does for a new theme.
            app.refresh_css(animate=False)

    def _line_filters(self, depth: str) -> list[LineFilter]:
        """Ours, after Textual's: colour depth (none for truecolor), then plain symbols."""
        filters: list[LineFilter] = []
        if depth in ("1", "16", "256"):
            filters.append(display.ColorDepthFilter(depth, display.theme_luminance(self.app)))
        if self.border_mode != "unicode":
            filters.append(display.PlainSymbols(self.border_mode))
        return filters

    # --- after mount ------------------------------------------------------------------

    def on_mount(self) -> None:
        """Report what was wrong at start, and remember themes picked in the palette."""
        if self.problems:
            self.say_problems()
        self.app.theme_changed_signal.subscribe(self.app, self._theme_changed)
        self.app.app_resume_signal.subscribe(self.app, self._resumed)
        self.app.set_timer(PROBE_AFTER_SECONDS, self._probe_link)

    def say_problems(self) -> None:
        """What was wrong in config.toml and the theme files, in one toast (at 80x24 one
        toast a problem covered the screen); the file's place is said once."""
        path = f"{config.config_file()}: "
        # The title says the defaults are used (the catalog ends each sentence so too).
        using_default = _("; using the default")
        problems = [
            message(problem).removeprefix(path).removesuffix(using_default)
            for problem in self.problems
        ]
        self.problems.clear()
        count = len(problems)
        self.notices.say(
            "settings-problems",
            "\n".join(f"• {problem}" for problem in problems)
            + "\n"
            + _("(in {file})").format(file=path.rstrip(": ")),
            title=ngettext(
                "Settings: {count} problem, defaults used",
                "Settings: {count} problems, defaults used",
                count,
            ).format(count=count),
            severity="warning",
            timeout=12 + 3 * count,
        )

    # --- is the link slow? --------------------------------------------------------------

    def _probe_link(self) -> None:
        """Ask the terminal where its cursor is. It answers only once it has drawn every
        byte sent before the question, so the wait measures the link, first screen and
        all. (A terminal that never answers is never offered anything.)"""
        if self.low_bandwidth:
            return
        sent = time.monotonic()
        if compat.write_to_terminal(self.app, "\x1b[6n"):  # DSR: report the cursor position
            self._probe_sent = sent

    def terminal_answered(self) -> None:
        if self._probe_sent is None:
            return
        self.link_seconds = time.monotonic() - self._probe_sent
        self._probe_sent = None
        if self.link_seconds > SLOW_LINK_SECONDS and not self.low_bandwidth:
            self.app.notify(
                _(
                    "The screen took {seconds} s to reach you. Low-bandwidth mode sends a "
                    "fraction of that: ctrl+p, then “Low-bandwidth mode”."
                ).format(seconds=f"{self.link_seconds:.1f}"),
                title=_("This link looks slow"),
                timeout=30,
            )

    def _resumed(self, _app: object) -> None:
        if self._changed_cells is not None:
            self._changed_cells.forget()  # the terminal was someone else's for a while

    def focused(self, widget: object) -> None:
        """A blinking cursor redraws twice a second: none in low-bandwidth mode."""
        if self.low_bandwidth and hasattr(widget, "cursor_blink"):
            widget.cursor_blink = False  # type: ignore[attr-defined]

    def _theme_changed(self, theme: object) -> None:
        for item in self.line_filters:  # one bit measures against the new background
            if isinstance(item, display.ColorDepthFilter):
                item.reference = display.theme_luminance(self.app)
        name = getattr(theme, "name", None)
        if self._saving_theme or not name or name == self.settings.theme:
            return
        self.save(replace(self.settings, theme=name, problems=[]))

    def save(self, settings: Settings) -> bool:
        """Write ``settings`` to config.toml and put them in force; False if not written."""
        if not self._written(settings):
            return False
        self.apply(settings)
        return True

    def toggle_bell(self) -> None:
        """The terminal bell on @mentions on or off: in force at once, and saved for next
        time (for this session only if config.toml cannot be written)."""
        self.settings.bell_on_mention = not self.settings.bell_on_mention
        self._written(self.settings, _("; the bell changes until you quit"), "warning")
        if self.settings.bell_on_mention:  # B, B, B: one toast
            self.notices.say("bell", _("The bell on @mentions is on."))
        else:
            self.notices.say("bell", _("The bell on @mentions is off."))

    def _written(
        self, settings: Settings, then: str = "", severity: SeverityLevel = "error"
    ) -> bool:
        """Write ``settings`` to config.toml; if it cannot be, say so (``then``: what
        happens instead), in one toast however often it is tried."""
        try:
            config.save_settings(settings)
        except OSError as error:
            said = _("Settings not saved: {reason}").format(reason=os_error(error)) + then
            self.notices.say("settings-not-saved", said, severity=severity, timeout=10)
            return False
        return True

    # --- the command palette ----------------------------------------------------------

    def palette_commands(
        self, screen: Screen, textual_commands: Iterable[SystemCommand]
    ) -> Iterable[SystemCommand]:
        """Textual's system commands, its "Theme" and "Keys" replaced by ours, and ours;
        all in the session's language (Textual's own words through ``TEXTUAL_COMMANDS``)."""
        for command in textual_commands:
            if command.title == "Theme":
                yield SystemCommand(
                    _("Theme"), _("Pick a theme (saved for next time)"), self.pick_theme
                )
            elif command.title == "Keys":
                # Textual's key panel squeezes the screen at 80 columns and esc does not
                # close it; the ? screen lists every key, from the same table as the footer.
                yield SystemCommand(_("Keys"), _("Every key, and what it does (?)"), self.show_keys)
            else:
                title, help = TEXTUAL_COMMANDS.get(command.title, (command.title, command.help))
                yield SystemCommand(_(title), _(help), command.callback, command.discover)
        yield SystemCommand(
            _("Settings"),
            _("Theme, colours, keys, language, time format, low-bandwidth mode."),
            self.open,
        )
        low = self.low_bandwidth
        yield SystemCommand(
            _("Low-bandwidth mode: turn off") if low else _("Low-bandwidth mode: turn on"),
            _("No animations, fewer redraws: for slow links and SSH"),
            lambda: self.save(replace(self.settings, low_bandwidth=not low, problems=[])),
        )

    def show_keys(self) -> None:
        from .screens.help import HelpScreen

        self.app.push_screen(HelpScreen.of(self.app.screen))

    def open(self) -> None:
        from .screens.settings import SettingsScreen

        language = self.settings.language

        def saved(settings: Settings | None) -> None:
            if settings is None or not self.save(settings):
                return
            if settings.language != language:  # what is on screen was made in the old one
                self.app.notify(
                    _("Settings saved. The new language shows the next time you open the app."),
                    timeout=8,
                )
            else:
                self.app.notify(_("Settings saved."), timeout=3)

        self.app.push_screen(SettingsScreen(self), saved)

    def pick_theme(self) -> None:
        self.app.push_screen(
            CommandPalette(providers=[ThemeCommands], placeholder=_("Search for themes…"))
        )

    def theme_choices(self) -> list[tuple[str, str]]:
        """(name, description) for the picker: ours first, then Textual's own."""
        ours = [(name, info.description) for name, info in sorted(self.themes.items())]
        builtin = sorted(set(self.app.available_themes) - set(self.themes))
        return ours + [(name, _("one of Textual's themes")) for name in builtin]


class ThemeCommands(Provider):
    """The theme picker: each theme with its description; picking one saves it."""

    def _choices(self) -> list[tuple[str, str]]:
        preferences: Preferences = self.app.preferences  # type: ignore[attr-defined]
        return preferences.theme_choices()

    def _pick(self, name: str) -> None:
        self.app.theme = name  # the theme_changed signal saves it

    async def discover(self) -> Hits:
        for name, description in self._choices():
            yield DiscoveryHit(name, lambda name=name: self._pick(name), help=description)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, description in self._choices():
            score = matcher.match(name)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(name),
                    lambda name=name: self._pick(name),
                    help=description,
                )
