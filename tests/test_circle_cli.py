"""A lead sets up a circle from nothing on the command line: ``studycircle new`` starts it
with #general, ``circle set`` gives it a goal and rules, ``channel …`` shapes its
channels; each change is an op every member receives, checked by the circle's rules."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from studycircle_tui import config
from studycircle_tui.cli import main
from studycircle_tui.store.db import Store
from studycircle_tui.sync.circles import open_file_circle


def studycircle(home: Path, *argv: str, stdin: str = "") -> subprocess.CompletedProcess:
    """The real command in its own process, for the person whose home is ``home``."""
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
    }
    return subprocess.run(
        [sys.executable, "-m", "studycircle_tui.cli", *argv],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_a_lead_sets_up_a_circle_from_nothing_and_a_member_sees_it(tmp_path):
    lead, member = tmp_path / "lead", tmp_path / "member"
    circle = tmp_path / "bio.jsonl"
    made = studycircle(lead, "new", "Biology 101", "--file", str(circle), "--no-open")
    assert made.returncode == 0, made.stderr
    assert "channels: #general" in made.stdout

    rules = tmp_path / "rules.md"
    rules.write_text("Be kind.\nCite your sources.\n", encoding="utf-8")
    steps = [
        ["circle", "set", "--goal", "Pass the final together", "--rules-file", str(rules)],
        ["channel", "add", "week-1", "--goal", "Cells"],
        ["channel", "rename", "week-1", "cells"],
        ["channel", "goal", "#cells", "Cells and membranes"],
        ["channel", "add", "off-topic"],
        ["channel", "archive", "off-topic"],
    ]
    for step in steps:
        done = studycircle(lead, *step, "--circle", "Biology 101")
        assert done.returncode == 0 and done.stderr == "", (step, done.stderr)

    # Another person, their own store, opening the same file: all of it is there.
    service = open_file_circle(Store(tmp_path / "member.sqlite3"), circle, "Ayu")
    state = service.state
    assert (state.goal, state.rules) == ("Pass the final together", rules.read_text().strip())
    assert state.rules_version == 1
    channels = {c.name: (c.goal, c.archived) for c in state.channels.values()}
    assert channels == {
        "general": ("", False),
        "cells": ("Cells and membranes", False),
        "off-topic": ("", True),
    }
    # A member may not change the circle: the circle's own rule says so, in one line.
    open_file_circle(Store(member / ".local/share/studycircle/replica.sqlite3"), circle, "Budi")
    refused = studycircle(member, "circle", "set", "--goal", "Mine now")
    assert refused.returncode == 1
    assert refused.stderr == "studycircle: not done: only the circle's lead may do this\n"


@pytest.fixture
def lead_circle(tmp_path):
    assert main(["new", "Club", "--file", str(tmp_path / "club.jsonl"), "--no-open"]) == 0
    return tmp_path / "club.jsonl"


def state_now():
    from studycircle_tui.sync.circles import open_service

    store = Store(config.store_file())
    return open_service(store, store.circles()[0]).state


def test_new_starts_with_general_or_the_channels_named(tmp_path, capsys):
    assert main(["new", "A", "--file", str(tmp_path / "a.jsonl"), "--no-open"]) == 0
    assert [c.name for c in state_now().channels.values()] == ["general"]
    assert "(channels: #general)" in capsys.readouterr().out
    path = tmp_path / "b.jsonl"
    channels = ["--channel", "#intro", "--channel", "week 1"]
    assert main(["new", "B", "--file", str(path), *channels, "--no-open"]) == 0
    service = open_file_circle(Store(tmp_path / "other.sqlite3"), path, "Ayu")
    assert [c.name for c in service.state.channels.values()] == ["intro", "week 1"]


def test_a_hosted_circle_starts_with_general_too(tmp_path, capsys):
    data = tmp_path / "server"
    assert main(["server", "create-circle", "Biology 101", "--data", str(data)]) == 0
    assert "(channels: #general)" in capsys.readouterr().out


def test_the_rules_change_is_shown_to_every_member_once_more(lead_circle, tmp_path):
    assert main(["circle", "set", "--rules", "Be kind."]) == 0
    member = open_file_circle(Store(tmp_path / "m.sqlite3"), lead_circle, "Ayu")
    member.submit("rules.accept", {"version": 1})
    assert main(["circle", "set", "--rules", "Be kind. No spoilers."]) == 0
    import asyncio

    asyncio.run(member.sync_once())
    assert member.state.rules_version == 2
    assert member.state.members[member.me].rules_accepted == 1  # asked to accept again


def test_circle_show_prints_goal_rules_and_channels(lead_circle, capsys):
    assert main(["circle", "set", "--goal", "Read together", "--rules", "One\nTwo"]) == 0
    assert main(["channel", "add", "books", "--goal", "What we read"]) == 0
    capsys.readouterr()
    assert main(["circle", "show"]) == 0
    out = capsys.readouterr().out
    for line in ["goal: Read together", "rules (version 1):", "  One", "  Two", "  #general"]:
        assert line in out.splitlines(), out
    assert "  #books  What we read" in out.splitlines()


def test_rules_from_stdin(lead_circle, monkeypatch):
    import io

    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO("Sé amable 🙂\n".encode())))
    assert main(["circle", "set", "--rules-file", "-"]) == 0
    assert state_now().rules == "Sé amable 🙂"


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["circle", "set"], "nothing to change: say --name, --goal, --rules or --rules-file"),
        (["circle", "set", "--name", "  "], "the circle's name is only spaces"),
        (["circle", "set", "--goal", "x" * 501], "the circle's goal is 501 characters long"),
        (["circle", "set", "--rules-file", "missing.md"], "missing.md: cannot read it"),
        (["channel", "add", "general"], "'Club' already has a #general"),
        (["channel", "add", "x" * 81], "the channel's name is 81 characters long"),
        (["channel", "add", "a\x1b[2Jb"], "must be one line of plain text"),
        (["channel", "rename", "nope", "new"], "no channel 'nope' in 'Club'"),
        (["channel", "archive", "general"], "#general is the last open channel of 'Club'"),
        (["channel", "unarchive", "general"], "no archived channel 'general'"),
        (["channel", "list", "--circle", "Other"], "no circle named 'Other' (yours: Club)"),
    ],
)
def test_each_mistake_is_one_line_and_changes_nothing(lead_circle, capsys, argv, says):
    before = lead_circle.read_bytes()
    capsys.readouterr()
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("studycircle: ") and says in err, err
    assert lead_circle.read_bytes() == before


def test_a_renamed_channel_may_not_take_another_s_name(lead_circle, capsys):
    assert main(["channel", "add", "books"]) == 0
    assert main(["channel", "archive", "books"]) == 0
    capsys.readouterr()
    assert main(["channel", "rename", "general", "Books"]) == 1
    assert "it is archived (studycircle channel unarchive books)" in capsys.readouterr().err
    assert main(["channel", "unarchive", "books"]) == 0
    assert not next(c for c in state_now().channels.values() if c.name == "books").archived
