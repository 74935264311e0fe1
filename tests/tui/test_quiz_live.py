"""A live quiz run by a lead for three players, each in their own app, through one circle
file and through a server, driven key by key; the scores must equal a table worked out
by hand."""

import csv
from contextlib import AsyncExitStack

import pytest
from textual.widgets import Checkbox, Input, RadioButton

from quiz_helpers import file_or_server_circle
from studycircle_tui.sync.quizrun import QuizRunner, Stage
from studycircle_tui.tui.app import StudyCircleApp
from studycircle_tui.tui.screens.export import ExportPathScreen
from studycircle_tui.tui.screens.quiz import QuizPaneScreen
from studycircle_tui.tui.screens.quiz_dialogs import LiveSettingsScreen
from studycircle_tui.tui.screens.quiz_live import LiveQuizScreen

# Speed scoring, streak bonus, 20 s per question (FULL within 0.5 s, half at 20 s):
#   factor(t) = 1 - 0.5 * (t - 0.5) / 19.5  →  factor(10.25) = 0.75, factor(5.375) = 0.875
# Q1 (1 pt, B right):    Ayu B at 0.25 s = 1.00 · Budi A at 5 s = 0 · Citra B at 10.25 s = 0.75
# Q2 (1 pt, False):      Budi True at 0.25 s = 0 · Ayu False at 10.25 s = 0.75 + streak
#                        (2nd right in a row: +10% of 1 pt) = 0.85 · Citra no answer = 0
# Q3 (2 pts, 8; 7±1 half): Ayu 7 at 0.25 s = 2 × 50% = 1.00 (no streak: not fully right)
#                        · Citra 8 at 0.5 s = 2.00 (her streak restarted: no bonus)
#                        · Budi 8 after 4 s, a 10 s pause, then 1.375 s: 5.375 s of running
#                          time = 2 × 0.875 = 1.75
# A room reads whole points, 1000 to a point of the quiz file:
EXPECTED = {
    "Ayu": [1000, 850, 1000],
    "Budi": [0, 0, 1750],
    "Citra": [750, 0, 2000],
}
TOTALS = {"Ayu": 2850, "Citra": 2750, "Budi": 1750}


async def _settle(circle, pilots) -> None:
    await circle.sync()
    for _ in range(2):  # the redraw, then what it asked for (focus)
        for pilot in pilots:
            await pilot.pause()


async def _at(circle, pilots, ms_after_open: int, opened_at: int) -> None:
    """Deliver what was done so far (a server stamps an answer when it arrives), then
    move everyone's clock."""
    await _settle(circle, pilots)
    circle.clock.ms = opened_at + ms_after_open
    await _settle(circle, pilots)


@pytest.fixture(params=["file", "server"])
async def circle(request, tmp_path, monkeypatch):
    """The same circle through a shared file, and through a server (in this process)."""
    async with file_or_server_circle(request.param, tmp_path, monkeypatch) as made:
        yield made


async def test_a_live_quiz_with_a_lead_and_three_players_scores_as_worked_out(
    circle, tmp_path, monkeypatch
):
    import studycircle_tui.tui.screens.quiz_live as live

    monkeypatch.setattr(live, "TICK_SECONDS", 1000)
    # Each step's screens are read as soon as it is synced: the room's redraw (others'
    # answers and joins, drawn at most every ROOM_SECONDS) comes at once here.
    monkeypatch.setattr(live, "ROOM_SECONDS", 0.001)
    apps = [StudyCircleApp(service, sync=False) for service in circle.everyone]
    async with AsyncExitStack() as stack:
        pilots = [await stack.enter_async_context(a.run_test(size=(100, 32))) for a in apps]
        lea, ayu, budi, citra = pilots
        for pilot in pilots:
            await pilot.pause()
            await pilot.press("z")  # the Quiz pane, from the main screen
            await pilot.pause()
            assert isinstance(pilot.app.screen, QuizPaneScreen)

        # The lead opens a lobby: speed scoring with a streak bonus.
        await lea.press("l")
        await lea.pause()
        settings = lea.app.screen
        assert isinstance(settings, LiveSettingsScreen)
        settings.query_one("#quiz-speed", RadioButton).value = True
        settings.query_one("#quiz-streak", Checkbox).value = True
        assert settings.focused is settings.query_one("#quiz-scoring")  # the first choice
        settings.query_one("#quiz-top-n", Input).focus()
        await lea.press("enter")  # enter on the last field opens the lobby
        await lea.pause()
        host = lea.app.screen
        assert isinstance(host, LiveQuizScreen) and host.lead
        await _settle(circle, pilots)

        # The players join from their Quiz pane; the lead's lobby lists them.
        for pilot in (ayu, budi, citra):
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(pilot.app.screen, LiveQuizScreen)
            assert not pilot.app.screen.lead
            assert "Waiting for Lea" in str(pilot.app.screen.query_one("#quiz-lobby").render())
        await _settle(circle, pilots)
        lobby = str(host.query_one("#quiz-lobby").render())
        assert "In the lobby (3): Ayu, Budi, Citra" in lobby

        async def ask() -> int:
            await lea.press("n")
            await _settle(circle, pilots)
            return circle.clock.ms

        async def reveal_and_go_on() -> None:
            # The last answers reach the lead, whose pacer closes the question: its time
            # is up, or everyone answered.
            for _ in range(100):
                await _settle(circle, pilots)
                if host.stage().kind is Stage.CLOSED:
                    break
            assert host.stage().kind is Stage.CLOSED
            await _settle(circle, pilots)
            await lea.press("n")  # reveal
            await _settle(circle, pilots)
            assert host.stage().kind is Stage.REVEALED
            await lea.press("n")  # the leaderboard
            await lea.pause()

        # Question 1: everyone answers; the last answer lets the lead's client close it.
        opened = await ask()
        await _at(circle, pilots, 250, opened)
        await ayu.press("b")
        await _at(circle, pilots, 5000, opened)
        await budi.press("1")
        await _at(circle, pilots, 10250, opened)
        await citra.press("2")
        await _settle(circle, pilots)
        assert "Answer sent" in str(citra.app.screen.query_one("#quiz-status").render())
        await ayu.press("c")  # a second answer is not taken
        await reveal_and_go_on()
        ayu_view = str(ayu.app.screen.query_one("#quiz-status").render())
        assert "Right" in ayu_view and "+1000 pts" in ayu_view

        # Question 2: Citra does not answer; the time runs out.
        opened = await ask()
        await _at(circle, pilots, 250, opened)
        await budi.press("a")
        await _at(circle, pilots, 10250, opened)
        await ayu.press("2")
        await _at(circle, pilots, 20000, opened)
        await reveal_and_go_on()

        # Question 3: typed numbers; the lead pauses for 10 s and adds time.
        opened = await ask()
        await _at(circle, pilots, 250, opened)
        await ayu.press("7", "enter")
        await _at(circle, pilots, 500, opened)
        await citra.press("8", "enter")
        await _at(circle, pilots, 4000, opened)
        await lea.press("p")
        await _settle(circle, pilots)
        assert budi.app.screen.stage().kind is Stage.PAUSED
        await _at(circle, pilots, 14000, opened)
        await lea.press("p")
        await lea.press("plus")
        await _settle(circle, pilots)
        await _at(circle, pilots, 15375, opened)
        await budi.press("8", "enter")
        await reveal_and_go_on()
        await lea.press("n")  # after the last leaderboard: finish
        await _settle(circle, pilots)

        for pilot in pilots:
            assert pilot.app.screen.stage().kind is Stage.FINISHED
        podium = str(citra.app.screen.query_one("#quiz-board").render())
        assert podium.index("Ayu") < podium.index("Citra") < podium.index("Budi")

        # The lead exports the session as CSV, to a path typed in the dialog.
        await lea.press("e")
        await lea.pause()
        assert isinstance(lea.app.screen, ExportPathScreen)
        target = tmp_path / "results.csv"
        lea.app.screen.query_one(Input).value = str(target)
        await lea.press("enter")
        await lea.pause()

    # Every member's client computes the same scores, and they are the table above.
    session_id = host.session_id
    for service in circle.everyone:
        runner = QuizRunner(service)
        score = runner.score(session_id)
        names = {m.id: m.name for m in service.state.members.values()}
        table = {names[p]: [0, 0, 0] for p in score.totals}
        for mark in score.marks:
            table[names[mark.player]][mark.question] = mark.points
        assert table == EXPECTED
        assert {names[p]: t for p, t in score.totals.items()} == TOTALS
        assert runner.keys_verified(session_id) is True

    with target.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["player", "question", "answer", "correct", "seconds", "points"]
    assert rows[1:4] == [
        ["Ayu", "1", "3", "true", "0.25", "1000"],
        ["Ayu", "2", "False", "true", "10.25", "850"],
        ["Ayu", "3", "7", "false", "0.25", "1000"],
    ]
    assert ["Citra", "2", "", "false", "", "0"] in rows
    assert ["Budi", "3", "8", "true", "5.38", "1750"] in rows
