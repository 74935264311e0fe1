"""What arrived while a member was away (in focus mode, say): new posts by others since a
moment, grouped by channel and thread, busiest first."""

from dataclasses import dataclass

from .folding import names_for
from .state import CircleState


@dataclass(frozen=True, slots=True)
class Arrival:
    channel_id: str
    thread_id: str
    posts: int
    mentions: int  # of those, how many @mention the member


def arrivals_since(state: CircleState, member_id: str, since_ms: int) -> list[Arrival]:
    member = state.members.get(member_id)
    names = names_for(member.name) if member else set()
    found: dict[str, list[int]] = {}
    for post in state.posts.values():
        if post.created_ms < since_ms or post.author == member_id or post.deleted:
            continue
        counts = found.setdefault(post.thread_id, [0, 0])
        counts[0] += 1
        if names.intersection(post.mentions):  # as the Mentions view counts them
            counts[1] += 1
    arrivals = [
        Arrival(state.threads[thread_id].channel_id, thread_id, posts, mentions)
        for thread_id, (posts, mentions) in found.items()
    ]
    return sorted(arrivals, key=lambda a: (-a.mentions, -a.posts, a.thread_id))
