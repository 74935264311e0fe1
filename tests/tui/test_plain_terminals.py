"""The two plain terminals, pinned: ASCII mode (``--ascii``, ``ascii_borders = true``)
draws every border with ``+ - |``; the Linux console (TERM=linux) draws only the lines
its font has. Each screen kind with a border of its own is here: the main screen with
the composer open, a dialog, the settings form, a list of checkboxes and a tick box."""

import asyncio

import pytest
from discussion_circle import build_story, open_as

from circles import as_member, fixed_demo_service
from studycircle_tui.config import Settings
from studycircle_tui.tui import display
from studycircle_tui.tui.app import StudyCircleApp
from studycircle_tui.tui.screens.members import MembersScreen
from studycircle_tui.tui.screens.suggestions import SuggestionScreen

SIZE = (80, 24)


@pytest.fixture(autouse=True)
def plain_environment(monkeypatch):
    for variable in ("NO_COLOR", "COLORTERM", "STUDYCIRCLE_COLOR_DEPTH", "STUDYCIRCLE_ASCII"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    yield
    display.set_border_mode("unicode")


@pytest.fixture(scope="module")
def story(tmp_path_factory):
    return build_story(tmp_path_factory.mktemp("story"))


def terminal(mode: str, monkeypatch) -> dict:
    """The settings for ``mode``, and the console's TERM."""
    if mode == "console":
        monkeypatch.setenv("TERM", "linux")  # 16 colours, and the console's own lines
        return {"theme": "ansi-16"}
    return {"ascii_borders": True, "theme": "dark"}


def story_app(story, tmp_path, settings: dict) -> StudyCircleApp:
    service = open_as(story, "Citra", tmp_path)
    return StudyCircleApp(service, sync=False, settings=Settings(name="Citra", **settings))


MODES = ["ascii", "console"]


@pytest.mark.parametrize("mode", MODES)
class TestBothModes:
    def test_thread_with_the_composer_open(self, snap_compare, story, tmp_path, monkeypatch, mode):
        app = story_app(story, tmp_path, terminal(mode, monkeypatch))

        async def run_before(pilot) -> None:
            await pilot.pause()
            pilot.app.main_screen.open_thread(story.ids["derivative"])
            await pilot.pause()
            await pilot.press("r")
            await pilot.pause()

        assert snap_compare(app, terminal_size=SIZE, run_before=run_before)

    def test_new_thread_dialog(self, snap_compare, story, tmp_path, monkeypatch, mode):
        app = story_app(story, tmp_path, terminal(mode, monkeypatch))
        assert snap_compare(app, terminal_size=SIZE, press=["enter", "t"])

    def test_settings_form(self, snap_compare, story, tmp_path, monkeypatch, mode):
        app = story_app(story, tmp_path, terminal(mode, monkeypatch))
        assert snap_compare(app, terminal_size=SIZE, press=["f2"])


def _pushed(screen):
    async def run_before(pilot) -> None:
        await pilot.pause()
        await pilot.app.push_screen(screen)
        await pilot.pause()

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
    assert snap_compare(app, terminal_size=SIZE, run_before=_pushed(MembersScreen(service)))


def test_ascii_tick_box(snap_compare, tmp_path):
    """The suggestion box's "Anonymous" tick box, drawn ``[ ]``."""
    member = as_member(fixed_demo_service(tmp_path), "Budi")
    asyncio.run(member.sync_once())
    member.submit("rules.accept", {"version": member.state.rules_version})
    app = StudyCircleApp(member, sync=False, settings=Settings(ascii_borders=True, theme="dark"))
    assert snap_compare(app, terminal_size=SIZE, run_before=_pushed(SuggestionScreen(member)))
