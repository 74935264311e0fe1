"""The lead's pacer (sync/pacer.py) follows the state of the log: it closes a question at
its deadline, or once every player has answered; a pause holds the question open however
long it lasts, a resume or added time moves the close; only the host's pacer closes; a
hands-free quiz reveals and goes on by itself, for every host its circle serves.

Each check is one ``step()`` at a clock the test sets: nothing here waits on time."""

import asyncio
import sqlite3

from quiz_helpers import asked, lobby, quiz_circle
from studycircle_tui.sync.engine import CircleService, Notice
from studycircle_tui.sync.pacer import STILL_RUNNING_MS, QuizPacer, due, live_quiz, seated_in
from studycircle_tui.sync.quizrun import QuizRunner, live_stage


def stage(service, session_id: str) -> str:
    return live_stage(service.state.sessions[session_id]).kind.value


async def _asked(tmp_path):
    circle = await quiz_circle(tmp_path)
    session = await asked(circle)
    return circle, QuizRunner(circle.lead), session, circle.clock.ms


async def closes_at(circle, session: str, deadline: int) -> None:
    """Open a millisecond before ``deadline`` (the pacer's next look is then), closed at it."""
    pacer = QuizPacer(circle.lead.circle)
    circle.clock.ms = deadline - 1
    assert await pacer.step() == 0.001
    assert stage(circle.lead, session) == "open"
    circle.clock.ms = deadline
    assert await pacer.step() is None  # closed: nothing left to watch
    assert stage(circle.lead, session) == "closed"


async def test_the_question_closes_at_its_deadline_and_not_before(tmp_path):
    circle, _, session, opened = await _asked(tmp_path)
    await closes_at(circle, session, opened + 20_000)


async def test_the_wait_never_passes_the_deadline(tmp_path):
    circle, _, _, opened = await _asked(tmp_path)
    circle.clock.ms = opened + 19_900
    assert abs((await QuizPacer(circle.lead.circle).step()) - 0.1) < 1e-9


async def test_a_pause_holds_the_question_open_and_a_resume_restarts_its_clock(tmp_path):
    circle, lead, session, opened = await _asked(tmp_path)
    pacer = QuizPacer(circle.lead.circle)
    circle.clock.ms = opened + 5_000
    await lead.pause(session)  # 15 s left
    circle.clock.ms = opened + 600_000  # ten minutes of pause
    assert await pacer.step() is None  # a paused question is not watched
    assert stage(circle.lead, session) == "paused"
    await lead.resume(session)
    await closes_at(circle, session, circle.clock.ms + 15_000)


async def test_added_time_moves_the_close(tmp_path):
    circle, lead, session, opened = await _asked(tmp_path)
    circle.clock.ms = opened + 15_000
    await lead.add_time(session)  # +10 s: the deadline is 30 s after the open
    await closes_at(circle, session, opened + 30_000)


async def test_it_closes_early_once_every_player_has_answered(tmp_path):
    circle, _, session, opened = await _asked(tmp_path)
    pacer = QuizPacer(circle.lead.circle)
    ayu, budi, citra = (QuizRunner(p) for p in circle.players)
    circle.clock.ms = opened + 2_000
    await ayu.answer(session, 0, [1])
    await budi.answer(session, 0, [0])
    await circle.sync()
    await pacer.step()
    assert stage(circle.lead, session) == "open"  # Citra has not answered yet
    await citra.answer(session, 0, [1])
    await circle.sync()
    await pacer.step()
    assert stage(circle.lead, session) == "closed"
    assert circle.clock.ms < opened + 20_000


async def test_only_the_host_s_pacer_closes(tmp_path):
    circle, _, session, opened = await _asked(tmp_path)
    circle.clock.ms = opened + 60_000
    player = circle.players[0]
    assert due(player.state, player.me, circle.clock.ms) == []
    assert (await QuizPacer(player.circle).step()) is None
    assert stage(player, session) == "open"
    assert due(circle.lead.state, circle.lead.me, circle.clock.ms) == [(session, "close")]


async def ayu_hosts_a_question(circle, **settings):
    """Ayu, made a moderator, hosts the quiz and asks its first question."""
    ayu = circle.players[0]
    circle.lead.submit("member.role", {"member": ayu.me, "role": "moderator"})
    await circle.sync()
    session = (await QuizRunner(ayu).start(circle.quiz, **settings)).id
    await QuizRunner(ayu).open_question(session, 0)
    await circle.sync()
    return ayu, session


async def test_one_pacer_closes_for_every_member_its_circle_serves_seen_or_not(tmp_path):
    """In an ssh-serve worker one circle serves many players. Ayu, a moderator seated
    there, hosts a quiz and drops: the circle's one pacer still closes her question on
    time, as her."""
    circle = await quiz_circle(tmp_path)
    ayu, session = await ayu_hosts_a_question(circle)
    shared = circle.lead.circle  # the lead's process; Ayu comes in over it and leaves
    CircleService.member_of(shared, ayu.me).close()
    pacer = QuizPacer(shared)
    circle.clock.advance(19_000)
    assert (await pacer.step()) == QuizPacer.TICK_SECONDS
    assert stage(circle.lead, session) == "open"
    circle.clock.advance(1_000)
    assert (await pacer.step()) is None
    assert stage(circle.lead, session) == "closed"
    closed = circle.lead.state.sessions[session]
    assert closed.host == ayu.me  # closed as its host: the reducer took it


async def test_the_one_pacer_runs_a_served_member_s_hands_free_quiz_after_they_drop(tmp_path):
    """Ayu hosts a hands-free quiz over the lead's process and drops: the circle's one
    pacer closes and reveals her question, and asks the next after the leaderboard's
    seconds, each as her."""
    circle = await quiz_circle(tmp_path)
    ayu, session = await ayu_hosts_a_question(circle, hands_free=8)
    shared = circle.lead.circle
    CircleService.member_of(shared, ayu.me).close()
    pacer = QuizPacer(shared)
    circle.clock.advance(20_000)
    await pacer.step()
    assert stage(circle.lead, session) == "revealed"
    circle.clock.advance(8_000)
    await pacer.step()
    running = circle.lead.state.sessions[session]
    assert (stage(circle.lead, session), running.current) == ("open", 1)
    assert running.host == ayu.me


async def test_what_the_pacer_cannot_do_is_told_to_the_host_alone(tmp_path):
    circle = await quiz_circle(tmp_path)
    ayu, session = await ayu_hosts_a_question(circle)
    circle.lead.submit("member.remove", {"member": ayu.me})  # she can no longer close it
    shared = circle.lead.circle
    heard: dict[str, list[Notice]] = {"lead": [], "ayu": []}
    circle.lead.subscribe(lambda event: heard["lead"].append(event))
    CircleService.member_of(shared, ayu.me).subscribe(lambda event: heard["ayu"].append(event))
    circle.clock.advance(60_000)
    await QuizPacer(shared).step()
    told = [e for e in heard["ayu"] if isinstance(e, Notice)]
    assert len(told) == 1 and "Could not close" in told[0].text and told[0].severity == "error"
    assert not [e for e in heard["lead"] if isinstance(e, Notice)]
    assert stage(circle.lead, session) == "open"


async def test_a_refused_close_is_reported_once_not_retried_at_every_tick(tmp_path):
    """Ayu, a moderator, hosts a quiz; the lead removes her mid-question. Her app can no
    longer close it: it says so once."""
    circle = await quiz_circle(tmp_path)
    ayu = circle.players[0]
    circle.lead.submit("member.role", {"member": ayu.me, "role": "moderator"})
    await circle.sync()
    runner = QuizRunner(ayu)
    session = (await runner.start(circle.quiz)).id
    await runner.open_question(session, 0)
    await circle.sync()
    circle.lead.submit("member.remove", {"member": ayu.me})
    await circle.sync()
    problems: list[str] = []
    pacer = QuizPacer(ayu.circle, report=lambda host, text: problems.append(text))
    circle.clock.advance(60_000)
    await pacer.step()
    await pacer.step()
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
    await lead.close(session)
    await lead.reveal(session)
    await lead.finish(session)
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
    pacer = QuizPacer(circle.lead.circle, report=lambda host, text: problems.append(text))
    other = sqlite3.connect(circle.lead.store.path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    running = asyncio.create_task(pacer.run())
    try:
        circle.clock.ms = opened + 20_000
        await _until(lambda: problems)
        assert "another program is holding" in problems[0]
        assert stage(circle.lead, session) == "open" and not running.done()
        other.execute("ROLLBACK")
        await _until(lambda: stage(circle.lead, session) == "closed")
        assert len(problems) == 1
    finally:
        running.cancel()
        other.close()


async def test_everyone_means_everyone_who_joined_not_everyone_who_could_play(tmp_path):
    """Ayu and Budi joined; Citra never came. Their two answers close the question: the
    lead does not wait 20 s for a member who is not in the room."""
    circle = await quiz_circle(tmp_path)
    lead = QuizRunner(circle.lead)
    ayu, budi, citra = (QuizRunner(p) for p in circle.players)
    session = await asked(circle, players=circle.players[:2])
    pacer = QuizPacer(circle.lead.circle)
    circle.clock.advance(2_000)
    await ayu.answer(session, 0, [1])
    await circle.sync()
    await pacer.step()
    assert stage(circle.lead, session) == "open"  # Budi is in and has not answered
    await budi.answer(session, 0, [0])
    await circle.sync()
    await pacer.step()
    assert stage(circle.lead, session) == "closed"
    assert circle.clock.ms < circle.lead.state.sessions[session].deadline_ms
    # Citra joins late: she is in from question 2, so question 2 waits for her too.
    await citra.join(session)
    await lead.reveal(session)
    await lead.open_question(session, 1)
    await circle.sync()
    await ayu.answer(session, 1, [1])
    await budi.answer(session, 1, [1])
    await circle.sync()
    await pacer.step()
    assert stage(circle.lead, session) == "open"
    await citra.answer(session, 1, [0])
    await circle.sync()
    await pacer.step()
    assert stage(circle.lead, session) == "closed"


async def test_a_player_who_leaves_is_not_waited_for(tmp_path):
    circle, _, session, _ = await _asked(tmp_path)
    ayu, budi, citra = (QuizRunner(p) for p in circle.players)
    pacer = QuizPacer(circle.lead.circle)
    await ayu.answer(session, 0, [1])
    await budi.answer(session, 0, [1])
    await circle.sync()
    await pacer.step()
    assert stage(circle.lead, session) == "open"
    await citra.leave(session)  # Citra goes without answering
    await circle.sync()
    await pacer.step()
    assert stage(circle.lead, session) == "closed"


async def test_hands_free_reveals_at_the_close_and_goes_on_after_the_leaderboard(tmp_path):
    """A hands-free quiz (8 s of leaderboard) runs from question 1 to its end with the
    lead doing nothing: each close brings its reveal at once, each reveal the next
    question 8 s later, the last reveal the finish."""
    circle = await quiz_circle(tmp_path)
    session = await asked(circle, hands_free=8)
    lead = circle.lead
    pacer = QuizPacer(lead.circle)
    for question in range(3):
        opened = circle.lead.state.sessions[session].opens[question][-1][0]
        circle.clock.ms = opened + 20_000  # nobody answers: the time runs out
        assert (await pacer.step()) == 0.25  # closed and revealed: 8 s to wait, looked at by ticks
        assert stage(lead, session) == "revealed"
        assert lead.state.sessions[session].current == question
        circle.clock.ms += 7_999
        assert abs((await pacer.step()) - 0.001) < 1e-9
        assert stage(lead, session) == "revealed"
        circle.clock.ms += 1
        await pacer.step()
        if question < 2:
            assert (stage(lead, session), lead.state.sessions[session].current) == (
                "open",
                question + 1,
            )
    assert stage(lead, session) == "finished"
    assert (await pacer.step()) is None  # nothing left to watch
    # Every reveal went out with its close (one push), and every key checks out.
    await circle.sync()
    ayu = QuizRunner(circle.players[0])
    assert [ayu.reveal_check(session, q).value for q in range(3)] == ["matches"] * 3


async def test_a_lead_s_own_quiz_is_not_hands_free_unless_chosen(tmp_path):
    circle, _, session, opened = await _asked(tmp_path)
    pacer = QuizPacer(circle.lead.circle)
    circle.clock.ms = opened + 20_000
    assert (await pacer.step()) is None
    assert stage(circle.lead, session) == "closed"  # and stays so: the lead reveals
    circle.clock.ms += 600_000
    assert (await pacer.step()) is None
    assert stage(circle.lead, session) == "closed"


async def test_an_app_starting_mid_quiz_belongs_in_the_session_its_member_is_seated_in(tmp_path):
    """Who hosts or plays in a running session returns to it (seated_in); who never
    joined, who left, and a session nobody has touched for half an hour, do not."""
    circle = await quiz_circle(tmp_path, players=("Ayu", "Budi", "Citra"))
    ayu, budi, citra = circle.players
    waiting = await lobby(circle, players=[ayu])  # nothing asked yet
    assert seated_in(circle.lead.state, ayu.me, circle.clock.ms) == waiting
    await QuizRunner(circle.lead).finish(waiting)
    session = await asked(circle, players=[ayu, citra])
    await QuizRunner(citra).leave(session)
    await circle.sync()
    now = circle.clock.ms
    state = circle.lead.state
    assert seated_in(state, circle.lead.me, now) == session
    assert seated_in(state, ayu.me, now) == session
    assert seated_in(state, budi.me, now) is None  # never joined
    assert seated_in(state, citra.me, now) is None  # left
    forgotten = now + STILL_RUNNING_MS + 1
    assert seated_in(state, ayu.me, forgotten) is None  # a session its lead never ended
    await QuizRunner(circle.lead).finish(session)
    await circle.sync()
    assert seated_in(circle.lead.state, ayu.me, now) is None  # finished


async def test_a_hands_free_close_and_its_reveal_leave_in_one_push(tmp_path, monkeypatch):
    """With the sync loop running, what is stored is sent at once (send first); the reveal,
    stored just after its close, still goes in the close's push: players then get every
    answer and the key in one page, not the answers and a round trip later the key."""
    circle = await quiz_circle(tmp_path)
    session = await asked(circle, hands_free=8)
    shared = circle.lead.circle
    pushed: list[list[str]] = []
    push = shared.transport.push

    async def recorded(ops, progress=None):
        pushed.append([op.type for op in ops])
        return await push(ops, progress)

    monkeypatch.setattr(shared.transport, "push", recorded)
    assert not shared.store.outbox(shared.record.id, [])  # all sent: only the step's ops push
    syncing = asyncio.create_task(shared.run())
    circle.clock.ms = circle.lead.state.sessions[session].opens[0][-1][0] + 20_000
    await QuizPacer(shared).step()
    assert stage(circle.lead, session) == "revealed"
    async with asyncio.timeout(10):
        while shared.store.outbox(shared.record.id, []):
            await asyncio.sleep(0.01)
    syncing.cancel()
    await shared.stop()
    assert pushed == [["quiz.close", "quiz.reveal"]]
