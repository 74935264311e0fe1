"""Who is in a live quiz (quiz.join, quiz.leave): the lobby knows who came, a late joiner
plays from the next question, a leaver is no longer waited for, and "N of M answered"
counts those in, not every member who could play. Through a circle file and through a
server (which checks each op with the same rules)."""

import os

import pytest

from circles import key_of
from quiz_helpers import asked, file_or_server_circle, quiz_circle
from studycircle_tui.core.ops import encode_op
from studycircle_tui.sync.engine import Refused
from studycircle_tui.sync.quizrun import QuizRunner, players_expected, seat


@pytest.fixture(params=["file", "server"])
async def circle(request, tmp_path, monkeypatch):
    async with file_or_server_circle(request.param, tmp_path, monkeypatch) as made:
        yield made


def _names(service, members) -> list[str]:
    return sorted(service.state.members[m].name for m in members)


async def _ayu_in_question_1(circle) -> str:
    """Lea starts the quiz, Ayu joins the lobby, Lea asks question 1; the session's id."""
    return await asked(circle, players=circle.players[:1])


async def test_the_lobby_knows_who_came_and_who_left(circle):
    lead = QuizRunner(circle.lead)
    ayu, _, citra = (QuizRunner(p) for p in circle.players)
    session_id = (await lead.start(circle.quiz)).id
    await circle.sync()
    await ayu.join(session_id)
    await citra.join(session_id)
    await circle.sync()
    await citra.leave(session_id)
    await circle.sync()
    for service in circle.everyone:  # every member's app sees the same room
        session = service.state.sessions[session_id]
        seats = {service.state.members[p].name: seat(session, p) for p in service.state.members}
        assert seats == {"Lea": "host", "Ayu": "in", "Budi": "out", "Citra": "left"}
    await lead.open_question(session_id, 0)
    await circle.sync()
    session = circle.lead.state.sessions[session_id]
    # Budi never came and Citra went: question 1 is Ayu's alone.
    assert _names(circle.lead, players_expected(circle.lead.state, session)) == ["Ayu"]


async def test_a_late_joiner_plays_from_the_next_question(circle):
    lead = QuizRunner(circle.lead)
    ayu, budi, _ = (QuizRunner(p) for p in circle.players)
    session_id = await _ayu_in_question_1(circle)
    await budi.join(session_id)  # while question 1 is being asked
    await circle.sync()
    session = circle.lead.state.sessions[session_id]
    assert _names(circle.lead, players_expected(circle.lead.state, session)) == ["Ayu"]
    with pytest.raises(Refused, match="you joined during this question: you play from the next"):
        await budi.answer(session_id, 0, [1])
    await ayu.answer(session_id, 0, [1])
    await circle.sync()
    await lead.close(session_id)
    await lead.reveal(session_id)
    await lead.open_question(session_id, 1)
    await circle.sync()
    await budi.answer(session_id, 1, [1])  # question 2 is his
    await circle.sync()
    session = circle.lead.state.sessions[session_id]
    assert _names(circle.lead, players_expected(circle.lead.state, session)) == ["Ayu", "Budi"]
    assert circle.lead.me not in session.answers.get(1, {})
    score = lead.score(session_id)
    assert score.totals[circle.players[1].me] == 0  # on the board, with nothing yet


async def test_a_leaver_cannot_answer_until_they_come_back(circle):
    ayu = QuizRunner(circle.players[0])
    session_id = await _ayu_in_question_1(circle)
    await ayu.leave(session_id)
    with pytest.raises(Refused, match="you left this quiz"):
        await ayu.answer(session_id, 0, [1])
    await ayu.join(session_id)  # back, from the next question
    with pytest.raises(Refused, match="you play from the next"):
        await ayu.answer(session_id, 0, [1])
    await circle.sync()
    assert seat(circle.lead.state.sessions[session_id], circle.players[0].me) == "in"


async def test_who_may_join_and_leave(circle):
    lead = QuizRunner(circle.lead)
    ayu = QuizRunner(circle.players[0])
    session_id = (await lead.start(circle.quiz)).id
    await circle.sync()
    with pytest.raises(Refused, match="its host does not play"):
        await lead.join(session_id)
    with pytest.raises(Refused, match="you are not in this quiz"):
        await ayu.leave(session_id)
    await ayu.join(session_id)
    with pytest.raises(Refused, match="you are in this quiz already"):
        await ayu.join(session_id)
    await circle.sync()
    await lead.finish(session_id)
    await circle.sync()
    with pytest.raises(Refused, match="the quiz has finished"):
        await ayu.leave(session_id)


async def test_an_app_from_before_quiz_join_still_plays(circle):
    """A player whose app does not know quiz.join answers without joining: the answer
    counts, and they count among those who answered."""
    budi = QuizRunner(circle.players[1])
    session_id = await _ayu_in_question_1(circle)
    await budi.answer(session_id, 0, [1])  # never joined
    await circle.sync()
    session = circle.lead.state.sessions[session_id]
    assert _names(circle.lead, players_expected(circle.lead.state, session)) == ["Ayu", "Budi"]


async def test_joining_is_signed_and_a_join_in_another_s_name_seats_no_one(tmp_path):
    """quiz.join is signed like any op: Budi writes a join in Ayu's name into the circle
    file with his own key; no replica seats her, and the moderation log says so."""
    made = await quiz_circle(tmp_path)  # a circle from before signing: each signs from now
    for service in made.everyone:
        service.sign_from_now()
    await made.sync()
    ayu, budi, _ = made.players
    session_id = (await QuizRunner(made.lead).start(made.quiz)).id
    await made.sync()
    joined = await QuizRunner(budi).join(session_id)
    assert joined.sig is not None
    forged = budi.replica.make(
        ayu.me, "quiz.join", {"session": session_id}, budi.now_ms(), os.urandom(10), key_of(budi)
    )
    with made.path.open("ab") as handle:
        handle.write(encode_op(forged) + b"\n")
    await made.sync()
    for service in made.everyone:
        session = service.state.sessions[session_id]
        assert (seat(session, budi.me), seat(session, ayu.me)) == ("in", "out")
        refused = {e.op_id: e.action for e in service.state.moderation_log}
        assert refused.get(forged.id) == "forged"
