"""The quiz and notes screens in Bahasa Indonesia, pinned at 100x30 and 80x24: a question
with its countdown, the reveal with its bar chart, the leaderboard, and a note's history.
Indonesian sentences run longer than English ones, so these are where a label would be
cut off or run into its neighbour.

The same circles as the English snapshots (test_quiz_snapshots.py, test_notes_snapshots.py),
in the language an ssh-serve session or ``--lang id`` sets (``i18n.speaking``), and with
``language = "id"`` in the member's settings. Besides each picture, a plain test reads the
screen's text: the Indonesian is there whole and the English is gone, so a sentence that
falls out of the catalog fails here without a snapshot to compare.
"""

import asyncio

import pytest
from note_helpers import edited_twice, make_app, shown_text
from test_notes_snapshots import showing
from test_quiz_snapshots import AYU, THEME, _live, _open_live

from studycircle_tui import i18n
from studycircle_tui.config import Settings
from studycircle_tui.tui.app import StudyCircleApp
from studycircle_tui.tui.screens import quiz_live

SIZES = [(100, 30), (80, 24)]
SIZE_IDS = ["100x30", "80x24"]


@pytest.fixture(autouse=True)
def parked_countdown(monkeypatch):
    monkeypatch.setattr(quiz_live, "TICK_SECONDS", 3600)  # see test_quiz_snapshots


def _app(service) -> StudyCircleApp:
    settings = Settings(name=service.state.members[service.me].name, language="id")
    return StudyCircleApp(service, sync=False, settings=settings, theme=THEME)


def _seen(snap_compare, tmp_path, size, upto: str, player: int | None, run_before):
    circle = asyncio.run(_live(tmp_path, upto))
    member = circle.lead if player is None else circle.players[player]
    with i18n.speaking("id"):
        return snap_compare(_app(member), terminal_size=size, run_before=run_before)


async def _board(pilot) -> None:
    await _open_live(pilot)
    await pilot.press("n")  # the lead goes from the reveal to the leaderboard
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
class TestQuizInIndonesian:
    def test_question(self, snap_compare, tmp_path, size):
        assert _seen(snap_compare, tmp_path, size, "question", AYU, _open_live)

    def test_reveal(self, snap_compare, tmp_path, size):
        assert _seen(snap_compare, tmp_path, size, "reveal", AYU, _open_live)

    def test_leaderboard(self, snap_compare, tmp_path, size):
        assert _seen(snap_compare, tmp_path, size, "leaderboard", None, _board)


@pytest.fixture
def edited(tmp_path, monkeypatch):
    """As in test_notes_snapshots: three revisions by two members."""
    return edited_twice(tmp_path, monkeypatch)


def _notes_app(service) -> StudyCircleApp:
    app = make_app(service)
    app.settings.language = "id"
    return app


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_notes_history(edited, size, snap_compare):
    with i18n.speaking("id"):
        assert snap_compare(_notes_app(edited), terminal_size=size, run_before=showing("h"))


# --- the words on screen, read as text ------------------------------------------------------


def _screen_text(app) -> str:
    screen = app.screen
    return "\n".join(str(widget.render()) for widget in screen.query("Static, Label"))


async def test_a_live_question_and_its_reveal_read_in_indonesian(tmp_path):
    circle = await _live(tmp_path, "reveal")
    with i18n.speaking("id"):
        app = _app(circle.players[AYU])
        async with app.run_test(size=(80, 24)) as pilot:
            await _open_live(pilot)
            said = _screen_text(app)
    assert "Soal 1 dari 3" in said
    assert "Jawaban:" in said
    assert "Papan skor" in said
    for english in ("Question 1 of 3", "Answer:", "Leaderboard", " pts", "answered"):
        assert english not in said, english


async def test_a_notes_history_reads_in_indonesian(edited):
    with i18n.speaking("id"):
        app = _notes_app(edited)
        async with app.run_test(size=(80, 24)) as pilot:
            await showing("h")(pilot)
            said = shown_text(app.screen) + _screen_text(app)
    assert "3 revisi" in said
    assert "Perubahan dari r2 ke r3" in said
    for english in ("revisions", "Changes from", "edit of", "first version", "current"):
        assert english not in said, english
