"""The global display options and the `ssh-serve` and `web` commands on the command line."""

import os

import pytest

from studycircle_tui import terminal
from studycircle_tui.cli import main

TOUCHED = (
    terminal.ENV_COLOR_DEPTH,
    terminal.ENV_LOW_BANDWIDTH,
    terminal.ENV_ASCII,
    "TEXTUAL_COLOR_SYSTEM",
    "TEXTUAL_FPS",
    "TEXTUAL_ANIMATIONS",
)


@pytest.fixture(autouse=True)
def restore_environment(monkeypatch):
    for variable in TOUCHED:  # main() sets them for the app it starts; undo afterwards
        monkeypatch.delenv(variable, raising=False)
    yield
    # monkeypatch undoes only its own changes: a variable that was absent and that main()
    # then set would otherwise leak into every later test (16 colours in snapshots).
    for variable in TOUCHED:
        os.environ.pop(variable, None)


@pytest.mark.parametrize("command", ["ssh-serve", "web"])
def test_the_commands_have_help(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"])
    assert exit_.value.code == 0
    assert f"usage: studycircle {command}" in capsys.readouterr().out


def test_color_depth_is_a_global_option(capsys):
    assert main(["--color-depth", "16", "--low-bandwidth", "--ascii", "locate"]) == 0
    assert os.environ[terminal.ENV_COLOR_DEPTH] == "16"
    assert os.environ["TEXTUAL_COLOR_SYSTEM"] == "standard"
    assert os.environ[terminal.ENV_LOW_BANDWIDTH] == "1"
    assert os.environ[terminal.ENV_ASCII] == "1"


def test_a_colour_depth_that_does_not_exist_is_refused(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--color-depth", "8", "locate"])
    assert exit_.value.code == 2
    assert "--color-depth" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["ssh-serve", "web"])
def test_a_missing_circle_is_one_line(command, tmp_path, capsys):
    assert main([command, "--circle", str(tmp_path / "nope.jsonl")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("studycircle: ") and "no such circle" in err[0]
