"""Sending only changed cells (``changed_cells.py``, in every mode) sends less and shows
exactly the same screen; and a slow link is noticed, and low-bandwidth mode offered.

Each check feeds two terminal emulators (pyte): one with what Textual itself would send,
one with what the shadow screen sends instead, and compares every cell: character,
colours, bold and reverse.
"""

import io
import random
import sys
import time

import pyte
import pytest
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from textual.geometry import Region
from textual.strip import Strip

from ptyterm import PtyApp, app_env, cells
from studycircle_tui.tui.changed_cells import ShadowScreen
from studycircle_tui.tui.compat import ChopsUpdate, LayoutUpdate, screen_update

WIDTH, HEIGHT = 40, 12
STYLES = [
    None,
    Style(color="red"),
    Style(color="#336699", bgcolor="#202020"),
    Style(bold=True),
    Style(reverse=True, color="yellow"),
    Style(bgcolor="blue", italic=True),
]
CHARS = "abcdefghij  ─│▌é字🙂"


def emulator() -> tuple[pyte.Screen, pyte.ByteStream]:
    screen = pyte.Screen(WIDTH, HEIGHT)
    return screen, pyte.ByteStream(screen)


def random_row(rng: random.Random, width: int) -> list[Segment]:
    segments, used = [], 0
    while used < width:
        style = rng.choice(STYLES)
        text = ""
        for _ in range(rng.randint(1, 8)):
            char = rng.choice(CHARS)
            size = 2 if char in "字🙂" else 1
            if used + size > width:
                break
            text += char
            used += size
        if not text:
            text, used = " " * (width - used), width
        segments.append(Segment(text, style))
    return segments


def full_update(rows: list[list[Segment]]) -> LayoutUpdate:
    return LayoutUpdate([[Strip(row)] for row in rows], Region(0, 0, WIDTH, len(rows)))


def chops_update(changes: dict[int, tuple[int, list[Segment]]]) -> ChopsUpdate:
    chops: list[dict[int, Strip | None]] = [{} for _ in range(HEIGHT)]
    ends: list[list[int]] = [[] for _ in range(HEIGHT)]
    spans = []
    for y, (x, segments) in sorted(changes.items()):
        strip = Strip(segments)
        chops[y][x] = strip
        ends[y].append(x + strip.cell_length)
        spans.append((y, x, x + strip.cell_length))
    return ChopsUpdate(chops, spans, ends)


@pytest.mark.parametrize("seed", range(8))
def test_the_shadow_screen_draws_what_textual_draws(seed):
    rng = random.Random(seed)
    console = Console(color_system="256", force_terminal=True, file=io.StringIO())
    reference, reference_stream = emulator()
    shadowed, shadow_stream = emulator()
    shadow = ShadowScreen()
    shadow.resize(WIDTH, HEIGHT)
    rows = [random_row(rng, WIDTH) for _ in range(HEIGHT)]
    updates = [full_update(rows)]
    for _ in range(30):
        kind = rng.choice(["scroll", "scroll", "partial", "same", "full"])
        if kind == "scroll":  # a block of full-width rows moves, new ones come in
            top, shift = rng.randint(0, 3), rng.choice([1, 2, 3, -1, -2])
            bottom = HEIGHT - rng.randint(1, 3)
            block = rows[top:bottom]
            fresh = [random_row(rng, WIDTH) for _ in range(abs(shift))]
            block = block[shift:] + fresh if shift > 0 else fresh + block[:shift]
            rows[top:bottom] = block
            updates.append(chops_update({y: (0, rows[y]) for y in range(top, bottom)}))
        elif kind == "partial":  # a few cells of a few rows change
            changes = {}
            for y in rng.sample(range(HEIGHT), 3):
                x = rng.randint(0, WIDTH - 10)
                changes[y] = (x, random_row(rng, rng.randint(3, WIDTH - x)))
            updates.append(chops_update(changes))
        elif kind == "same":  # a widget redrawn with nothing new in it
            updates.append(chops_update({y: (0, rows[y]) for y in range(HEIGHT)}))
        else:
            rows = [random_row(rng, WIDTH) for _ in range(HEIGHT)]
            updates.append(full_update(rows))
    sent_plain = sent_shadow = 0
    for update in updates:
        plain = update.render_segments(console)
        reference_stream.feed(plain.encode())
        text = shadow.render(screen_update(update), console)
        shadow_stream.feed(text.encode())
        sent_plain, sent_shadow = sent_plain + len(plain), sent_shadow + len(text)
        assert cells(shadowed) == cells(reference)
    assert sent_shadow < sent_plain


def test_an_unchanged_redraw_sends_nothing():
    console = Console(color_system="256", force_terminal=True, file=io.StringIO())
    rng = random.Random(1)
    shadow = ShadowScreen()
    shadow.resize(WIDTH, HEIGHT)
    rows = [random_row(rng, WIDTH) for _ in range(HEIGHT)]
    assert shadow.render(screen_update(full_update(rows)), console)
    same = chops_update({y: (0, rows[y]) for y in range(HEIGHT)})
    assert shadow.render(screen_update(same), console) == ""


def test_a_block_that_moved_up_is_scrolled_not_redrawn():
    console = Console(color_system="256", force_terminal=True, file=io.StringIO())
    rng = random.Random(2)
    shadow = ShadowScreen()
    shadow.resize(WIDTH, HEIGHT)
    rows = [random_row(rng, WIDTH) for _ in range(HEIGHT)]
    shadow.render(screen_update(full_update(rows)), console)
    rows = [*rows[1:], random_row(rng, WIDTH)]
    moved = chops_update({y: (0, rows[y]) for y in range(HEIGHT)})
    text = shadow.render(screen_update(moved), console)
    assert "r" in text and "\n" in text  # a scroll region and a line feed
    assert len(text) < len(full_update(rows).render_segments(console)) / 4


# --- the real app, in a pseudo-terminal, in both modes ---------------------------------


def test_the_real_app_looks_the_same_as_full_redraws_and_sends_less(tmp_path):
    """Changed cells only (normal and low-bandwidth mode alike) give the very screen that
    Textual's own full redraws give, for far fewer bytes."""
    from discussion_circle import build_story

    story = build_story(tmp_path)
    apps = {}
    for mode in ("full", "normal", "low"):
        circle = tmp_path / f"{mode}.jsonl"
        circle.write_bytes(story.path.read_bytes())
        argv = [sys.executable, "-m", "studycircle_tui.cli"]
        argv += ["--low-bandwidth"] if mode == "low" else []
        argv += ["open", str(circle), "--name", "Reader"]
        env = app_env(tmp_path / f"home-{mode}")
        if mode == "full":
            env["STUDYCIRCLE_FULL_REDRAW"] = "1"
        apps[mode] = PtyApp(argv, env)
    try:
        for app in apps.values():
            app.settle(first=30)
        steps = [b"", b"\x1b[B", b"\r", b"\x1b[B", b"\r", b"\x1b[5~", b"\x1b[A\x1b[A", b"\x1b"]
        for keys in steps:
            for app in apps.values():
                if keys:
                    app.press(keys)
            for _ in range(3):  # a busy machine may still be drawing one of them
                for app in apps.values():
                    app.settle(quiet=0.6)
                full = cells(apps["full"].screen)
                if cells(apps["low"].screen) == full == cells(apps["normal"].screen):
                    break
            full = cells(apps["full"].screen)
            assert cells(apps["normal"].screen) == full, keys
            assert cells(apps["low"].screen) == full, keys
        assert all(app.process.poll() is None for app in apps.values())
        assert apps["normal"].bytes < apps["full"].bytes / 2
        assert apps["low"].bytes < apps["full"].bytes / 2
    finally:
        for app in apps.values():
            app.close()


@pytest.mark.parametrize(("delay", "offered"), [(1.6, True), (0.0, False)])
def test_a_slow_link_is_noticed_and_low_bandwidth_mode_offered(tmp_path, delay, offered):
    """The app asks the terminal where its cursor is after the first screen; a terminal
    that answers late (as over a slow link) gets the offer, a prompt one does not."""
    argv = [sys.executable, "-m", "studycircle_tui.cli"]
    app = PtyApp(argv, app_env(tmp_path / "home"))
    try:
        assert app.wait_until(lambda: b"\x1b[6n" in app.raw, limit=30)
        time.sleep(delay)
        app.press(b"\x1b[1;1R")  # the answer: the cursor is at the top left
        assert app.wait_for("looks slow", limit=3) == offered
    finally:
        app.close()
