"""The lead's pacer (sync/pacer.py) follows the state of the log: it closes a question at
its deadline, or once every player has answered; a pause holds the question open however
long it lasts, a resume or added time moves the close; only the host's pacer closes.

Each check is one ``step()`` at a clock the test sets: nothing here waits on time."""

import asyncio
import sqlite3

from quiz_helpers import asked, quiz_circle
from studycircle_tui.sync.pacer import QuizPacer, due, live_quiz
from studycircle_tui.sync.quizrun import QuizRunner, live_stage


def stage(service, session_id: str) -> str:
    return live_stage(service.state.sessions[session_id]).name


async def _asked(tmp_path):
    circle = await quiz_circle(tmp_path)
    session = await asked(circle)
    return circle, QuizRunner(circle.lead), session, circle.clock.ms


def closes_at(circle, session: str, deadline: int) -> None:
    """Open a millisecond before ``deadline`` (the pacer's next look is then), closed at it."""
    pacer = QuizPacer(circle.lead)
    circle.clock.ms = deadline - 1
    assert pacer.step() == 0.001
    assert stage(circle.lead, session) == "open"
    circle.clock.ms = deadline
    assert pacer.step() is None  # closed: nothing left to watch
    assert stage(circle.lead, session) == "closed"


async def test_the_question_closes_at_its_deadline_and_not_before(tmp_path):
    circle, _, session, opened = await _asked(tmp_path)
    closes_at(circle, session, opened + 20_000)


async def test_the_wait_never_passes_the_deadline(tmp_path):
    circle, _, _, opened = await _asked(tmp_path)
    circle.clock.ms = opened + 19_900
    assert abs(QuizPacer(circle.lead).step() - 0.1) < 1e-9


async def test_a_pause_holds_the_question_open_and_a_resume_restarts_its_clock(tmp_path):
    circle, lead, session, opened = await _asked(tmp_path)
    pacer = QuizPacer(circle.lead)
    circle.clock.ms = opened + 5_000
    lead.pause(session)  # 15 s left
    circle.clock.ms = opened + 600_000  # ten minutes of pause
    assert pacer.step() is None  # a paused question is not watched
    assert stage(circle.lead, session) == "paused"
    lead.resume(session)
    closes_at(circle, session, circle.clock.ms + 15_000)


async def test_added_time_moves_the_close(tmp_path):
    circle, lead, session, opened = await _asked(tmp_path)
    circle.clock.ms = opened + 15_000
    lead.add_time(session)  # +10 s: the deadline is 30 s after the open
    closes_at(circle, session, opened + 30_000)


async def test_it_closes_early_once_every_player_has_answered(tmp_path):
    circle, _, session, opened = await _asked(tmp_path)
    pacer = QuizPacer(circle.lead)
    ayu, budi, citra = (QuizRunner(p) for p in circle.players)
    circle.clock.ms = opened + 2_000
    ayu.answer(session, 0, [1])
    budi.answer(session, 0, [0])
    await circle.sync()
    pacer.step()
    assert stage(circle.lead, session) == "open"  # Citra has not answered yet
    citra.answer(session, 0, [1])
    await circle.sync()
    pacer.step()
    assert stage(circle.lead, session) == "closed"
    assert circle.clock.ms < opened + 20_000


async def test_only_the_host_s_pacer_closes(tmp_path):
    circle, _, session, opened = await _asked(tmp_path)
    circle.clock.ms = opened + 60_000
    player = circle.players[0]
    assert due(player.state, player.me, circle.clock.ms) == []
    assert QuizPacer(player).step() is None
    assert stage(player, session) == "open"
    assert due(circle.lead.state, circle.lead.me, circle.clock.ms) == [session]


async def test_a_refused_close_is_reported_once_not_retried_at_every_tick(tmp_path):
    """Ayu, a moderator, hosts a quiz; the lead removes her mid-question. Her app can no
    longer close it: it says so once."""
    circle = await quiz_circle(tmp_path)
    ayu = circle.players[0]
    circle.lead.submit("member.role", {"member": ayu.me, "role": "moderator"})
    await circle.sync()
    runner = QuizRunner(ayu)
    session = runner.start(circle.quiz).id
    runner.open_question(session, 0)
    await circle.sync()
    circle.lead.submit("member.remove", {"member": ayu.me})
    await circle.sync()
    problems: list[str] = []
    pacer = QuizPacer(ayu, report=problems.append)
    circle.clock.advance(60_000)
    pacer.step()
    pacer.step()
    assert len(problems) == 1 and "not a member" in problems[0], problems
    assert stage(ayu, session) == "open"


async def test_live_quiz_tells_a_player_and_prefers_the_quiz_one_hosts(tmp_path):
    circle, lead, session, opened = await _asked(tmp_path)
    circle.clock.ms = opened + 8_000
    player = circle.players[0]
    seen = live_quiz(player.state, player.me, circle.clock.ms)
    assert seen is not None and not seen.hosting
    assert (seen.session_id, seen.title, seen.questions, seen.left_ms) == (
        session,
        "Python basics",
        3,
        12_000,
    )
    assert live_quiz(circle.lead.state, circle.lead.me, circle.clock.ms).hosting
    lead.close(session)
    lead.reveal(session)
    lead.finish(session)
    assert live_quiz(circle.lead.state, circle.lead.me, circle.clock.ms) is None


async def _until(condition, tries: int = 400) -> None:
    for _ in range(tries):
        if condition():
            return
        await asyncio.sleep(0.05)
    assert condition()


async def test_a_locked_store_is_reported_and_the_close_comes_once_it_is_free(tmp_path):
    """Another process holds the lead's replica locked when the time is up: the pacer says
    so and keeps going (it never ends the app), and closes once the lock is gone."""
    circle, _, session, opened = await _asked(tmp_path)
    problems: list[str] = []
    pacer = QuizPacer(circle.lead, report=problems.append)
    other = sqlite3.connect(circle.lead.store.path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    running = asyncio.create_task(pacer.run())
    try:
        circle.clock.ms = opened + 20_000
        await _until(lambda: problems)
        assert "locked" in problems[0]
        assert stage(circle.lead, session) == "open" and not running.done()
        other.execute("ROLLBACK")
        await _until(lambda: stage(circle.lead, session) == "closed")
        assert len(problems) == 1
    finally:
        running.cancel()
        other.close()
