"""What must hold in every state a circle reaches, whatever its members do: checked on
histories that make every op type (tests/histories.py), not only "the replica equals
the fold" (test_reducer_properties.py).

- a circle always has a lead;
- no player's answer reaches another player before its question closes (through the
  server hub's own admission, which seals answers);
- a hidden post is seen only by its author and moderators (through search, which shows
  posts' text to whoever asks);
- a removed member's later ops change nothing;
- a verification was made by someone who held the role at that moment;
- no member ever has a key another member has or had, but the one a lead gives a member
  who lost theirs (the key their new device joined with): a key is announced only by
  whoever holds it.
"""

import tempfile
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from histories import (
    History,
    HypothesisDraws,
    fold,
    histories,
    server_order,
    with_seqs,
    without_reports,
)
from search_helpers import scan
from studycircle_tui.core import hlc, reducer
from studycircle_tui.core.ops import SERVER_ACTOR, Op, decode_op, op_time_ms
from studycircle_tui.core.replica import Replica
from studycircle_tui.core.rota import moderator_at
from studycircle_tui.core.signing import Vouched
from studycircle_tui.core.state import CircleState
from studycircle_tui.server import clock as hub_clock
from studycircle_tui.server.circle import Circle
from studycircle_tui.server.hub import Hub
from studycircle_tui.server.sqlite_store import SqliteStore
from studycircle_tui.server.storage import Batch

INVARIANT_SETTINGS = settings(
    deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)


def steps(circle_id: str, ops: list[Op]) -> Iterator[tuple[CircleState, Op, bool]]:
    """Fold ``ops`` one at a time: the state after each, the op, whether it applied."""
    state = CircleState(circle_id)
    for op in ops:
        yield state, op, reducer.apply(state, op)


def leads(state: CircleState) -> list[str]:
    return [m.id for m in state.members.values() if m.role == "lead" and not m.removed]


@INVARIANT_SETTINGS
@given(histories(), st.data())
def test_a_circle_always_has_a_lead(history: History, data):
    in_server_order = with_seqs(server_order(HypothesisDraws(data.draw), history.ops))
    for ops in (history.sorted_ops(), in_server_order):
        for state, op, _ in steps(history.circle_id, ops):
            if state.created:
                assert leads(state), f"no lead left after {op.type} by {op.actor}"


@INVARIANT_SETTINGS
@given(histories())
def test_a_removed_members_later_ops_change_nothing(history: History):
    ops = history.sorted_ops()
    removed_at: dict[str, int] = {}
    for position, (_, op, applied) in enumerate(steps(history.circle_id, ops)):
        if applied and op.type == "member.remove":
            removed_at.setdefault(op.data.member, position)
    # Read marks excepted: they never leave the reader's device and touch only the
    # reader's own counts (permissions._read_mark says why they must commute).
    later = {
        op.id
        for position, op in enumerate(ops)
        if op.actor in removed_at and position > removed_at[op.actor] and not op.LOCAL_ONLY
    }
    # (One not signed by whom it claims is still reported: test_reducer_properties (e).)
    assert without_reports(fold(history.circle_id, ops)) == without_reports(
        fold(history.circle_id, [op for op in ops if op.id not in later])
    )


@INVARIANT_SETTINGS
@given(histories())
def test_a_verification_was_made_by_someone_who_held_the_role(history: History):
    state = CircleState(history.circle_id)
    for op in history.sorted_ops():
        held = state.is_at_least(op.actor, "moderator") or (
            moderator_at(state.rota, op_time_ms(op)) == op.actor
        )
        if reducer.apply(state, op) and op.type == "answer.verify":
            assert held, f"verified by {op.actor}, who was not a moderator then"
            assert state.posts[op.data.post].verified_by == op.actor


@INVARIANT_SETTINGS
@given(histories(), st.data())
def test_no_member_takes_a_key_another_member_holds(history: History, data):
    in_server_order = with_seqs(server_order(HypothesisDraws(data.draw), history.ops))
    for ops in (history.sorted_ops(), in_server_order):
        state = fold(history.circle_id, ops)
        holders: dict[str, set[str]] = {}
        for member, entries in state.keys.items():
            for entry in entries:
                if entry.reason != "lost":  # given by a lead from the member's new device
                    holders.setdefault(entry.key, set()).add(member)
        shared = {key: members for key, members in holders.items() if len(members) > 1}
        assert not shared, shared


# Each of histories.TEXTS has one word of its own: searching for them all finds every post.
WORDS = ("why", "gap", "see", "thanks", "disagree")


@INVARIANT_SETTINGS
@given(histories())
def test_a_hidden_post_is_seen_only_by_its_author_and_moderators(history: History):
    ops = history.sorted_ops()
    state = fold(history.circle_id, ops)
    viewers = [person.id for person in history.people]
    for viewer in viewers:
        found = {hit.post_id for word in WORDS for hit in scan(state, ops, word, viewer).hits}
        moderator = state.is_at_least(viewer, "moderator")
        for post in state.posts.values():
            if post.deleted:
                assert post.id not in found
                continue
            sees = not post.hidden or post.author == viewer or moderator
            assert (post.id in found) == sees, (post.hidden, post.author == viewer, moderator)


# --- answers stay sealed until their question closes (server circles) -----------------


@pytest.fixture(scope="module")
def hub() -> Iterator[Hub]:
    with tempfile.TemporaryDirectory() as folder:
        # Never opened: admission is in memory, and nothing here is ever written.
        yield Hub(SqliteStore(Path(folder)))


def published(hub: Hub, history: History, ops: list[Op]) -> list[Op]:
    """The log a server publishes when members push ``ops`` in this order.

    Each op goes through ``Hub.admit`` as its author's push (the server makes its own
    ``quiz.answered``, so the history's are left out), on a hub whose clock reads each
    op's own stamp: as if everyone's clock were right."""
    replica = Replica(history.circle_id, "seq", signatures=Vouched())
    circle = Circle(history.circle_id, "Calculus I", replica, hub.key)
    batch = Batch(tx=None)  # never committed: only what it stages is read
    for op in ops:
        if op.actor == SERVER_ACTOR or op.LOCAL_ONLY:
            continue
        if op.type == "suggestion.create" and op.data.anonymous:
            continue  # held on a timer of the event loop's; nothing to do with quizzes
        now = hlc.physical_ms(op.hlc)
        with mock.patch.object(hub_clock, "now_ms", return_value=now):
            hub.admission.push(circle, op.actor, op, batch)
    return [decode_op(entry.raw) for _, entry in batch.staged]


@INVARIANT_SETTINGS
@given(histories(), st.data())
def test_no_answer_reaches_another_player_before_its_close(hub, history: History, data):
    arrival = server_order(HypothesisDraws(data.draw), history.ops)
    log = published(hub, history, arrival)
    out: set[tuple[str, int]] = set()  # (session, question) whose answers are in the log
    story: list[str] = []  # the quiz ops so far, to say what happened
    for state, op, _ in steps(history.circle_id, log):
        if op.type.startswith("quiz.") and op.type != "quiz.answered":
            story.append(f"{op.type}({getattr(op.data, 'question', '')})")
        if op.type == "quiz.answer":
            # The sealed answers go out together, just before the op that closes them.
            out.add((op.data.session, op.data.question))
            continue
        for session_id, question in out:
            session = state.sessions[session_id]
            answerable = (
                not session.finished
                and session.current == question
                and question not in session.closed
            )
            assert not answerable, " ".join(story)
