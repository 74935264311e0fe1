"""Every command, given bad values, answers with one line that says what is wrong (in the
words of the person who typed it, never a schema's ``$.data.name``) and a non-zero exit
code; never a traceback, and nothing made."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from studycircle_tui.cli import main
from studycircle_tui.store.db import Store
from studycircle_tui.sync.circles import create_file_circle

LONG = "x" * 300


@pytest.fixture
def place(tmp_path, isolated_home):
    """A folder with a circle file this user has not joined yet, a quiz and a note."""
    someone = Store(tmp_path / "someone-else.sqlite3")
    create_file_circle(someone, tmp_path / "theirs.jsonl", "Theirs", "Sam")
    (tmp_path / "quiz.gift").write_text("Two? {=2 ~3}\n", encoding="utf-8")
    (tmp_path / "note.md").write_text("# A note\n", encoding="utf-8")
    (tmp_path / "plain.txt").write_text("hello\n", encoding="utf-8")
    return tmp_path


# (command line, with {d} for the test's folder; what the one line must say)
CASES = [
    (["new", "", "--file", "{d}/c.jsonl"], "the circle's name is empty"),
    (["new", "   ", "--file", "{d}/c.jsonl"], "the circle's name is only spaces"),
    (["new", LONG, "--file", "{d}/c.jsonl"], "the circle's name is 300 characters long"),
    (["new", "Bio\x1b[2J", "--file", "{d}/c.jsonl"], "must be one line of plain text"),
    (["new", "Bio", "--file", "{d}/c.jsonl", "--name", " "], "your name (--name) is only"),
    (["new", "Bio", "--file", "{d}/c.jsonl", "--channel", ""], "a channel's name is empty"),
    (["new", "Bio", "--file", "{d}/no/c.jsonl"], "no such folder"),
    (["new", "Bio", "--file", "{d}/theirs.jsonl"], "not overwriting"),
    (["new", "Bio"], "the following arguments are required: --file"),
    (["open", "{d}/theirs.jsonl", "--name", "y" * 200], "your name (--name) is 200 characters"),
    (["open", "{d}/theirs.jsonl", "--name", "  "], "your name (--name) is only spaces"),
    (["open", "{d}/missing.jsonl"], "no such circle file"),
    (["open", "Biology 101"], "no such circle file, and no circle of yours by that name"),
    (["open", "{d}/plain.txt"], "not a circle file"),
    (["join", "ftp://x", "CODE", "--name", "Ayu"], "not a server address"),
    (["join", "http://127.0.0.1:9", "CODE", "--name", "  "], "a display name must be"),
    (["join", "http://127.0.0.1:9", "CODE", "--name", LONG], "a display name must be"),
    (
        ["join", "http://127.0.0.1:9", "CODE", "--name", "Ayu"],
        "is not running (it refused the connection)",
    ),
    (["locate", "extra"], "unrecognized arguments: extra"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
    (["--color-depth", "7"], "invalid choice: '7'"),
    (["quiz", "check", "{d}/missing.gift"], "cannot read it"),
    (["quiz", "check", "{d}/plain.txt"], "cannot tell its format"),
    (["quiz", "export", "{d}/quiz.gift", "--format", "pdf"], "invalid choice: 'pdf'"),
    (["quiz", "import", "{d}/quiz.gift"], "required: --channel"),
    (["quiz", "import", "{d}/quiz.gift", "--channel", "general"], "no circle yet"),
    (["notes", "import", "{d}/missing.md"], "cannot read it"),
    (["notes", "import", "{d}/note.md", "--title", "  "], "the note needs a title"),
    (["notes", "export", "--out", "{d}/plain.txt"], "no circle yet"),
    (["notes"], "the following arguments are required"),
    (["circle", "set", "--goal", "x" * 600], "the circle's goal is 600 characters long"),
    (["circle", "set", "--name", ""], "the circle's name is empty"),
    (["circle", "show"], "no circle yet"),
    (["channel", "add", ""], "the channel's name is empty"),
    (["channel", "rename", "a", "  "], "the channel's new name is only spaces"),
    (["channel", "archive", "general"], "no circle yet"),
    (["serve", "--port", "99999"], "--port must be a number from 0 to 65535"),
    (["serve", "--workers", "0"], "--workers must be a number from 1 to 64"),
    (["server", "create-circle", "", "--data", "{d}/srv"], "a circle's name must be"),
    (["server", "invite", "Nope", "--data", "{d}/srv"], "Nope"),
    (["server", "invite", "Nope", "--uses", "-1", "--data", "{d}/srv"], "--uses"),
    (["server", "members", "Nope", "--data", "{d}/srv"], "Nope"),
    (["server", "revoke", "--data", "{d}/srv"], "give the circle and the member"),
    (["ssh-serve", "--circle", "{d}/missing.jsonl"], "no such circle file"),
    (["ssh-serve", "--circle", "{d}/theirs.jsonl", "--port", "99999"], "from 0 to 65535"),
    (["web", "--port", "70000"], "must be a number from 0 to 65535"),
    (["web", "--public-url", "example.org"], "--public-url must be an address like"),
    (["web", "--circle", "{d}/missing.jsonl"], "no such circle file"),
]


def ids(case) -> str:
    argv = [word if len(word) < 20 else f"{word[:8]}…({len(word)})" for word in case[0]]
    return " ".join(argv).replace("{d}/", "")


@pytest.mark.parametrize(("argv", "says"), CASES, ids=[ids(case) for case in CASES])
def test_a_bad_value_is_one_line_and_a_non_zero_exit(place, capsys, argv, says):
    before = made_in(place)
    try:
        code = main([word.replace("{d}", str(place)) for word in argv])
    except SystemExit as exit_:  # argparse's own refusals end this way
        code = exit_.code
    out, err = capsys.readouterr()
    assert code not in (0, None), (out, err)
    assert err.count("\n") == 1 and err.startswith("studycircle"), err
    assert says in err, err
    assert "Traceback" not in out + err and "$.data" not in err
    made = made_in(place)
    assert made in (before, sorted([*before, "srv"])), made  # a server's empty data folder


def made_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("someone-else"))


def run(home: Path, *argv: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "HOME": str(home), "XDG_DATA_HOME": str(home / "data")}
    return subprocess.run(
        [sys.executable, "-m", "studycircle_tui.cli", *argv],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
    )


def test_the_names_that_ended_in_tracebacks_in_a_real_process(place):
    """The issue's own cases, as a person typed them: one line each, no traceback."""
    for argv, says in [
        (["new", "", "--file", f"{place}/a.jsonl"], "studycircle: the circle's name is empty\n"),
        (
            ["new", LONG, "--file", f"{place}/a.jsonl"],
            "studycircle: the circle's name is 300 characters long: it can be at most 80\n",
        ),
        (
            ["open", f"{place}/theirs.jsonl", "--name", "y" * 200],
            "studycircle: your name (--name) is 200 characters long: it can be at most 80\n",
        ),
        (
            ["new", "   ", "--file", f"{place}/a.jsonl"],
            "studycircle: the circle's name is only spaces\n",
        ),
    ]:
        done = run(place / "home", *argv)
        assert (done.returncode, done.stdout, done.stderr) == (1, "", says)
    assert not (place / "a.jsonl").exists()
