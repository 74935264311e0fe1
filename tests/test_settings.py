"""config.toml: every key read, written back with tomli-w, and a bad value named by its
key while the app starts with the default for it. Also how the colour depth is chosen."""

import tomllib

import pytest

from studycircle_tui import config, terminal
from studycircle_tui.config import Settings, load_settings, save_settings


def write(path, text: str):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_no_file_gives_the_defaults():
    settings = load_settings()
    assert settings == Settings()
    assert (settings.theme, settings.color_depth, settings.time_format) == (
        "auto",
        "auto",
        "relative",
    )
    assert settings.problems == []


def test_every_key_is_read(tmp_path):
    path = write(
        tmp_path / "config.toml",
        """
name = "Ayu"
default_circle = "Book Circle"
bell_on_mention = false
theme = "high-contrast"
time_format = "24h"
low_bandwidth = true
color_depth = 16
ascii_borders = true

[keys]
new_thread = "ctrl+n"
help = "f1, question_mark"
""",
    )
    settings = load_settings(path)
    assert settings.problems == []
    assert (settings.name, settings.default_circle, settings.bell_on_mention) == (
        "Ayu",
        "Book Circle",
        False,
    )
    assert (settings.theme, settings.time_format, settings.low_bandwidth) == (
        "high-contrast",
        "24h",
        True,
    )
    assert (settings.color_depth, settings.ascii_borders) == ("16", True)
    assert settings.keys == {"new_thread": "ctrl+n", "help": "f1,question_mark"}


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ('theme = "Dark Blue!"', "theme"),
        ("theme = 3", "theme"),
        ('time_format = "sometimes"', "time_format"),
        ("color_depth = 8", "color_depth"),
        ('color_depth = "lots"', "color_depth"),
        ('low_bandwidth = "yes"', "low_bandwidth"),
        ("ascii_borders = 1", "ascii_borders"),
        ("bell_on_mention = []", "bell_on_mention"),
        ('keys = "ctrl+n"', "keys"),
        ('keys = { new_thread = "ctrl n!" }', "keys"),
        ("name = 42", "name"),
    ],
)
def test_a_bad_value_names_its_key_and_the_default_is_used(tmp_path, line, key):
    path = write(tmp_path / "config.toml", f"{line}\n")
    settings = load_settings(path)
    named = [problem for problem in settings.problems if f"'{key}'" in problem]
    assert len(named) == 1, settings.problems
    assert "using the default" in named[0] and str(path) in named[0]
    assert getattr(settings, key) == getattr(Settings(), key)


def test_unknown_keys_are_reported_and_the_rest_still_read(tmp_path):
    path = write(tmp_path / "config.toml", 'colour = "blue"\ntheme = "light"\n')
    settings = load_settings(path)
    assert settings.theme == "light"
    assert settings.problems == [f"{path}: unknown setting 'colour' ignored"]


def test_a_broken_file_gives_the_defaults_and_says_where(tmp_path):
    path = write(tmp_path / "config.toml", 'theme = "light\n')
    settings = load_settings(path)
    assert settings.theme == "auto"
    assert len(settings.problems) == 1 and str(path) in settings.problems[0]


def test_save_writes_every_key_and_reads_back_the_same():
    settings = Settings(
        name="Budi",
        default_circle="Quiz Club",
        bell_on_mention=False,
        theme="ansi-16",
        time_format="12h",
        low_bandwidth=True,
        color_depth="256",
        ascii_borders=True,
        keys={"new_thread": "ctrl+n"},
    )
    path = save_settings(settings)
    assert path == config.config_file()
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    assert set(raw) == set(config.KEYS)
    assert raw["color_depth"] == 256  # numbers are written as numbers
    assert load_settings() == settings


def test_save_keeps_keys_it_does_not_know(tmp_path):
    path = write(tmp_path / "config.toml", 'from_the_future = "kept"\ntheme = "dark"\n')
    save_settings(Settings(theme="light"), path)
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    assert raw["from_the_future"] == "kept" and raw["theme"] == "light"
    assert not list(tmp_path.glob(".config-*"))  # no temporary file left behind


# --- colour depth ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "depth"),
    [
        ({"TERM": "linux"}, "16"),
        ({"TERM": "xterm-256color"}, "256"),
        ({"TERM": "xterm-256color", "COLORTERM": "truecolor"}, "truecolor"),
        ({"TERM": "xterm-256color", "NO_COLOR": "1"}, "1"),
        ({"TERM": "vt100"}, "16"),
        ({"TEXTUAL_COLOR_SYSTEM": "truecolor", "TERM": "linux"}, "truecolor"),
    ],
)
def test_the_terminal_decides_when_nobody_chose(environ, depth):
    assert terminal.color_choice("auto", environ) == (depth, False)


def test_the_option_beats_the_setting_beats_the_terminal():
    environ = {"TERM": "linux", terminal.ENV_COLOR_DEPTH: "256"}
    assert terminal.color_choice("1", environ) == ("256", True)
    assert terminal.color_choice("1", {"TERM": "linux"}) == ("1", True)


def test_prepare_sets_textuals_environment_from_the_options():
    environ: dict[str, str] = {}
    terminal.prepare(
        color_depth_option="16", low_bandwidth_option=True, ascii_option=True, environ=environ
    )
    assert environ["TEXTUAL_COLOR_SYSTEM"] == "standard"
    assert environ[terminal.ENV_COLOR_DEPTH] == "16"
    assert environ["TEXTUAL_FPS"] == terminal.LOW_BANDWIDTH_FPS
    assert environ["TEXTUAL_ANIMATIONS"] == "none"
    assert environ[terminal.ENV_ASCII] == "1"


def test_prepare_reads_low_bandwidth_from_the_settings():
    save_settings(Settings(low_bandwidth=True))
    environ: dict[str, str] = {}
    terminal.prepare(
        color_depth_option=None, low_bandwidth_option=False, ascii_option=False, environ=environ
    )
    assert environ["TEXTUAL_FPS"] == terminal.LOW_BANDWIDTH_FPS
    assert "TEXTUAL_COLOR_SYSTEM" not in environ
