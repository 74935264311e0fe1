"""The two plain terminals: ASCII mode (``--ascii``, ``ascii_borders = true``) draws
every border with ``+ - |``; the Linux console (TERM=linux) draws only the lines its
font has. Every screen is opened in each mode and beside it in Unicode, and each
widget's borders must differ in their type alone; snapshots pin what a few look like
(the main screen with the composer open, a dialog, the settings form, checkboxes)."""

import asyncio
import json
import sys

import pytest
from discussion_circle import build_story, open_as
from textual.widgets import Footer

from circles import as_member, fixed_demo_service
from ptyterm import PtyApp, app_env
from studycircle_tui.config import Settings
from studycircle_tui.tui.app import StudyCircleApp
from studycircle_tui.tui.screens.dialogs import FlagScreen
from studycircle_tui.tui.screens.help import HelpScreen
from studycircle_tui.tui.screens.members import MembersScreen
from studycircle_tui.tui.screens.new_thread import NewThreadScreen
from studycircle_tui.tui.screens.note_dialogs import NewNoteScreen
from studycircle_tui.tui.screens.notes import NotesScreen
from studycircle_tui.tui.screens.quiz import QuizPaneScreen
from studycircle_tui.tui.screens.quiz_dialogs import LiveSettingsScreen
from studycircle_tui.tui.screens.rules import RulesScreen
from studycircle_tui.tui.screens.schedule import ScheduleScreen
from studycircle_tui.tui.screens.suggestions import SuggestionScreen

SIZE = (80, 24)


@pytest.fixture(autouse=True)
def plain_environment(monkeypatch):
    for variable in ("NO_COLOR", "COLORTERM", "STUDYCIRCLE_COLOR_DEPTH", "STUDYCIRCLE_ASCII"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")


@pytest.fixture(scope="module")
def story(tmp_path_factory):
    return build_story(tmp_path_factory.mktemp("story"))


def terminal(mode: str, monkeypatch) -> dict:
    """The settings for ``mode``, and the console's TERM."""
    if mode == "console":
        monkeypatch.setenv("TERM", "linux")  # 16 colours, and the console's own lines
        return {"theme": "ansi-16"}
    return {"ascii_borders": True, "theme": "dark"}


def pressing(*keys: str):
    """Press ``keys``, then stop the text cursors blinking: a snapshot would catch a
    blinking cursor in either phase."""

    async def run_before(pilot) -> None:
        await pilot.pause()
        for key in keys:
            await pilot.press(key)
        await pilot.pause()
        for field in pilot.app.screen.query("Input, TextArea"):
            field.cursor_blink = False
        await pilot.pause()

    return run_before


def story_app(story, tmp_path, settings: dict) -> StudyCircleApp:
    service = open_as(story, "Citra", tmp_path)
    return StudyCircleApp(service, sync=False, settings=Settings(name="Citra", **settings))


MODES = ["ascii", "console"]


@pytest.mark.parametrize("mode", MODES)
class TestBothModes:
    def test_thread_with_the_composer_open(self, snap_compare, story, tmp_path, monkeypatch, mode):
        app = story_app(story, tmp_path, terminal(mode, monkeypatch))
        reply = pressing("r")

        async def run_before(pilot) -> None:
            await pilot.pause()
            pilot.app.main_screen.open_thread(story.ids["derivative"])
            await reply(pilot)

        assert snap_compare(app, terminal_size=SIZE, run_before=run_before)

    def test_new_thread_dialog(self, snap_compare, story, tmp_path, monkeypatch, mode):
        app = story_app(story, tmp_path, terminal(mode, monkeypatch))
        assert snap_compare(app, terminal_size=SIZE, run_before=pressing("enter", "t"))

    def test_settings_form(self, snap_compare, story, tmp_path, monkeypatch, mode):
        app = story_app(story, tmp_path, terminal(mode, monkeypatch))
        assert snap_compare(app, terminal_size=SIZE, run_before=pressing("f2"))


def _pushed(screen, shown: str | None = None):
    """``screen`` pushed; ``shown``: a widget scrolled into view (below the fold)."""
    still = pressing()

    async def run_before(pilot) -> None:
        await pilot.pause()
        await pilot.app.push_screen(screen)
        if shown is not None:
            pilot.app.screen.query_one(shown).scroll_visible(animate=False)
        await still(pilot)

    return run_before


def test_ascii_checkbox_list(snap_compare, tmp_path):
    """The rota's volunteers: a list of checkboxes, drawn ``[X]``."""
    service = fixed_demo_service(tmp_path)
    ayu = next(m.id for m in service.state.members.values() if m.name == "Ayu")
    service.submit(
        "moderator.rota",
        {"volunteers": [ayu, service.me], "start": "2026-11-16", "tz": "Asia/Jakarta"},
    )
    app = StudyCircleApp(service, sync=False, settings=Settings(ascii_borders=True, theme="dark"))
    shown = _pushed(MembersScreen(service), "#volunteers")
    assert snap_compare(app, terminal_size=SIZE, run_before=shown)


def test_ascii_tick_box(snap_compare, tmp_path):
    """The suggestion box's "Anonymous" tick box, drawn ``[ ]``."""
    member = as_member(fixed_demo_service(tmp_path), "Budi")
    asyncio.run(member.sync_once())
    member.submit("rules.accept", {"version": member.state.rules_version})
    app = StudyCircleApp(member, sync=False, settings=Settings(ascii_borders=True, theme="dark"))
    assert snap_compare(app, terminal_size=SIZE, run_before=_pushed(SuggestionScreen(member)))


# --- every screen: only the type of each border changes --------------------------------

# A screen of each kind, as the app opens it (with the demo circle's lead): between them
# they show every widget and every rule of the app's CSS that draws a border. (The
# settings form's fields are compact, with no border: a snapshot pins it.)
SCREENS = {
    "new thread": lambda app, service: NewThreadScreen(service, next(iter(service.state.channels))),
    "flag": lambda app, service: FlagScreen(),
    "help": lambda app, service: HelpScreen.of(app.screen),
    "members": lambda app, service: MembersScreen(service),
    "schedule": lambda app, service: ScheduleScreen(service),
    "suggestions": lambda app, service: SuggestionScreen(service),
    "rules": lambda app, service: RulesScreen(service),
    "notes": lambda app, service: NotesScreen(service),
    "new note": lambda app, service: NewNoteScreen(None, None),
    "quizzes": lambda app, service: QuizPaneScreen(service),
    "run live": lambda app, service: LiveSettingsScreen("Week 1", False),
}
INVISIBLE = {"", "none", "hidden", "blank"}
CONSOLE_DRAWS = {"ascii", "solid", "double", "thick", "block"}


def _edges(widget) -> list[tuple[str, object]]:
    styles = widget.styles
    return [
        styles.border_top,
        styles.border_right,
        styles.border_bottom,
        styles.border_left,
        styles.outline_top,
        styles.outline_right,
        styles.outline_bottom,
        styles.outline_left,
    ]


def _new_kinds(widgets, seen: set) -> list:
    """The first widget of each type and classes not in ``seen`` (focus styles go by
    those): every kind is focused once, on whichever screen shows it first."""
    new = []
    for widget in widgets:
        kind = (type(widget), frozenset(widget.classes))
        if kind not in seen:
            seen.add(kind)
            new.append(widget)
    return new


def border_census(folder, monkeypatch, term: str, settings: Settings) -> list[tuple]:
    """(screen, widget, its edges) for every widget of every screen, as first shown and
    again with each focusable widget focused in turn (focus changes borders); then the
    command palette and a toast."""
    folder.mkdir()
    monkeypatch.setenv("TERM", term)  # read when the app applies its settings
    service = fixed_demo_service(folder)
    app = StudyCircleApp(service, sync=False, settings=settings)
    return asyncio.run(_census(app, service))


async def _census(app: StudyCircleApp, service) -> list[tuple]:
    rows: list[tuple] = []
    focused: set = set()

    def record(label: str) -> None:
        # Not the footers: they rebuild their keys in their own time after a focus change
        # (their one border, before the palette key, is in the snapshots above).
        footers = set(app.screen.query(Footer))
        widgets = [
            widget
            for widget in app.screen.walk_children(with_self=True)
            if not footers.intersection(widget.ancestors_with_self)
        ]
        for index, widget in enumerate(widgets):
            rows.append((label, f"{index}:{type(widget).__name__}", _edges(widget)))

    async with app.run_test(size=(120, 36), notifications=True) as pilot:
        await pilot.pause()
        opened = [("main", None), *SCREENS.items()]
        for label, make in opened:
            if make is not None:
                await app.push_screen(make(app, service))
                await pilot.pause()
            record(label)
            for widget in _new_kinds(
                [w for w in app.screen.walk_children() if w.focusable], focused
            ):
                widget.focus()
                await pilot.pause()
                record(f"{label}, {type(widget).__name__}#{widget.id} focused")
            if make is not None:
                app.pop_screen()
                await pilot.pause()
        app.notify("A toast", severity="warning")
        app.action_command_palette()
        await pilot.pause()
        record("palette and toast")
        rows.extend(("toast", type(toast).__name__, _edges(toast)) for toast in app.query("Toast"))
    return rows


def test_plain_terminals_change_the_type_of_each_border_and_nothing_else(tmp_path, monkeypatch):
    """Each border the app draws in Unicode is drawn in the plain terminal too, in the
    same colour, with a type it can draw: ``ascii`` in ASCII mode; on the console the
    same type where its font has the lines, else ``solid``."""
    theme = Settings(theme="dark")
    unicode = border_census(tmp_path / "unicode", monkeypatch, "xterm-256color", theme)
    ascii_settings = Settings(theme="dark", ascii_borders=True)
    plains = {
        "ascii": border_census(tmp_path / "ascii", monkeypatch, "xterm-256color", ascii_settings),
        "console": border_census(tmp_path / "console", monkeypatch, "linux", theme),
    }
    drawn = 0
    for mode, plain in plains.items():
        assert [row[:2] for row in plain] == [row[:2] for row in unicode]  # the same widgets
        for (label, widget, edges), (_, _, plain_edges) in zip(unicode, plain, strict=True):
            for (kind, colour), (plain_kind, plain_colour) in zip(edges, plain_edges, strict=True):
                if kind in INVISIBLE:
                    expected = kind
                elif mode == "ascii":
                    expected = "ascii"
                else:
                    expected = kind if kind in CONSOLE_DRAWS else "solid"
                where = f"{mode}, {label}: {widget} has a {kind} border"
                assert (plain_kind, plain_colour) == (expected, colour), where
                drawn += kind not in INVISIBLE
    assert drawn > 200  # the census saw borders: inputs, lists, buttons, dialogs, panes


# --- what reaches the terminal -----------------------------------------------------------


def _written_by_members(path) -> set[str]:
    """Every character in the circle's ops: what its members wrote (names, posts, emoji)."""
    found: set[str] = set()

    def walk(value) -> None:
        if isinstance(value, str):
            found.update(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for line in path.read_text(encoding="utf-8").splitlines():
        walk(json.loads(line))
    return found


def test_ascii_mode_sends_the_terminal_nothing_but_ascii_and_what_members_wrote(tmp_path, story):
    """The real app in a terminal, with ``--ascii``: the thread list's markers, a thread
    with its gutter and accepted and verified marks, the composer, the key list, the
    settings form and the footer's keys. Every byte it writes is ASCII, except the
    characters of what members wrote (accents, superscripts, emoji)."""
    circle = tmp_path / "circle.jsonl"
    circle.write_bytes(story.path.read_bytes())
    argv = [sys.executable, "-m", "studycircle_tui.cli", "--ascii", "open", str(circle)]
    app = PtyApp([*argv, "--name", "Reader"], app_env(tmp_path / "home"), size=(100, 30))
    try:
        assert app.wait_for("# questions")
        down, enter, esc, f2 = b"\x1b[B", b"\r", b"\x1b", b"\x1bOQ"
        steps = [  # keys, then what the screen shows once they have been handled
            (down + enter, "enter Open"),  # the footer names the key: no ⏎
            (down, None),  # the second thread: only its highlight shows
            (enter, "+ accepted  * verified by Budi"),
            (b"r", "^s Send"),
            (esc, "r Reply"),  # an escape alone: a key straight after it would read as alt
            (b"?", "esc/q/? closes"),
            (esc, "r Reply"),
            (f2, "saved to"),
            (esc, "r Reply"),
        ]
        for keys, shown in steps:
            app.press(keys)
            if shown is None:
                app.settle(quiet=0.5)
            else:
                assert app.wait_for(shown), shown
        assert app.process.poll() is None
        written = app.raw.decode("utf-8", "replace")
    finally:
        app.close()
    assert not {char for char in written if not char.isascii()} - _written_by_members(circle)


async def test_ascii_mode_turned_on_and_off_while_running(story, tmp_path):
    """From the settings: the borders and symbols change at once, and back."""
    from dataclasses import replace

    from studycircle_tui.tui.widgets.composer import Composer
    from studycircle_tui.tui.widgets.thread_view import ThreadView

    app = story_app(story, tmp_path, {"theme": "dark"})
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.main_screen.open_thread(story.ids["derivative"])
        await pilot.pause()
        composer = app.screen.query_one(Composer)
        thread = app.screen.query_one(ThreadView)
        preferences = app.preferences

        def drawn() -> tuple[str, str, bool]:
            top = composer.render_lines(composer.region.reset_offset)[0].text
            lines = [strip.text for strip in thread.render_lines(thread.region.reset_offset)]
            marks = any("+ accepted  * verified by Budi" in line for line in lines)
            return composer.styles.border_top[0], top, marks

        assert drawn() == ("tall", "▊" + "▔" * 78 + "▎", False)
        assert preferences.save(replace(preferences.settings, ascii_borders=True, problems=[]))
        await pilot.pause()
        assert drawn() == ("ascii", "+" + "-" * 78 + "+", True)
        assert preferences.save(replace(preferences.settings, ascii_borders=False, problems=[]))
        await pilot.pause()
        assert drawn() == ("tall", "▊" + "▔" * 78 + "▎", False)
