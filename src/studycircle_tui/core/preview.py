"""A circle's preview: the part of its log a new member folds first, to see the channels
and the newest threads within seconds on a slow link, while the whole log follows.

The preview is a subset of the log, in its order, chosen so that what it shows folds
exactly as in the whole log: everything about the circle itself (members, roles, rules,
channels, the schedule and rota), then whole threads (the op that made each and every
op on its posts), the most recently active first, taking each channel's newest in turn
so every channel has some. A discussion op reads nothing of the state but those (its
thread, its posts, who may do what), so each thread in the preview folds to what the
whole log makes of it. Notes and quizzes wait for the whole log.

The preview is a view, never the replica: a client shows it until its own fold of the
whole log has come as far as the preview did, and then shows that. So the rule that
every replica folds to the same state once it has the whole log is untouched.
"""

from collections.abc import Iterable, Sequence

from .ops import (
    AnswerAccept,
    AnswerVerify,
    Op,
    PostCreate,
    PostDelete,
    PostEdit,
    PostFlag,
    PostHide,
    PostReact,
    ThreadCreate,
)
from .state import CircleState

# Ops about the circle itself, all in every preview: few, and read by everything else.
CIRCLE_TYPES = frozenset(
    {
        "circle.create",
        "circle.update",
        "member.join",
        "member.key",  # the keys the threads' ops are signed with
        "member.update",
        "member.role",
        "member.remove",
        "rules.accept",
        "channel.create",
        "channel.update",
        "channel.archive",
        "schedule.set",
        "moderator.rota",
    }
)
# Ops on one thread or its posts: a thread is in a preview with all of them, or not.
_BY_POST = (PostEdit, PostDelete, PostReact, PostFlag, PostHide, AnswerAccept, AnswerVerify)


def thread_of(state: CircleState, op: Op) -> str | None:
    """The thread an op is about (``state`` has folded it), or None."""
    if isinstance(op, ThreadCreate):
        return op.id
    if isinstance(op, PostCreate):
        return op.data.thread
    if isinstance(op, _BY_POST):
        post = state.posts.get(op.data.post)
        return post.thread_id if post is not None else None
    return None


def newest_threads(state: CircleState) -> list[str]:
    """Every thread, by channel in turn: each channel's most recently active, then each
    one's second, and so on (channels in the order they were made)."""
    by_channel = [
        sorted(
            state.channels[channel].thread_ids,
            key=lambda tid: (state.threads[tid].last_activity_ms, tid),
            reverse=True,
        )
        for channel in state.channel_order
    ]
    turns = max(map(len, by_channel), default=0)
    return [threads[turn] for turn in range(turns) for threads in by_channel if turn < len(threads)]


def choose(
    state: CircleState, log: Sequence[tuple[str, str | None, int]], budget: int
) -> list[int]:
    """Which entries of ``log`` — (op type, its thread or None, its size in bytes) for
    each op, in log order — make the preview: the positions, in order.

    Every circle op; then whole threads, newest first in turn across channels, while
    their ops fit in ``budget`` bytes (a thread too big for what is left is passed over
    for smaller ones after it)."""
    sizes: dict[str, int] = {}
    for _, thread, size in log:
        if thread is not None:
            sizes[thread] = sizes.get(thread, 0) + size
    left = budget
    chosen: set[str] = set()
    for thread in newest_threads(state):
        size = sizes.get(thread, 0)
        if size <= left:
            chosen.add(thread)
            left -= size
    return [
        index
        for index, (kind, thread, _) in enumerate(log)
        if kind in CIRCLE_TYPES or (thread is not None and thread in chosen)
    ]


def threads_in(state: CircleState, ops: Iterable[Op]) -> set[str]:
    """The threads a preview's ops show (those whose creating op is among them)."""
    return {op.id for op in ops if op.type == "thread.create" and op.id in state.threads}
