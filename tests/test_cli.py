"""The `studycircle` command: every subcommand, its help, and one-line errors."""

import os
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from studycircle_tui.cli import main
from studycircle_tui.store.db import Store
from studycircle_tui.sync.circles import create_demo_circle

STUDYCIRCLE = [sys.executable, "-m", "studycircle_tui.cli"]
COMMANDS = [
    ["open"],
    ["new"],
    ["locate"],
    ["join"],
    ["serve"],
    ["server", "create-circle"],
    ["server", "invite"],
    ["quiz", "check"],
    ["quiz", "export"],
    ["quiz", "import"],
    ["notes", "export"],
    ["notes", "import"],
    ["ssh-serve"],
    ["web"],
]


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.startswith("studycircle 0.")


@pytest.mark.parametrize("command", [[], *COMMANDS], ids=lambda c: " ".join(c) or "studycircle")
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([*command, "--help"])
    assert exit_.value.code == 0
    assert "usage: studycircle" in capsys.readouterr().out


def test_locate_prints_the_three_places(capsys, isolated_home):
    assert main(["locate"]) == 0
    out = capsys.readouterr().out
    assert "config:" in out and "config.toml" in out
    assert "data:" in out and str(isolated_home) in out
    assert "themes:" in out
    assert "log:" in out and "sync.log" in out


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda tmp: tmp / "missing.jsonl", "no such circle file"),
        (lambda tmp: tmp, "is a folder"),
        (lambda tmp: _write(tmp / "notes.txt", b"hello\n"), "not a circle file"),
        (lambda tmp: _write(tmp / "bin.jsonl", b"\xff\xfe\x00garbage"), "not a circle file"),
    ],
)
def test_open_bad_paths_print_one_line(tmp_path, capsys, make, expected):
    assert main(["open", str(make(tmp_path))]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("studycircle: ") and expected in err[0]


def _write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


def test_unreadable_file_prints_one_line(tmp_path, capsys):
    if os.geteuid() == 0:
        # root reads anything; a folder where a file should be is the unreadable case left
        path = tmp_path / "dir.jsonl"
        path.mkdir()
    else:
        path = _write(tmp_path / "locked.jsonl", b"{}\n")
        path.chmod(0)
    assert main(["open", str(path)]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_new_creates_a_circle_file_and_refuses_to_overwrite(tmp_path, capsys):
    path = tmp_path / "club.jsonl"
    assert main(["new", "Book Circle", "--file", str(path), "--no-open", "--name", "Ayu"]) == 0
    assert b'"name":"Book Circle"' in path.read_bytes()
    before = path.read_bytes()
    assert main(["new", "Again", "--file", str(path), "--no-open"]) == 2
    assert "not overwriting" in capsys.readouterr().err
    assert path.read_bytes() == before


def test_new_in_a_missing_folder_says_so(tmp_path, capsys):
    assert main(["new", "X", "--file", str(tmp_path / "no" / "c.jsonl"), "--no-open"]) == 2
    assert "no such folder" in capsys.readouterr().err


def test_demo_circle_is_a_living_group(tmp_path):
    service = create_demo_circle(Store(tmp_path / "r.sqlite3"), tmp_path / "demo.jsonl", "Me")
    state = service.state
    assert len(state.channels) >= 3
    kinds = {thread.kind for thread in state.threads.values()}
    assert kinds == {"question", "discussion"}
    assert any(thread.accepted_post for thread in state.threads.values())
    assert state.notes and state.quizzes
    assert state.role_of(service.me) == "lead"
    assert all(len(thread.post_ids) >= 1 for thread in state.threads.values())


def test_first_run_opens_the_app_on_the_demo_circle(isolated_home):
    """The real console script in a real terminal (a pty): the screen shows the demo."""
    import pty

    leader, follower = pty.openpty()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "100", "LINES": "30"}
    script = Path(sys.executable).with_name("studycircle")
    app = subprocess.Popen([str(script)], stdin=follower, stdout=follower, stderr=follower, env=env)
    os.close(follower)
    seen = b""
    deadline = time.monotonic() + 60
    try:
        while b"Python Club Demo" not in seen and time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 0.5)
            if ready:
                seen += os.read(leader, 65536)
        assert b"Python Club Demo" in seen
        assert b"general" in seen
        os.write(leader, b"\x11")  # ctrl+q
        assert app.wait(timeout=20) == 0
    finally:
        if app.poll() is None:
            app.kill()
        os.close(leader)
    assert (isolated_home / ".local" / "share" / "studycircle" / "demo-circle.jsonl").exists()


def test_open_by_a_circle_s_name_opens_it(tmp_path, isolated_home):
    """`studycircle open "Biology 101"` said "no such circle file": a circle of yours
    opens by its name (any case) or id, in the real app, in a real terminal."""
    from ptyterm import PtyApp, app_env

    env = app_env(isolated_home)
    for name, file in (("Biology 101", "bio.jsonl"), ("Chemistry", "chem.jsonl")):
        made = subprocess.run(
            [*STUDYCIRCLE, "new", name, "--file", str(tmp_path / file), "--no-open"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert made.returncode == 0, made.stderr
    app = PtyApp([*STUDYCIRCLE, "open", "biology 101"], env)
    try:
        assert app.wait_for("Biology 101 ·"), app.text()
        assert "Chemistry" not in app.text()
    finally:
        app.close()


def test_the_default_name_is_the_login_name_even_with_no_user_variable(tmp_path, isolated_home):
    """With no $USER (a service, a container, env -i), members were all called "Me"."""
    import json
    import pwd

    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("USER", "LOGNAME", "USERNAME", "STUDYCIRCLE_NAME")
    }
    path = tmp_path / "club.jsonl"
    made = subprocess.run(
        [*STUDYCIRCLE, "new", "Club", "--file", str(path), "--no-open"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    created = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
    login = pwd.getpwuid(os.getuid()).pw_name
    assert created["data"]["lead_name"] == login.capitalize() != "Me"
