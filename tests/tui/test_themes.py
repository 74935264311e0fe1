"""Every bundled theme on the main screen, and the 16-colour, one-bit (monochrome) and
ASCII-border modes: snapshots of a fixed circle (ids and times fixed, built through
core), each with an explicit terminal size, theme and colour depth."""

import pytest
from discussion_circle import build_story, open_as
from palette_helpers import choose, pick_in_palette
from textual.widgets import Select

from studycircle_tui.config import Settings, load_settings
from studycircle_tui.tui.app import StudyCircleApp
from studycircle_tui.tui.screens.help import HelpScreen

THEMES = ["dark", "light", "high-contrast", "ansi-16", "monochrome"]
SIZE = (100, 30)


@pytest.fixture(autouse=True)
def plain_terminal(monkeypatch):
    """No colour or bandwidth choices leak in from the machine running the tests."""
    for variable in (
        "NO_COLOR",
        "COLORTERM",
        "STUDYCIRCLE_COLOR_DEPTH",
        "STUDYCIRCLE_LOW_BANDWIDTH",
        "STUDYCIRCLE_ASCII",
    ):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")


@pytest.fixture(scope="module")
def story(tmp_path_factory):
    return build_story(tmp_path_factory.mktemp("story"))


@pytest.fixture
def citra(story, tmp_path):
    return open_as(story, "Citra", tmp_path)


def make_app(service, **settings) -> StudyCircleApp:
    return StudyCircleApp(service, sync=False, settings=Settings(name="Citra", **settings))


def open_question(story):
    async def run_before(pilot) -> None:
        await pilot.pause()
        pilot.app.main_screen.open_thread(story.ids["derivative"])
        await pilot.pause()

    return run_before


class TestThemes:
    @pytest.mark.parametrize("theme", THEMES)
    def test_main_screen(self, snap_compare, story, citra, theme):
        app = make_app(citra, theme=theme, color_depth="truecolor")
        assert snap_compare(app, terminal_size=SIZE, run_before=open_question(story))


class TestColorDepth:
    def test_16_colours_with_the_dark_theme(self, snap_compare, story, citra):
        app = make_app(citra, theme="dark", color_depth="16")
        assert snap_compare(app, terminal_size=SIZE, run_before=open_question(story))

    def test_16_colours_pick_the_ansi_theme_at_80x24(self, snap_compare, story, citra):
        app = make_app(citra, color_depth="16")  # theme "auto"
        assert app.theme == "ansi-16"
        assert snap_compare(app, terminal_size=(80, 24), run_before=open_question(story))

    def test_one_bit_is_monochrome(self, snap_compare, story, citra):
        app = make_app(citra, color_depth="1")
        assert app.theme == "monochrome"
        assert snap_compare(app, terminal_size=SIZE, run_before=open_question(story))

    def test_no_color_with_ascii_borders_at_80x24(self, snap_compare, story, citra, monkeypatch):
        """The plainest terminal: NO_COLOR set, ASCII borders asked for, 80x24."""
        monkeypatch.setenv("NO_COLOR", "1")
        app = make_app(citra, ascii_borders=True)
        assert app.theme == "monochrome"
        assert snap_compare(app, terminal_size=(80, 24), run_before=open_question(story))


class TestSettingsScreen:
    def test_settings_screen_at_80x24(self, snap_compare, story, citra):
        app = make_app(citra, theme="dark", color_depth="truecolor")

        async def run_before(pilot) -> None:
            await pilot.pause()
            await pilot.press("f2")
            await pilot.pause()

        assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


async def test_picking_a_theme_in_the_palette_saves_it(citra):
    app = make_app(citra, theme="dark", color_depth="truecolor")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pick_in_palette(pilot, "theme", "Theme")
        await choose(pilot, "high-contrast", "high-contrast")
        assert app.theme == "high-contrast"
    assert load_settings().theme == "high-contrast"


async def test_keys_in_the_palette_opens_the_key_list_that_esc_closes(citra):
    app = make_app(citra, theme="dark", color_depth="truecolor")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        main = app.screen
        await pick_in_palette(pilot, "keys", "Keys")
        assert isinstance(app.screen, HelpScreen)  # not Textual's panel beside the screen
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is main


async def test_settings_screen_saves_and_applies(citra):
    app = make_app(citra, theme="dark", color_depth="truecolor")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("f2")
        await pilot.pause()
        screen = app.screen
        screen.query_one("#theme", Select).value = "light"
        screen.query_one("#time_format", Select).value = "24h"
        screen.query_one("#low_bandwidth", Select).value = True
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.theme == "light"
        assert app.animation_level == "none"
        assert app.has_class("-low-bandwidth")
    saved = load_settings()
    assert (saved.theme, saved.time_format, saved.low_bandwidth) == ("light", "24h", True)
    assert saved.problems == []


async def test_a_bad_key_in_the_settings_screen_is_named_and_nothing_is_saved(citra):
    app = make_app(citra, theme="dark", color_depth="truecolor")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("f2")
        await pilot.pause()
        field = app.screen.query_one("#key-new_thread")
        field.value = "ctrl+ n!"
        await pilot.press("ctrl+s")
        await pilot.pause()
        error = str(app.screen.query_one("#settings-error").render())
        assert "keys" in error and "new_thread" in error
    assert load_settings().keys == {}


async def test_a_key_override_moves_the_binding(citra):
    app = make_app(citra, theme="dark", color_depth="truecolor", keys={"help": "f1"})
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("f1")
        await pilot.pause()
        assert type(app.screen).__name__ == "HelpScreen"
