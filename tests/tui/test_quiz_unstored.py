"""A player whose computer cannot store their answer or their join (the disk says no
even when asked again) keeps what they did: the typed answer is back in the box to send
again, and the join is asked again while they are out (issue 13: the room waited for
an answer or a player that never came, after a toast)."""

import sqlite3

import pytest
from note_helpers import until
from textual.widgets import Input

from quiz_helpers import lobby, quiz_circle
from studycircle_tui.config import Settings
from studycircle_tui.sync import engine
from studycircle_tui.sync.quizrun import QuizRunner, seat
from studycircle_tui.tui.app import StudyCircleApp
from studycircle_tui.tui.screens import quiz_live
from studycircle_tui.tui.screens.quiz_live import LiveQuizScreen


@pytest.fixture(autouse=True)
def at_once(monkeypatch):
    monkeypatch.setattr(engine, "STORE_AGAIN_SECONDS", (0.0, 0.0, 0.0))
    monkeypatch.setattr(quiz_live, "JOIN_AGAIN_SECONDS", 0.05)


class Disk:
    """A player's store that refuses to store ops while ``broken``."""

    def __init__(self, monkeypatch, service) -> None:
        self.broken, self.refusals = True, 0
        add_ops = service.store.add_ops

        def add(*args, **kwargs):
            if self.broken:
                self.refusals += 1
                raise sqlite3.OperationalError("disk I/O error")
            return add_ops(*args, **kwargs)

        monkeypatch.setattr(service.store, "add_ops", add)


def _app(service) -> StudyCircleApp:
    settings = Settings(name=service.state.members[service.me].name)
    return StudyCircleApp(service, sync=False, settings=settings, theme="textual-dark")


async def _open_live(pilot) -> LiveQuizScreen:
    await pilot.press("z")  # the Quiz pane
    await pilot.pause()
    await pilot.press("enter")  # the live quiz in it
    await pilot.pause()
    assert isinstance(pilot.app.screen, LiveQuizScreen)
    return pilot.app.screen


async def test_a_typed_answer_not_stored_is_kept_in_the_box_to_send_again(tmp_path, monkeypatch):
    circle = await quiz_circle(tmp_path)
    session = await lobby(circle)
    await QuizRunner(circle.lead).open_question(session, 2)  # how many bits in a byte
    await circle.sync()
    ayu = circle.players[0]
    async with _app(ayu).run_test(size=(80, 24)) as pilot:
        live = await _open_live(pilot)
        disk = Disk(monkeypatch, ayu)
        live.query_one("#quiz-typed", Input).focus()
        await pilot.press("8", "enter")
        await pilot.app.intents.settled()
        await pilot.pause()
        assert disk.refusals == len(engine.STORE_AGAIN_SECONDS) + 1
        assert live.query_one("#quiz-typed", Input).value == "8"
        assert live.my_answer(2) is None  # still to answer: the screen offers it
        disk.broken = False
        live.query_one("#quiz-typed", Input).focus()
        await pilot.press("enter")
        await pilot.app.intents.settled()
        assert live.my_answer(2) is not None
    await circle.sync()
    assert ayu.me in circle.lead.state.sessions[session].answers[2]


async def test_a_join_not_stored_is_asked_again_until_the_player_is_in(tmp_path, monkeypatch):
    circle = await quiz_circle(tmp_path)
    session = await lobby(circle, [])  # no one in yet
    budi = circle.players[1]
    disk = Disk(monkeypatch, budi)
    async with _app(budi).run_test(size=(80, 24)) as pilot:
        await _open_live(pilot)
        await until(pilot, lambda: disk.refusals > len(engine.STORE_AGAIN_SECONDS) + 1)
        assert seat(budi.state.sessions[session], budi.me) == "out"
        disk.broken = False
        await until(pilot, lambda: seat(budi.state.sessions[session], budi.me) == "in")
    await circle.sync()
    assert seat(circle.lead.state.sessions[session], budi.me) == "in"
