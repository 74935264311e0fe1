"""Theme files: the bundled ones all load; a user's own is added (and wins over a
bundled one of the same name); a bad file is named with its problem, skipped, and the
app starts with its default theme."""

import pytest
from discussion_circle import build_story, open_as
from textual.theme import Theme
from toasts import toasts

from studycircle_tui import config
from studycircle_tui.config import Settings
from studycircle_tui.themes import bundled_themes_dir
from studycircle_tui.tui.app import StudyCircleApp
from studycircle_tui.tui.theme_loader import ThemeError, load_themes, parse_theme, read_theme

BUNDLED = {"dark", "light", "high-contrast", "ansi-16", "monochrome"}
GOOD = """
name = "dusk"
description = "Purple evening"
primary = "#8A7FE0"
background = "#1E1B2E"
[variables]
block-cursor-text-style = "bold"
unread = "#FFB86C"
"""


def user_theme(name: str, text: str):
    folder = config.user_themes_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_every_bundled_theme_loads_and_textual_can_use_it():
    themes, problems = load_themes(None)
    assert problems == []
    assert set(themes) >= BUNDLED
    for info in themes.values():
        assert isinstance(info.theme, Theme) and info.bundled and info.description
    assert len(list(bundled_themes_dir().glob("*.toml"))) >= 5


def test_a_users_theme_is_added_and_wins_over_a_bundled_one():
    user_theme("dusk.toml", GOOD)
    user_theme("light.toml", 'primary = "#000000"\ndark = false\ndescription = "mine"\n')
    themes, problems = load_themes(config.user_themes_dir())
    assert problems == []
    assert themes["dusk"].description == "Purple evening" and not themes["dusk"].bundled
    assert themes["light"].description == "mine" and not themes["light"].bundled


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('primary = "#12345"', "'primary' is not a colour"),
        ('primary = "#123456"\nbackground = "blue-ish"', "'background' is not a colour"),
        ('background = "#000000"', "'primary' is missing"),
        ('primary = "#123456"\ndark = "yes"', "'dark' should be true or false"),
        ('primary = "#123456"\ntext_alpha = 3', "'text_alpha' should be a number from 0 to 1"),
        ('primary = "#123456"\nname = "My Theme"', "'name' should be lower-case"),
        ('primary = "#123456"\nprimery = "#000000"', "unknown key 'primery'"),
        ('primary = "#123456"\n[variables]\nborder = "nope"', "'variables.border'"),
        ('primary = "#123456"\n[variables]\nfoo-text-style = "loud"', "text style"),
        ('primary = "#123456', "not valid TOML"),
    ],
)
def test_a_bad_theme_names_the_file_and_the_problem(tmp_path, text, problem):
    path = tmp_path / "broken.toml"
    with pytest.raises(ThemeError) as error:
        parse_theme(path, text)
    assert "broken.toml" in str(error.value) and problem in str(error.value)


def test_a_theme_that_is_not_text_is_refused(tmp_path):
    path = tmp_path / "binary.toml"
    path.write_bytes(b"\xff\xfe\x00\x01")
    with pytest.raises(ThemeError, match="not UTF-8"):
        read_theme(path)


@pytest.fixture
def citra(tmp_path_factory):
    story = build_story(tmp_path_factory.mktemp("story"))
    return open_as(story, "Citra", tmp_path_factory.mktemp("citra"))


@pytest.fixture(autouse=True)
def plain_terminal(monkeypatch):
    for variable in ("NO_COLOR", "STUDYCIRCLE_COLOR_DEPTH", "STUDYCIRCLE_ASCII"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")


async def test_the_app_starts_with_the_default_when_the_chosen_theme_file_is_bad(citra):
    user_theme("mine.toml", 'name = "mine"\nprimary = "not a colour"\n')
    user_theme("dusk.toml", GOOD)
    settings = Settings(name="Citra", theme="mine", color_depth="truecolor")
    app = StudyCircleApp(citra, sync=False, settings=settings)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await pilot.pause()
        assert app.theme == "dark"
        assert "dusk" in app.available_themes  # the good file next to it still loads
        messages = toasts(app)
        assert any("mine.toml" in text and "'primary' is not a colour" in text for text in messages)
        assert any("theme 'mine' not found" in text and "using 'dark'" in text for text in messages)
