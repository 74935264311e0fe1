"""No control character from a circle reaches the terminal, even text that bypassed the
schema (ops built as structs, never validated): the TUI draws every string from the
state through tui/visible.py (each control character shown as U+FFFD), and the app's
line filter drops any left over, whatever drew it."""

import re
import sys

from discussion_circle import NOW_MS, build_story, make_app, open_as, text_of
from textual.app import App, ComposeResult
from textual.widgets import Static

from ptyterm import PtyApp, app_env
from studycircle_tui.core import hlc, ops
from studycircle_tui.core.ids import ulid
from studycircle_tui.core.quizscore import Bar
from studycircle_tui.tui.visible import ControlFilter, visible, visible_line
from studycircle_tui.tui.widgets.quiz_views import BarChart

ESCAPES = "\x1b]0;owned\x07\x1b[2J\x9b31m\x7f"
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def test_visible_keeps_layout_and_shows_each_control_character():
    assert visible("a\tb\r\nc\x1b[2Jd\x9be") == "a   b\nc\ufffd[2Jd\ufffde"
    assert visible_line("Budi\n\u202eadmin\x1b") == "Budi\ufffd\ufffdadmin\ufffd"
    # Scripts, marks and emoji are text, not controls.
    assert visible_line("سارة\u200f · דוד · Dewi 👩🏽‍💻") == "سارة\u200f · דוד · Dewi 👩🏽‍💻"


def test_the_line_filter_drops_control_characters_but_not_control_segments():
    from rich.segment import Segment
    from textual.color import Color

    segments = [Segment("ab\x1bc\x9b"), Segment("\x1b[?25l", None, [(1,)])]  # type: ignore[list-item]
    filtered = ControlFilter().apply(segments, Color(0, 0, 0))
    assert filtered[0].text == "abc" and filtered[1] is segments[1]


class ChartApp(App[None]):
    def compose(self) -> ComposeResult:
        yield BarChart()


async def test_a_typed_answer_in_the_reveal_chart_shows_no_escape():
    """Issue 12's report: a player's short answer ESC ] 0 ; ... became a bar label."""
    app = ChartApp()
    async with app.run_test(size=(80, 10)) as pilot:
        chart = app.query_one(BarChart)
        # "a [x" too: Textual's own escape missed it, and the chart's markup then failed.
        chart.show([Bar(f"Jakarta{ESCAPES}", 2, True), Bar("a [x", 1)])
        await pilot.pause()
        screen = app.export_screenshot()
    assert not CONTROL.search(screen)
    assert "Jakarta\ufffd]0;owned\ufffd" in screen  # shown, not hidden
    assert "a&#160;[x" in screen


def _bypassing(story, actor: str, op_type: type, minutes: int, data) -> ops.Op:
    """An op as a struct, never validated: what no transport or form can produce now."""
    ms = NOW_MS - minutes * 60_000
    return op_type(
        v=1,
        id=ulid(ms, minutes.to_bytes(10, "big")),
        circle=story.circle_id,
        actor=actor,
        hlc=hlc.encode(ms, 0),
        data=data,
    )


def _intruder(story, channel: str, name_end: str = "") -> tuple[ops.Op, ops.Op]:
    """Someone joining under a name full of escapes, and their thread, full of them too."""
    intruder = ulid(NOW_MS - 10**6, b"intruder!!")
    name = ops.MemberJoinData(f"Eve{ESCAPES}{name_end}")
    thread = ops.ThreadCreateData(channel, f"Hello{ESCAPES}", "discussion", f"Body{ESCAPES}")
    join = _bypassing(story, intruder, ops.MemberJoin, 3, name)
    return join, _bypassing(story, intruder, ops.ThreadCreate, 2, thread)


async def test_names_titles_posts_and_notices_that_bypassed_the_schema(tmp_path):
    story = build_story(tmp_path)
    ana = open_as(story, "Ana", tmp_path)
    general = next(c.id for c in ana.state.channels.values() if c.name == "general")
    join, thread = _intruder(story, general, name_end="\n")
    ana.store.add_ops(story.circle_id, [join, thread])  # as if they had arrived
    assert ana.replica.add([join, thread]).applied  # folded: the state holds them
    assert text_of(ana, thread.id) == f"Body{ESCAPES}"  # read once: the view has it at hand

    app = make_app(ana)
    async with app.run_test(size=(110, 30)) as pilot:
        app.main_screen.open_thread(thread.id)
        # Drawn by a widget that does not route its text: the line filter's to catch.
        await app.screen.mount(Static(f"raw{ESCAPES}", markup=False))
        await pilot.pause()
        screen = app.export_screenshot()
    assert not CONTROL.search(screen)
    for shown in ("Eve\ufffd]0;owned\ufffd", "Hello\ufffd]0;owned", "Body\ufffd]0;owned"):
        assert shown in screen, shown
    assert "raw]0;owned[2J31m" in screen  # its control characters dropped, not drawn


def test_a_circle_file_from_before_the_rules_reaches_a_real_terminal_without_escapes(tmp_path):
    """End to end, through a pseudo-terminal: a circle file holding lines written before
    control characters were refused (a display name and a thread with real escape
    sequences). The app reads them with U+FFFD in place, and the bytes it writes to the
    terminal carry none of the lines' escapes."""
    story = build_story(tmp_path)
    lines = story.path.read_bytes().splitlines()
    general = next(
        op.data.channel for op in map(ops.decode_op, lines) if op.type == "thread.create"
    )
    join, thread = _intruder(story, general)
    with story.path.open("ab") as circle_file:
        circle_file.write(ops.encode_op(join) + b"\n" + ops.encode_op(thread) + b"\n")

    argv = [sys.executable, "-m", "studycircle_tui.cli", "open", str(story.path), "--name", "R"]
    app = PtyApp(argv, app_env(tmp_path / "home"), size=(100, 30))
    try:
        assert app.wait_for("# general"), app.text()
        app.press(b"\r")  # open #general: its newest thread is the one from before
        assert app.wait_for("Hello\ufffd]0;owned"), app.text()
        app.press(b"\r")  # open it: its author's name and its text
        assert app.wait_for("Body\ufffd]0;owned"), app.text()
        assert "Eve\ufffd]0;owned" in app.text()
        assert app.process.poll() is None
    finally:
        app.close()
    assert b"\x1b]0;owned" not in app.raw and b"owned\x07" not in app.raw
    assert "\x9b".encode() not in app.raw and b"\x1b[2J\xef\xbf\xbd" not in app.raw
