"""A live question's time: answers sealed until it is over, refused after its deadline
(one second's grace) or while it is paused, and a question that is over stays over.

On a server the server's clock judges (its receive time, ``at``); in a circle file the
answer's own stamp does. Both go through ``permissions``, so every replica folds the
same answers the server accepted.
"""

import json
import os

import pytest
from msgspec.structs import replace

from quiz_helpers import Clock, server_clock, server_quiz_circle
from server_helpers import Member, Site, now_ms
from studycircle_tui.core import hlc, permissions
from studycircle_tui.core.ops import Op, decode_op
from studycircle_tui.core.permissions import ANSWER_GRACE_MS
from studycircle_tui.core.reducer import fold
from studycircle_tui.core.replica import Replica
from studycircle_tui.server import clock as hub_clock
from studycircle_tui.sync.quizrun import QuizRunner

QUESTION = {"kind": "true_false", "text": "Cells divide?", "choices": ["True", "False"]}


@pytest.fixture
async def quiz(tmp_path, monkeypatch):
    """A live quiz of two questions on a server whose clock the test moves; its lead,
    players Ana, Bo and Cy, and a helper for each quiz op."""
    clock = Clock(now_ms())
    monkeypatch.setattr(hub_clock, "now_ms", clock)
    site = await Site.start(tmp_path / "server", None)
    circle, lead = await site.circle_with_lead()
    players = [await site.join(await site.invite(circle), name) for name in ("Ana", "Bo", "Cy")]
    made = lead.make("quiz.create", {"title": "Cells", "questions": [QUESTION, QUESTION]})
    start = lead.make("quiz.start", {"quiz": made.id, "mode": "live"})
    await site.push(lead, made, start)
    clock.advance(1000)  # the first open, on a millisecond of its own
    yield LiveQuiz(site, clock, start.id, lead, *players)
    await site.close()


class LiveQuiz:
    def __init__(self, site, clock, session, lead, ana, bo, cy) -> None:
        self.site, self.clock, self.session = site, clock, session
        self.lead, self.ana, self.bo, self.cy = lead, ana, bo, cy

    async def host(self, type_name: str, question: int, **data) -> dict:
        """The lead's op, stamped by the lead's own clock (here the test machine's)."""
        op = self.lead.make(type_name, {"session": self.session, "question": question, **data})
        [result] = await self.site.push(self.lead, op)
        return result

    async def open(self, question: int, seconds: float) -> dict:
        """quiz.open with ``seconds`` left (0: a pause), counted from its own stamp."""
        data = {"session": self.session, "question": question, "deadline": 0}
        op = self.lead.make("quiz.open", data)
        if seconds:
            deadline = hlc.physical_ms(op.hlc) + int(seconds * 1000)
            op = self.lead.key.sign(replace(op, data=replace(op.data, deadline=deadline)))
        [result] = await self.site.push(self.lead, op)
        return result

    async def answer(self, player: Member, question: int, answer: str = "True") -> dict:
        data = {"session": self.session, "question": question, "answer": answer}
        [result] = await self.site.push(player, player.make("quiz.answer", data))
        return result

    async def seen_by(self, member: Member) -> list[dict]:
        return (await self.site.pull(member))["ops"]

    async def answers_seen_by(self, member: Member) -> set[str]:
        return {op["actor"] for op in await self.seen_by(member) if op["type"] == "quiz.answer"}

    async def folded_answers(self, member: Member, question: int) -> dict[str, object]:
        replica = Replica(self.lead.circle, "seq")
        replica.add([decode_op(json.dumps(op)) for op in await self.seen_by(member)])
        session = replica.state.sessions[self.session]
        return {who: answer for who, (answer, _) in session.answers.get(question, {}).items()}


def _sealed(result: dict) -> bool:
    return result.get("sealed") is True


async def test_more_time_a_pause_and_the_resume_never_unseal_answers(quiz):
    await quiz.open(0, 20)
    assert _sealed(await quiz.answer(quiz.ana, 0, "False"))
    for seconds in (30, 0, 25):  # more time, a pause, the resume: quiz.open each time
        quiz.clock.advance(1000)
        await quiz.open(0, seconds)
        assert await quiz.answers_seen_by(quiz.bo) == set()
        assert await quiz.answers_seen_by(quiz.cy) == set()
    assert _sealed(await quiz.answer(quiz.bo, 0))  # Bo saw nothing to copy
    await quiz.host("quiz.close", 0)
    assert await quiz.answers_seen_by(quiz.cy) == {quiz.ana.id, quiz.bo.id}


async def test_the_server_refuses_answers_after_the_deadline_by_its_own_clock(quiz):
    await quiz.open(0, 20)
    quiz.clock.advance(20_000 + ANSWER_GRACE_MS)  # the last moment that counts
    assert _sealed(await quiz.answer(quiz.ana, 0))
    quiz.clock.advance(1)
    assert (await quiz.answer(quiz.bo, 0))["error"] == "time is up for this question"
    await quiz.host("quiz.close", 0)
    for member in (quiz.lead, quiz.ana, quiz.bo, quiz.cy):  # every replica folds the same
        assert await quiz.folded_answers(member, 0) == {quiz.ana.id: "True"}


async def test_a_paused_question_takes_no_answers_and_answers_before_the_pause_count(quiz):
    await quiz.open(0, 20)
    quiz.clock.advance(5_000)
    assert _sealed(await quiz.answer(quiz.ana, 0))
    await quiz.open(0, 0)  # the pause, after Ana's answer
    quiz.clock.advance(60_000)  # a long pause: past the first deadline too
    assert (await quiz.answer(quiz.bo, 0))["error"] == "the question is paused"
    await quiz.open(0, 15)  # resumed with the 15 s that were left
    quiz.clock.advance(14_000)
    assert _sealed(await quiz.answer(quiz.bo, 0))
    quiz.clock.advance(2_500)
    assert (await quiz.answer(quiz.cy, 0))["error"] == "time is up for this question"
    await quiz.host("quiz.close", 0)
    # Ana's answer lands after the pause in the log, and is judged by its own time.
    expected = {quiz.ana.id: "True", quiz.bo.id: "True"}
    for member in (quiz.lead, quiz.ana, quiz.bo, quiz.cy):
        assert await quiz.folded_answers(member, 0) == expected


async def test_a_question_that_is_over_cannot_be_opened_again(quiz):
    await quiz.open(0, 20)
    assert _sealed(await quiz.answer(quiz.ana, 0))
    await quiz.host("quiz.close", 0)
    assert await quiz.answers_seen_by(quiz.bo) == {quiz.ana.id}  # Bo has seen Ana's answer…
    refused = "that question is over; it cannot be opened again"
    assert (await quiz.open(0, 30))["error"] == refused  # …so no more time for it
    assert (await quiz.answer(quiz.bo, 0))["error"] == "that question is closed"

    # Opening the next question without closing this one publishes its answers too.
    await quiz.open(1, 20)
    assert _sealed(await quiz.answer(quiz.ana, 1))
    assert (await quiz.open(0, 0))["error"] == refused  # question 0 is over
    assert (await quiz.open(0, 20))["error"] == refused
    await quiz.host("quiz.finish", 1)
    assert (await quiz.answer(quiz.bo, 1))["error"] == "that question is closed"
    answers = [op for op in await quiz.seen_by(quiz.bo) if op["type"] == "quiz.answer"]
    assert [(op["actor"], op["data"]["question"]) for op in answers] == [
        (quiz.ana.id, 0),
        (quiz.ana.id, 1),
    ]
    opens = [op for op in await quiz.seen_by(quiz.bo) if op["type"] == "quiz.open"]
    assert [op["data"]["question"] for op in opens] == [0, 1]


async def test_more_time_after_the_deadline_but_before_the_close_lets_latecomers_answer(quiz):
    """The answers are still sealed then, so no one has seen any: the host may still
    change their mind and give more time (the README says so)."""
    await quiz.open(0, 20)
    assert _sealed(await quiz.answer(quiz.ana, 0))
    quiz.clock.advance(25_000)
    assert (await quiz.answer(quiz.bo, 0))["error"] == "time is up for this question"
    assert await quiz.answers_seen_by(quiz.bo) == set()
    await quiz.open(0, 10)
    assert _sealed(await quiz.answer(quiz.bo, 0))
    await quiz.host("quiz.close", 0)
    assert await quiz.folded_answers(quiz.cy, 0) == {quiz.ana.id: "True", quiz.bo.id: "True"}


async def test_a_hosts_clock_that_is_off_neither_shortens_nor_stretches_a_question(quiz):
    """The question lasts its deadline less the open's own stamp, from when the server
    received the open: a lead five minutes slow still gives twenty seconds. (Ten quiet
    minutes first: a clock never stamps before what it has seen, and the server refuses
    an op stamped before its author's key was given, here at their joining.)"""
    quiz.clock.advance(600_000)
    slow = quiz.clock() - 300_000
    data = {"session": quiz.session, "question": 0, "deadline": slow + 20_000}
    slow_clock = Replica(quiz.lead.circle)
    opened = slow_clock.make(quiz.lead.id, "quiz.open", data, slow, os.urandom(10), quiz.lead.key)
    await quiz.site.push(quiz.lead, opened)
    quiz.clock.advance(19_000)
    assert _sealed(await quiz.answer(quiz.ana, 0))
    quiz.clock.advance(2_500)
    assert (await quiz.answer(quiz.bo, 0))["error"] == "time is up for this question"


# --- in a circle file: the answer's own stamp ----------------------------------------------

START_MS = 1_795_000_000_000


def _file_quiz() -> tuple[list[Op], dict]:
    """A circle file's ops: a lead, three players, a question open from START_MS for 20 s,
    and a maker of ops stamped at a given time."""
    lead, ana, bo, cy = ("01" + letter * 24 for letter in "LABC")
    maker = Replica("0" * 26)

    def make(actor: str, type_name: str, data: dict, ms: int) -> Op:
        return maker.make(actor, type_name, data, ms, os.urandom(10))

    created = make(lead, "circle.create", {"name": "Club", "lead_name": "Lea"}, START_MS - 9_000)
    maker.circle_id = created.id
    ops = [created]
    for offset, player in enumerate((ana, bo, cy)):
        ops.append(make(player, "member.join", {"name": player[-3:]}, START_MS - 8_000 + offset))
    quiz = make(lead, "quiz.create", {"title": "Q", "questions": [QUESTION]}, START_MS - 2_000)
    start = make(lead, "quiz.start", {"quiz": quiz.id, "mode": "live"}, START_MS - 1_000)
    ref = {"session": start.id, "question": 0}
    ops += [quiz, start, make(lead, "quiz.open", {**ref, "deadline": START_MS + 20_000}, START_MS)]
    people = {"lead": lead, "ana": ana, "bo": bo, "cy": cy}
    return ops, {"make": make, "ref": ref, "session": start.id, **people}


def test_in_a_file_an_answer_stamped_after_the_deadline_is_refused_in_any_order():
    ops, quiz = _file_quiz()
    make, ref = quiz["make"], quiz["ref"]
    in_grace = make(quiz["ana"], "quiz.answer", {**ref, "answer": "True"}, START_MS + 20_999)
    late = make(quiz["bo"], "quiz.answer", {**ref, "answer": "True"}, START_MS + 21_001)
    paused = make(quiz["lead"], "quiz.open", {**ref, "deadline": 0}, START_MS + 22_000)
    while_paused = make(quiz["cy"], "quiz.answer", {**ref, "answer": "True"}, START_MS + 23_000)
    log = [*ops, in_grace, late, paused, while_paused]
    for arrival in (log, log[::-1], log[::2] + log[1::2]):
        replica = Replica(ops[0].circle)
        for op in arrival:
            replica.add([op])
        answers = replica.state.sessions[quiz["session"]].answers[0]
        assert set(answers) == {quiz["ana"]}


def test_a_pending_answer_on_a_server_waits_for_the_servers_clock():
    """A member's own answer not yet received has no server time: their clock (here ten
    minutes past the deadline) does not refuse it; the server judges it on arrival."""
    ops, quiz = _file_quiz()
    hosted = replace(ops[0], data=replace(ops[0].data, hosted=True))
    state = fold(hosted.circle, [hosted, *ops[1:]])
    made = quiz["make"](quiz["ana"], "quiz.answer", {**quiz["ref"], "answer": "1"}, START_MS)
    pending = replace(made, hlc=hlc.encode(START_MS + 600_000, 0))
    assert permissions.refusal(state, pending) is None
    received = replace(pending, at=START_MS + 600_000, seq=len(ops) + 1)
    assert permissions.refusal(state, received) == "time is up for this question"


async def test_a_member_whose_clock_runs_ahead_does_not_cut_the_next_question_short(
    tmp_path, monkeypatch
):
    """Everyone's stamps follow the circle's fastest clock (here Ayu's, five minutes
    ahead): the lead's runner sets the deadline on that clock, so the question still
    lasts its twenty seconds on the server."""
    clock = Clock(now_ms())
    server_clock(monkeypatch, clock)
    site = await Site.start(tmp_path / "server", None)
    try:
        circle = await server_quiz_circle(tmp_path, site, clock)
        ayu, budi = circle.players[0], circle.players[1]
        ayu.now_ms = lambda: clock.ms + 300_000
        ayu.submit("member.update", {"name": "Ayu"})
        await circle.sync()  # everyone has seen a stamp five minutes ahead
        lead = QuizRunner(circle.lead)
        session = (await lead.start(circle.quiz)).id
        await lead.open_question(session, 0)
        await circle.sync()
        clock.advance(19_000)
        await QuizRunner(budi).answer(session, 0, [1])
        await circle.sync()
        assert budi.notices == []  # not refused
        assert circle.lead.state.sessions[session].answered[0] == {budi.me}
    finally:
        await site.close()
