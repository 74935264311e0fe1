"""``permissions.may``: the reducer's own rule, asked before an op exists.

The app decides what to offer with it (footer, palette, forms), so it must agree with
``refusal`` exactly when given a whole op, and an early "no" from part of an op must be
the "no" the whole op would get.
"""

import random

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from studycircle_tui.core import permissions, reducer
from studycircle_tui.core.ops import op_time_ms
from studycircle_tui.core.rota import moderator_at
from studycircle_tui.core.state import CircleState
from test_reducer import START_MS, Circle
from test_reducer_properties import histories

DAY_MS = 24 * 3600 * 1000


@pytest.fixture
def qa_circle() -> tuple[Circle, dict[str, str]]:
    """A question thread with an answer, its asker, a helper, a bystander, a moderator."""
    circle = Circle()
    people = {
        "asker": circle.join("Budi"),
        "helper": circle.join("Citra"),
        "other": circle.join("Dewi"),
        "mod": circle.join("Eko", "moderator"),
    }
    channel = circle.do(circle.lead, "channel.create", name="limits")
    question = circle.thread(people["asker"], channel, "question", "0.999…=1?")
    answer = circle.do(people["helper"], "post.create", thread=question, text="Gap is 0.")
    return circle, {**people, "channel": channel, "question": question, "answer": answer}


@settings(max_examples=40, deadline=None)
@given(histories(strict=True, max_steps=60), st.randoms(use_true_random=False))
def test_may_agrees_with_the_reducer_on_whole_and_partial_ops(history, rng: random.Random):
    state = CircleState(history.circle_id)
    ops = sorted(history.ops, key=lambda op: (op.hlc, op.id))
    checked = 0
    for op in ops:
        # Nobody asks ahead about creating the circle: its op's id is the circle's.
        if op.circle == state.id and op.type != "circle.create":
            fields = msgspec.structs.asdict(op.data)
            reason = permissions.refusal(state, op)
            whole = permissions.may(state, op.actor, op.type, op_time_ms(op), **fields)
            assert whole == permissions.Verdict(reason), op
            # Any part of the data: a "no" is the whole op's "no"; a "yes" may be early.
            kept = {name: value for name, value in fields.items() if rng.random() < 0.5}
            part = permissions.may(state, op.actor, op.type, op_time_ms(op), **kept)
            if not part:
                assert part.reason == reason, (op, kept)
            checked += 1
        reducer.apply(state, op)
    assert checked


def test_a_role_is_asked_without_a_target(qa_circle):
    circle, people = qa_circle
    state, now = circle.state, 0
    assert not permissions.may(state, people["asker"], "post.hide", now)
    assert permissions.may(state, people["mod"], "post.hide", now)
    assert permissions.may(state, circle.lead, "channel.create", now)
    member_says = permissions.may(state, people["asker"], "channel.create", now)
    assert member_says.reason == "only a moderator or the lead may do this"


def test_a_thread_stands_in_for_the_answer_not_chosen_yet(qa_circle):
    circle, people = qa_circle
    state, question = circle.state, people["question"]
    asker = permissions.may(state, people["asker"], "answer.accept", 0, thread=question)
    other = permissions.may(state, people["helper"], "answer.accept", 0, thread=question)
    assert asker and other.reason == "only the asker may accept an answer"
    assert permissions.may(state, people["mod"], "answer.verify", 0, thread=question)
    assert not permissions.may(state, people["helper"], "answer.verify", 0, thread=question)
    discussion = circle.thread(people["asker"], people["channel"])
    in_discussion = permissions.may(state, people["asker"], "answer.accept", 0, thread=discussion)
    assert "question thread" in (in_discussion.reason or "")
    # With the post chosen, the post decides too.
    on_question = permissions.may(state, people["asker"], "answer.accept", 0, post=question)
    assert on_question.reason == "the question itself is not an answer"


def test_whoever_is_on_the_rota_moderates_on_their_day(qa_circle):
    circle, people = qa_circle
    helper = people["helper"]
    circle.do(
        circle.lead,
        "moderator.rota",
        volunteers=[helper],
        start="2024-07-01",
        period_days=7,
        tz="UTC",
    )
    rota = circle.state.rota
    days = range(START_MS, START_MS + 30 * DAY_MS, DAY_MS)
    on_duty = next(at for at in days if moderator_at(rota, at) == helper)
    assert permissions.moderates(circle.state, helper, on_duty)
    assert permissions.may(circle.state, helper, "post.hide", on_duty, post=people["answer"])
    assert not permissions.moderates(circle.state, people["other"], on_duty)
