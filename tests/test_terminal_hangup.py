"""The real app, in a real terminal (a pty), ends when its terminal goes away, and keeps
the draft being typed.

Found in use: `tmux kill-session` on a session running `make run` left the app alive,
an orphan spinning on a third of a core for hours. The kernel hangs up the terminal and
sends SIGHUP to the session leader only (here `make`, which waits for its child), and
Textual's driver, reading the hung-up terminal, got end-of-file over and over and took
no notice. When the app is the session leader itself, SIGHUP killed it, draft and all.
"""

import os
import signal
import sys

import pytest

from ptyterm import PtyApp, app_env
from studycircle_tui.store.db import Store

STUDYCIRCLE = [sys.executable, "-m", "studycircle_tui.cli"]
# What `make run` is to the app: the terminal's session leader, which outlives a SIGHUP
# (make waits for its child) and passes none on.
LIKE_MAKE = [
    sys.executable,
    "-c",
    "import signal, subprocess, sys\n"
    "signal.signal(signal.SIGHUP, lambda *_: None)\n"
    "sys.exit(subprocess.call(sys.argv[1:]))\n",
]
DRAFT = "setengah pikiran ☕"


@pytest.mark.parametrize("how", ["closed under make", "closed", "SIGHUP", "SIGTERM"])
def test_the_app_ends_when_its_terminal_goes_and_keeps_the_draft(tmp_path, how):
    home = tmp_path / "home"
    argv = [*LIKE_MAKE, *STUDYCIRCLE] if how == "closed under make" else STUDYCIRCLE
    app = PtyApp(argv, app_env(home), size=(100, 30))
    try:
        assert app.wait_for("Python Club Demo"), app.text()
        app.settle(quiet=0.5)
        app.press(b"n")  # the next unread thread
        assert app.wait_for("Reply"), app.text()
        app.press(b"r")
        app.settle(quiet=0.5)
        app.press(DRAFT.encode())
        assert app.wait_for(DRAFT), app.text()
        signum = getattr(signal, how, None)
        if signum is not None:  # the terminal stays: what it shows after is checked too
            os.kill(app.process.pid, signum)
        else:
            app.hang_up()
        assert app.process.wait(60) == 0  # ended, by itself and cleanly
        if signum is not None:
            app.settle(quiet=0.2)
            assert b"Traceback" not in app.raw
        if signum == signal.SIGTERM:  # `kill`, a shutdown: the terminal is given back
            assert app.raw.rindex(b"\x1b[?1049l") > app.raw.rindex(b"\x1b[?1049h")
    finally:
        app.close()
    store = Store(home / ".local" / "share" / "studycircle" / "replica.sqlite3")
    [circle] = store.circles()
    assert DRAFT in store.drafts(circle.id, circle.member_id).values()
