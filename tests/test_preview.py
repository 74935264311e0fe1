"""A circle's preview (core/preview.py): the ops a new member folds first.

The promise that makes it safe to show: every thread in a preview folds to exactly what
the whole log makes of it (its posts, edits, reactions, accepted and verified answers,
hidden posts), and so do the members and channels; only which threads are there, and
the channels' lists of them, differ. Checked on the reducer property tests' histories:
people talking, moderating, leaving, refused and racing each other.
"""

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from studycircle_tui.core import preview, reducer
from studycircle_tui.core.ops import encode_op
from test_reducer_properties import (
    PROPERTY_SETTINGS,
    HypothesisDraws,
    histories,
    server_order,
    with_seqs,
)


def served_log(history, data):
    """The history as a server holds it: in its order, with seqs, no local-only ops."""
    shared = [op for op in history.ops if not op.LOCAL_ONLY]
    log = with_seqs(server_order(HypothesisDraws(data.draw), shared))
    state = reducer.fold(history.circle_id, [])
    applied = {op.id for op in reducer.apply_all(state, log)}
    log = with_seqs([op for op in log if op.id in applied])  # a server logs what it takes
    return log, reducer.fold(history.circle_id, log)


def preview_of(log, state, budget):
    entries = [(op.type, preview.thread_of(state, op), len(encode_op(op))) for op in log]
    return [log[index] for index in preview.choose(state, entries, budget)]


@PROPERTY_SETTINGS
@given(histories(), st.data(), st.integers(0, 6_000))
def test_property_a_previewed_thread_folds_as_in_the_whole_log(history, data, budget):
    log, whole = served_log(history, data)
    shown = reducer.fold(history.circle_id, preview_of(log, whole, budget))
    assert shown.members == whole.members
    assert (shown.name, shown.goal, shown.rules, shown.rules_version) == (
        whole.name,
        whole.goal,
        whole.rules,
        whole.rules_version,
    )
    for channel_id, channel in shown.channels.items():
        full = whole.channels[channel_id]
        assert set(channel.thread_ids) <= set(full.thread_ids)
        assert replace(channel, thread_ids=[], last_activity_ms=0) == replace(
            full, thread_ids=[], last_activity_ms=0
        )
    for thread_id, thread in shown.threads.items():
        assert thread == whole.threads[thread_id]
        for post_id in thread.post_ids:
            assert shown.posts[post_id] == whole.posts[post_id]
    assert set(shown.posts) == {post for t in shown.threads.values() for post in t.post_ids}


@PROPERTY_SETTINGS
@given(histories(), st.data(), st.integers(0, 5))
def test_property_the_newest_threads_come_first_and_all_fit_a_big_budget(history, data, k):
    log, whole = served_log(history, data)
    everything = reducer.fold(history.circle_id, preview_of(log, whole, 10**9))
    assert everything.threads == whole.threads and everything.posts == whole.posts
    # Room for exactly the first k threads in turn (each channel's newest, then each
    # one's second, …): those are the ones shown.
    first = preview.newest_threads(whole)[:k]
    size = {op.id: len(encode_op(op)) for op in log}
    room = sum(size[op.id] for op in log if preview.thread_of(whole, op) in first)
    shown = reducer.fold(history.circle_id, preview_of(log, whole, room))
    assert set(first) <= set(shown.threads)
    for channel_id in whole.channel_order:
        mine = whole.channels[channel_id].thread_ids
        if mine and k >= len(whole.channel_order):  # every channel had its turn
            newest = max(mine, key=lambda tid: (whole.threads[tid].last_activity_ms, tid))
            assert newest in shown.threads


def test_only_circle_ops_and_whole_threads_are_chosen():
    from studycircle_tui.core.state import Channel, CircleState, Thread

    state = CircleState("c")
    state.channels = {"a": Channel("a", "a", thread_ids=["t1", "t2"]), "b": Channel("b", "b")}
    state.channel_order = ["a", "b"]
    state.channels["b"].thread_ids = ["t3"]
    state.threads = {
        "t1": Thread("t1", "a", "old", "discussion", "x", 1, last_activity_ms=1),
        "t2": Thread("t2", "a", "new", "discussion", "x", 2, last_activity_ms=9),
        "t3": Thread("t3", "b", "other", "discussion", "x", 3, last_activity_ms=5),
    }
    log = [
        ("circle.create", None, 100),
        ("channel.create", None, 50),
        ("thread.create", "t1", 300),
        ("note.create", None, 5_000),
        ("thread.create", "t2", 300),
        ("post.create", "t2", 300),
        ("thread.create", "t3", 300),
        ("quiz.create", None, 900),
    ]
    # t2 (a's newest, 600 bytes) and t3 (b's newest) fit in 900; t1 does not.
    assert preview.choose(state, log, 900) == [0, 1, 4, 5, 6]
    assert preview.newest_threads(state) == ["t2", "t3", "t1"]
    assert preview.choose(state, log, 0) == [0, 1]
