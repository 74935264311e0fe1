"""What the status line says about a live quiz: which, where it stands, the time left."""

import pytest

from studycircle_tui.sync.pacer import LiveQuiz
from studycircle_tui.sync.quizrun import LiveStage, Stage
from studycircle_tui.tui.widgets.status_line import describe_live, time_left


@pytest.mark.parametrize(
    ("ms", "shown"),
    [
        (12_000, "12 s left"),
        (11_001, "12 s left"),
        (999, "1 s left"),
        (65_000, "1:05 left"),
        (0, "time's up"),
    ],
)
def test_time_left_is_whole_seconds_rounded_up(ms, shown):
    assert time_left(ms) == shown


def _live(stage: LiveStage, left_ms: int = 0, hosting: bool = False, title: str = "Capitals"):
    return LiveQuiz("s", title, stage, 5, left_ms, hosting)


@pytest.mark.parametrize(
    ("live", "shown"),
    [
        (_live(LiveStage(Stage.LOBBY)), "● LIVE Capitals · lobby"),
        (_live(LiveStage(Stage.LOBBY), hosting=True), "● LIVE Capitals · lobby (you host)"),
        (_live(LiveStage(Stage.OPEN, 1), 12_000), "● LIVE Capitals · Q2/5 · 12 s left"),
        (_live(LiveStage(Stage.PAUSED, 1), 12_000), "● LIVE Capitals · Q2/5 · paused"),
        (_live(LiveStage(Stage.CLOSED, 4)), "● LIVE Capitals · Q5/5 · closed"),
    ],
)
def test_a_live_quiz_in_one_short_line(live, shown):
    assert describe_live(live) == shown


@pytest.mark.parametrize(
    ("title", "cut"),
    [
        ("Irregular verbs of Bahasa Indonesia, part 2", "Irregular verbs of Bahasa I…"),
        ("🇮🇩 Kosakata 🐍 minggu ini: kata kerja", "🇮🇩 Kosakata 🐍 minggu ini: …"),  # emoji: 2 cells
        ("Pengucapan é è ê ë à ç ñ ü ö å ø", "Pengucapan é è ê ë à ç ñ ü …"),
    ],
)
def test_a_long_title_is_cut_by_cells_so_the_time_left_stays_in_sight(title, cut):
    live = _live(LiveStage(Stage.OPEN, 0), 5_000, title=title)
    assert describe_live(live) == f"● LIVE {cut} · Q1/5 · 5 s left"
