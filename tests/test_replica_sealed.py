"""A member's own quiz answer, sealed by the server until its question closes, waits in
the member's replica without a rebase and lands where the server puts it (core/replica.py).

Property: through a live quiz of several questions, whatever batches the log arrives in,
the replica's state is at every step the fold of what has arrived with the member's
unconfirmed answers on top, and in the end the fold of the server's log — while the
replica never refolds."""

import os

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from studycircle_tui.core import reducer
from studycircle_tui.core.ops import SERVER_ACTOR, Op
from studycircle_tui.core.reducer import fold
from studycircle_tui.core.replica import Replica

START_MS = 1_795_000_000_000
PEOPLE = ["01" + letter * 24 for letter in "BCDEFG"]  # PEOPLE[0] leads; the rest play


def _maker():
    """``make(actor, type, data)``: ops stamped one millisecond apart, as made."""
    stamps = Replica("0" * 26)
    clock = iter(range(START_MS, START_MS + 10**9))

    def make(actor: str, type_name: str, data: dict, circle: str | None = None) -> Op:
        if circle is not None:
            stamps.circle_id = circle
        return stamps.make(actor, type_name, data, next(clock), os.urandom(10))

    return make


def _quiz_log(data, questions: int) -> tuple[list[Op], str, list[tuple[int, Op]]]:
    """A server's log of a live quiz, seq and receive times given; the member "me" whose
    replica is followed; and for each answer of mine, the seq after which I made it (the
    question's open) and the op as I made it."""
    make = _maker()
    lead, players = PEOPLE[0], PEOPLE[1 : 1 + data.draw(st.integers(1, 5))]
    me = data.draw(st.sampled_from(players))
    created = make(lead, "circle.create", {"name": "Club", "lead_name": "Lea", "hosted": True})
    circle = created.id
    log = [created]
    log += [make(p, "member.join", {"name": p[-3:]}, circle) for p in players]
    asked = [{"kind": "true_false", "text": "?", "choices": ["True", "False"]}] * questions
    quiz = make(lead, "quiz.create", {"title": "Q", "questions": asked, "key_hash": "sha256:x"})
    session = make(lead, "quiz.start", {"quiz": quiz.id, "mode": "live"})
    log += [quiz, session]
    mine: list[tuple[int, Op]] = []
    for question in range(questions):
        ref = {"session": session.id, "question": question}
        log.append(make(lead, "quiz.open", {**ref, "deadline": START_MS * 2}))
        opened_at = len(log)
        answering = data.draw(st.permutations(players))[: data.draw(st.integers(0, len(players)))]
        answers = []
        for player in answering:  # sealed as they come: only "has answered" is logged
            answer = make(player, "quiz.answer", {**ref, "answer": [data.draw(st.integers(0, 1))]})
            answers.append(answer)
            log.append(make(SERVER_ACTOR, "quiz.answered", {**ref, "player": player}))
            if player == me:
                mine.append((opened_at, answer))
        log += sorted(answers, key=lambda op: op.id)  # unsealed just before the close
        log.append(make(lead, "quiz.close", ref))
        log.append(make(lead, "quiz.reveal", {**ref, "key": {"choices": [0]}}))
    confirmed = [
        msgspec.structs.replace(op, seq=seq, at=START_MS + 7 * seq)
        for seq, op in enumerate(log, start=1)
    ]
    return confirmed, me, mine


@settings(max_examples=150, deadline=None)
@given(st.data(), st.integers(1, 3))
def test_sealed_answers_wait_and_land_in_place_without_a_refold(data, questions):
    log, me, mine = _quiz_log(data, questions)
    replica = Replica(log[0].circle, "seq")
    refolds = []
    replica_fold = reducer.fold
    reducer.fold = lambda *args: refolds.append(1) or replica_fold(*args)
    try:
        arrived: list[Op] = []
        unresolved: list[Op] = []
        position = 0
        while position < len(log):
            due = [op for after, op in mine if after == position]
            for answer in due:  # I answer as soon as I see the question open
                assert replica.add_local(answer).applied == [answer]
                replica.seal(answer.id)  # the server took it
                unresolved.append(answer)
            size = data.draw(st.integers(1, len(log) - position))
            stop = min([position + size, *(after for after, _ in mine if after > position)])
            batch = log[position:stop]
            position = stop
            replica.add(batch)
            arrived += batch
            landed = {op.id for op in batch}
            unresolved = [op for op in unresolved if op.id not in landed]
            assert replica.state == fold(log[0].circle, [*arrived, *unresolved])
            assert [op.id for op in replica.pending] == [op.id for op in unresolved]
    finally:
        reducer.fold = replica_fold
    assert refolds == []
    assert replica.state == fold(log[0].circle, log)
    answers = [op for op in log if op.type == "quiz.answer" and op.actor == me]
    assert len(answers) == len(mine)
