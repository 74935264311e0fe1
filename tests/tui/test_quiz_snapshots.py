"""What the quiz screens look like, pinned at 100x30 and 80x24: the lobby with who joined
and who left, a question with its countdown, a reveal with the bar chart, a reveal with
rank changes, the leaderboard, the podium, and a practice review.

Deterministic by construction: fixed member ids, one clock that stands still (so the
countdown shows the same time on every run), the countdown's timer parked, a fixed theme
and an explicit terminal size. Refresh after a deliberate change with ``make snapshots``.
"""

import asyncio

import pytest

from quiz_helpers import quiz_circle
from studycircle_tui.config import Settings
from studycircle_tui.sync.quizrun import QuizRunner
from studycircle_tui.tui.app import StudyCircleApp
from studycircle_tui.tui.screens import quiz_live

THEME = "textual-dark"
SIZES = [(100, 30), (80, 24)]


@pytest.fixture(autouse=True)
def parked_countdown(monkeypatch):
    # The clock stands still, so a tick would redraw the same; parked, it cannot race.
    monkeypatch.setattr(quiz_live, "TICK_SECONDS", 3600)


def _app(service, remote: str | None = None) -> StudyCircleApp:
    settings = Settings(name=service.state.members[service.me].name)
    return StudyCircleApp(service, sync=False, settings=settings, theme=THEME, remote=remote)


async def _live(tmp_path, upto: str):
    """A live run (speed scoring, streak bonus) taken as far as ``upto``."""
    circle = await quiz_circle(tmp_path)
    lea = QuizRunner(circle.lead)
    ayu, budi, citra = (QuizRunner(p) for p in circle.players)
    session = (await lea.start(circle.quiz, scoring="speed", streak=True, top_n=5)).id
    await circle.sync()
    for player in (ayu, budi, citra):
        await player.join(session)
    await circle.sync()
    if upto == "lobby":
        await citra.leave(session)
        await circle.sync()
        return circle
    await lea.open_question(session, 0)
    await circle.sync()
    circle.clock.advance(3000)
    await budi.answer(session, 0, [0])
    if upto == "question":
        circle.clock.advance(5000)
        await circle.sync()
        return circle
    circle.clock.advance(1000)
    await ayu.answer(session, 0, [1])
    circle.clock.advance(4000)
    await citra.answer(session, 0, [1])
    await circle.sync()
    await lea.close(session)
    await lea.reveal(session)
    await circle.sync()
    if upto == "reveal":
        return circle
    await lea.open_question(session, 1)
    await circle.sync()
    circle.clock.advance(2000)
    await ayu.answer(session, 1, [1])
    await budi.answer(session, 1, [1])
    circle.clock.advance(6000)
    await citra.answer(session, 1, [0])
    await circle.sync()
    await lea.close(session)
    await lea.reveal(session)
    await circle.sync()
    if upto == "finished":
        await lea.open_question(session, 2)
        await circle.sync()
        await citra.answer(session, 2, 8.0)
        await circle.sync()
        await lea.close(session)
        await lea.reveal(session)
        await lea.finish(session)
        await circle.sync()
    return circle


async def _open_live(pilot) -> None:
    await pilot.pause()
    await pilot.press("z")  # the Quiz pane
    await pilot.pause()
    await pilot.press("enter")  # join (or, for its host, go back to hosting)
    await pilot.pause()


async def _open_finished(pilot) -> None:
    """The finished run, as the Quiz pane no longer offers it: its screen, pushed."""
    await pilot.pause()
    service = pilot.app.service
    [session] = service.state.sessions
    await pilot.app.push_screen(quiz_live.LiveQuizScreen(service, session))
    await pilot.pause()


AYU, BUDI = 0, 1  # players, by their place in ``quiz_circle``


def _seen(snap_compare, tmp_path, size, upto: str, player: int | None, run_before=_open_live):
    """The live run taken as far as ``upto``, as its lead (``player`` None) or one of its
    players sees it."""
    circle = asyncio.run(_live(tmp_path, upto))
    member = circle.lead if player is None else circle.players[player]
    return snap_compare(_app(member), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=["100x30", "80x24"])
class TestLive:
    def test_lobby(self, snap_compare, tmp_path, size):
        assert _seen(snap_compare, tmp_path, size, "lobby", None)

    def test_question_with_countdown(self, snap_compare, tmp_path, size):
        assert _seen(snap_compare, tmp_path, size, "question", AYU)

    def test_reveal_with_bar_chart(self, snap_compare, tmp_path, size):
        assert _seen(snap_compare, tmp_path, size, "reveal", AYU)

    def test_reveal_with_rank_changes(self, snap_compare, tmp_path, size):
        """Question 2's reveal as Budi sees it: he and Citra trade places (↑1, ↓1)."""
        assert _seen(snap_compare, tmp_path, size, "leaderboard", BUDI)

    def test_podium(self, snap_compare, tmp_path, size):
        """The end as Budi sees it: the three on the podium, the key check, the table."""
        assert _seen(snap_compare, tmp_path, size, "finished", BUDI, _open_finished)

    def test_leaderboard(self, snap_compare, tmp_path, size):
        async def board(pilot) -> None:
            await _open_live(pilot)
            await pilot.press("n")  # from the reveal to the leaderboard
            await pilot.pause()

        assert _seen(snap_compare, tmp_path, size, "leaderboard", None, board)


def test_ending_the_quiz_asks_first_in_words_that_fit(snap_compare, tmp_path):
    async def end(pilot) -> None:
        await _open_live(pilot)
        await pilot.press("x")
        await pilot.pause()

    assert _seen(snap_compare, tmp_path, (80, 24), "question", None, end)


@pytest.mark.parametrize("size", SIZES, ids=["100x30", "80x24"])
def test_practice_review(snap_compare, tmp_path, size):
    circle = asyncio.run(quiz_circle(tmp_path, practice=True))
    ayu = circle.players[0]

    async def practise(pilot) -> None:
        await _open_live(pilot)  # no live run: enter starts a practice attempt
        for keys in (["2"], ["enter"], ["1"], ["enter"], ["7", "enter"], ["enter"]):
            await pilot.press(*keys)
            await pilot.pause()

    assert snap_compare(_app(ayu), terminal_size=size, run_before=practise)


@pytest.mark.parametrize("size", SIZES, ids=["100x30", "80x24"])
def test_the_status_line_shows_the_running_question_elsewhere(snap_compare, tmp_path, size):
    async def stay(pilot) -> None:  # on the main screen, 8 s in: 12 s left
        await pilot.pause()

    assert _seen(snap_compare, tmp_path, size, "question", AYU, stay)


@pytest.mark.parametrize("size", SIZES, ids=["100x30", "80x24"])
def test_results_served_over_ssh_are_shown_to_copy(snap_compare, tmp_path, size):
    circle = asyncio.run(_live(tmp_path, "leaderboard"))
    [session] = circle.lead.state.sessions
    asyncio.run(QuizRunner(circle.lead).finish(session))
    asyncio.run(circle.sync())
    ayu = circle.players[0]

    async def export(pilot) -> None:
        await _open_finished(pilot)
        await pilot.press("e")
        await pilot.pause()

    assert snap_compare(_app(ayu, remote="ssh"), terminal_size=size, run_before=export)
