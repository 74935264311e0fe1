"""Quizzes without leaks (docs/architecture.md): everything a player's client receives, from the
moment it joins through a live quiz, is recorded and searched for what it must not hold
yet — a question's key before its reveal, other players' answers before the close.

Through a server, answers are sealed: the player learns only who has answered until the
question closes. Through a shared circle file nothing can be sealed (the file is the
log): the key still stays out until the reveal, and the answers are there as they come,
which the Quiz pane says plainly."""

import msgspec
import pytest

from quiz_helpers import KEYS as FILE_QUIZ_KEYS
from quiz_helpers import Clock, quiz_circle, server_clock, server_quiz_circle
from server_helpers import Site, now_ms
from studycircle_tui.core import reducer
from studycircle_tui.core.ops import Key, Question, encode_op
from studycircle_tui.core.replica import Replica
from studycircle_tui.server import circle as circle_module
from studycircle_tui.sync.engine import Refused
from studycircle_tui.sync.quizrun import QuizRunner

SECRET_KEY = "zebra-quokka-42"  # the right answer to question 1: must not leak early
QUESTIONS = [
    Question(kind="short_answer", text="The password?", seconds=30),
    Question(kind="multiple_choice", text="Pick one", choices=["a", "b", "c"], seconds=30),
]
KEYS = [Key(accept=[SECRET_KEY]), Key(choices=[2])]
ANSWERS = {"Budi": "budi-guess-7731", "Citra": "citra-guess-5512"}


@pytest.fixture
async def site(tmp_path):
    site = await Site.start(tmp_path / "server", None)
    yield site
    await site.close()


def _received(recorder) -> bytes:
    return b"".join(recorder.received)


async def test_a_player_receives_no_key_before_its_reveal_and_no_answer_before_the_close(
    site, tmp_path, monkeypatch
):
    clock = Clock(now_ms())
    server_clock(monkeypatch, clock)
    circle = await server_quiz_circle(tmp_path, site, clock, questions=QUESTIONS, keys=KEYS)
    lea = QuizRunner(circle.lead)
    ayu, budi, citra = circle.players
    seen_by_ayu = circle.recorders["Ayu"]  # every response Ayu's client got since joining
    assert circle.lead.state.quizzes[circle.quiz].keys is None  # only the hash was published

    session = (await lea.start(circle.quiz)).id
    await circle.sync()
    await lea.open_question(session, 0)
    await circle.sync()
    clock.advance(2000)
    await QuizRunner(budi).answer(session, 0, ANSWERS["Budi"])
    await QuizRunner(citra).answer(session, 0, ANSWERS["Citra"])
    await QuizRunner(ayu).answer(session, 0, "ayu-guess")
    await circle.sync()

    before_close = _received(seen_by_ayu)
    assert b"quiz.answered" in before_close  # who has answered is published…
    for answer in ANSWERS.values():  # …what they answered is not
        assert answer.encode() not in before_close
    assert SECRET_KEY.encode() not in before_close
    assert ayu.state.sessions[session].answered[0] == {budi.me, citra.me, ayu.me}
    assert set(ayu.state.sessions[session].answers[0]) == {ayu.me}  # only Ayu's own
    with pytest.raises(Refused, match="already answered"):
        await QuizRunner(ayu).answer(session, 0, "a second try")

    await lea.close(session)
    await circle.sync()
    at_close = _received(seen_by_ayu)
    assert SECRET_KEY.encode() not in at_close  # the answers come out at the close…
    assert all(answer.encode() in at_close for answer in ANSWERS.values())

    await lea.reveal(session)
    await circle.sync()
    assert SECRET_KEY.encode() in _received(seen_by_ayu)[len(at_close) :]  # …the key at reveal
    assert ayu.state.sessions[session].revealed[0] == KEYS[0]

    # An answer sent after the close (from a client that had not heard of it) is refused.
    await lea.open_question(session, 1)
    await circle.sync()
    await lea.close(session)
    await circle.lead.sync_once()
    await QuizRunner(budi).answer(session, 1, [2])  # Budi's client still shows it open
    await budi.sync_once()
    assert any("closed" in notice.text for notice in budi.notices)
    assert budi.me not in budi.state.sessions[session].answers.get(1, {})
    await lea.reveal(session)
    await lea.finish(session)
    await circle.sync()
    assert QuizRunner(ayu).keys_verified(session) is True


async def test_in_a_circle_file_the_key_stays_out_until_its_reveal(tmp_path):
    circle = await quiz_circle(tmp_path)
    lea = QuizRunner(circle.lead)
    ayu = circle.players[0]
    seen: list[bytes] = []
    pull = ayu.transport.pull

    async def recording_pull(cursor, wait=0.0, limit=0):
        pulled = await pull(cursor, wait, limit)
        seen.extend(encode_op(op) for op in pulled.ops)
        return pulled

    ayu.transport.pull = recording_pull  # type: ignore[method-assign]
    ayu.store.set_cursor(ayu.record.id, ayu.transport.kind, "")  # read the file from its start

    # The three-question quiz of the other tests: question 3's key is "8 (or 7 ± 1)".
    session = (await lea.start(circle.quiz)).id
    await circle.sync()
    for index, answer in enumerate([[1], [1], 8.0]):
        await lea.open_question(session, index)
        await circle.sync()
        circle.clock.advance(1000)
        await QuizRunner(circle.players[1]).answer(session, index, answer)
        await circle.sync()
        key = b'"key":' + msgspec.json.encode(
            msgspec.convert(msgspec.to_builtins(FILE_QUIZ_KEYS[index]), Key)
        )
        received = b"\n".join(seen)
        assert key not in received  # not this question's key…
        assert received.count(b'"type":"quiz.reveal"') == index  # …only earlier reveals
        # In a file circle everyone's answers are readable at once: nothing can seal them.
        assert b'"type":"quiz.answer"' in received
        await lea.close(session)
        await lea.reveal(session)
        await circle.sync()
        assert key in b"\n".join(seen)
    assert b'"keys":' not in b"\n".join(seen)  # quiz.create carried only the hash
    assert QuizRunner(ayu).keys_verified(session) is True


async def test_a_sealed_answer_waits_and_lands_where_the_server_puts_it_without_refolds(
    site, tmp_path, monkeypatch
):
    clock = Clock(now_ms())
    server_clock(monkeypatch, clock)
    monkeypatch.setattr(circle_module, "QUIET_HOLD_S", 0.0)  # every "has answered" at once
    circle = await server_quiz_circle(tmp_path, site, clock, questions=QUESTIONS, keys=KEYS)
    lea = QuizRunner(circle.lead)
    ayu, budi, citra = circle.players
    session = (await lea.start(circle.quiz)).id
    await circle.sync()
    await lea.open_question(session, 0)
    await circle.sync()
    mine = await QuizRunner(ayu).answer(session, 0, "ayu-guess")
    clock.advance(1500)  # the server's receive time, which speed scoring uses, is later
    await ayu.sync_once()  # taken, sealed: still pending in Ayu's replica
    assert [op.id for op in ayu.replica.pending] == [mine.id]
    folds = []
    real_fold = reducer.fold
    monkeypatch.setattr(reducer, "fold", lambda *args: folds.append(1) or real_fold(*args))
    for player in (budi, citra):
        await QuizRunner(player).answer(session, 0, ANSWERS[player.state.members[player.me].name])
        await player.sync_once()
        await ayu.sync_once()  # "Budi has answered", "Citra has answered"
    assert folds == []  # folded on top of Ayu's own answer, not the whole log again
    assert ayu.state.sessions[session].answered[0] == {ayu.me, budi.me, citra.me}
    assert [
        (who, answer) for who, (answer, _) in ayu.state.sessions[session].answers[0].items()
    ] == [(ayu.me, "ayu-guess")]

    await lea.close(session)
    await circle.lead.sync_once()
    folds.clear()  # the lead's own (its close was pending when the log came back)
    await ayu.sync_once()  # the three answers, then the close
    assert folds == [] and ayu.replica.pending == []  # taken back and put in its place
    fresh = Replica(ayu.state.id, "seq")
    fresh.add(ayu.store.load_ops(ayu.state.id))
    assert fresh.state == ayu.state
