"""Read-only questions the discussion views ask of a circle's state.

Pure functions over ``CircleState``: which threads a channel lists and in what order,
the open questions, where the next unread thread is, who may do what to a post. They
walk threads (thousands), never every post.
"""

from .messages import Message
from .state import CircleState, Post, Thread


def channels_in_order(state: CircleState) -> list[str]:
    """The ids of the channels a member can post in, in the order they were made."""
    return [cid for cid in state.channel_order if not state.channels[cid].archived]


def find_channel(state: CircleState, wanted: str) -> str:
    """A channel's id from its id, or its name with or without ``#`` in any case (an
    archived channel only by id); raises ValueError naming the channels there are."""
    if wanted in state.channels:
        return wanted
    name = wanted.strip().removeprefix("#").casefold()
    for channel_id in channels_in_order(state):
        if state.channels[channel_id].name.casefold() == name:
            return channel_id
    known = ", ".join(f"#{state.channels[c].name}" for c in channels_in_order(state))
    if not known:
        raise ValueError(
            Message("no channel {name!r} in {circle!r}", name=wanted, circle=state.name)
        )
    raise ValueError(
        Message(
            "no channel {name!r} in {circle!r} (its channels: {known})",
            name=wanted,
            circle=state.name,
            known=known,
        )
    )


def threads_by_activity(state: CircleState, channel_id: str) -> list[str]:
    """A channel's thread ids, the most recently active first."""
    channel = state.channels.get(channel_id)
    if channel is None:
        return []
    threads = state.threads
    return sorted(
        channel.thread_ids, key=lambda tid: (threads[tid].last_activity_ms, tid), reverse=True
    )


def unanswered(state: CircleState) -> list[str]:
    """Open questions (no accepted or verified answer) in live channels, oldest first."""
    live = set(channels_in_order(state))
    open_questions = [
        thread
        for thread in state.threads.values()
        if thread.kind == "question"
        and not thread.answered
        and thread.channel_id in live
        and not state.posts[thread.id].deleted
    ]
    open_questions.sort(key=lambda thread: (thread.created_ms, thread.id))
    return [thread.id for thread in open_questions]


def next_unread(
    state: CircleState, me: str, channel_id: str | None, thread_id: str | None
) -> tuple[str, str] | None:
    """The (channel, thread) to read next: the first thread with unread posts, searching
    from the current channel onwards (wrapping round), each channel in list order."""
    channels = channels_in_order(state)
    if not channels:
        return None
    start = channels.index(channel_id) if channel_id in channels else 0
    for step in range(len(channels)):
        cid = channels[(start + step) % len(channels)]
        if not state.unread_in_channel(me, cid):
            continue
        for tid in threads_by_activity(state, cid):
            if tid != thread_id and state.unread_in_thread(me, tid):
                return cid, tid
    # Only the open thread has news: it is the one to read.
    if thread_id in state.threads and state.unread_in_thread(me, thread_id):
        return state.threads[thread_id].channel_id, thread_id
    return None


def first_unread_index(state: CircleState, me: str, thread_id: str) -> int:
    """The index of the first post ``me`` has not read (== post count when none)."""
    return state.read_upto.get(me, {}).get(thread_id, 0)


def may_see(state: CircleState, me: str, post: Post) -> bool:
    """Whether ``me`` reads a hidden post's text: its author and moderators do."""
    return not post.hidden or post.author == me or state.is_at_least(me, "moderator")


def thread_status(thread: Thread) -> str:
    """ "discussion", "open" (an unanswered question), "accepted" or "verified"."""
    if thread.kind != "question":
        return "discussion"
    if thread.verified_posts:
        return "verified"
    if thread.accepted_post is not None:
        return "accepted"
    return "open"
