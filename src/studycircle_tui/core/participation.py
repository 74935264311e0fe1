"""Participation made visible: who posts, answers, takes quizzes and edits notes, and
who only reads, over the last N days; plus nudges that help a lead keep a group alive.

Counts are by when the thing was written (a post's creation, a revision's time), so a
window's figures never change as later ops arrive for older things, except an answer
accepted or verified later, which counts for the window its answer was written in.
"""

from dataclasses import dataclass, field

from .messages import N_, Message
from .state import CircleState, Thread

DAY_MS = 86_400_000


@dataclass(slots=True)
class Activity:
    member_id: str
    name: str
    posts: int = 0
    answers: int = 0
    accepted: int = 0
    verified: int = 0
    quizzes: int = 0
    notes_edited: int = 0

    @property
    def total(self) -> int:
        return self.posts + self.quizzes + self.notes_edited


@dataclass(slots=True)
class Report:
    days: int
    since_ms: int
    members: list[Activity]  # busiest first
    totals: Activity
    readers_only: int  # current members who wrote nothing in the window
    unanswered: list[Thread]  # questions without an accepted or verified answer, oldest first
    waiting_long: list[Thread]  # of those, the ones older than the threshold
    nudges: list[str] = field(default_factory=list)


def report(state: CircleState, now_ms: int, days: int, unanswered_days: int = 3) -> Report:
    since = now_ms - days * DAY_MS
    current = {mid: m for mid, m in state.members.items() if not m.removed}
    activity = {mid: Activity(mid, member.name) for mid, member in current.items()}

    def counted(member_id: str, at_ms: int) -> Activity | None:
        return activity.get(member_id) if since <= at_ms <= now_ms else None

    for post in state.posts.values():
        entry = counted(post.author, post.created_ms)
        if entry is None or post.deleted:
            continue
        entry.posts += 1
        thread = state.threads[post.thread_id]
        if thread.kind == "question" and post.id != thread.id:
            entry.answers += 1
            entry.accepted += post.accepted
            entry.verified += post.verified_by is not None
    for quiz in state.quizzes.values():
        for member_id, at_ms, _ratio in quiz.results:
            entry = counted(member_id, at_ms)
            if entry is not None:
                entry.quizzes += 1
    for session in state.sessions.values():
        if session.mode != "live":
            continue
        players = set().union(*session.answered.values()) if session.answered else set()
        for player in players:
            entry = counted(player, session.started_ms)
            if entry is not None:
                entry.quizzes += 1
    for note in state.notes.values():
        for revision in note.revisions.values():
            entry = counted(revision.author, revision.at_ms)
            if entry is not None:
                entry.notes_edited += 1

    members = sorted(activity.values(), key=lambda a: (-a.total, a.name.casefold()))
    totals = Activity("", "circle")
    for entry in members:
        for name in ("posts", "answers", "accepted", "verified", "quizzes", "notes_edited"):
            setattr(totals, name, getattr(totals, name) + getattr(entry, name))
    unanswered = sorted(
        (t for t in state.threads.values() if t.kind == "question" and not t.answered),
        key=lambda thread: thread.created_ms,
    )
    waiting_long = [t for t in unanswered if now_ms - t.created_ms > unanswered_days * DAY_MS]
    readers_only = sum(1 for entry in members if entry.posts == 0)
    result = Report(days, since, members, totals, readers_only, unanswered, waiting_long)
    result.nudges = _nudges(state, result, now_ms)
    return result


def _nudges(state: CircleState, result: Report, now_ms: int) -> list[str]:
    """Sentences for the lead, as ``Message``s (said in each member's language); the
    English form by the count, as each front end's catalog has a sentence for each."""
    nudges: list[str] = []
    if result.unanswered:
        count = len(result.unanswered)
        if count == 1:
            nudges.append(Message("{count} question waits for an answer", count=count))
        else:
            nudges.append(Message("{count} questions wait for an answer", count=count))
    authors = {post.author for post in state.posts.values()}
    never_posted = [m for m in state.members.values() if not m.removed and m.id not in authors]
    if never_posted:
        count = len(never_posted)
        if count == 1:
            nudges.append(Message("{count} member has not posted yet — try a quiz", count=count))
        else:
            nudges.append(Message("{count} members have not posted yet — try a quiz", count=count))
    flagged = [p for p in state.posts.values() if p.flags and not p.hidden and not p.deleted]
    if flagged:
        count = len(flagged)
        if count == 1:
            nudges.append(Message("{count} flagged post waits for a moderator", count=count))
        else:
            nudges.append(Message("{count} flagged posts wait for a moderator", count=count))
    if not state.schedule:
        nudges.append(N_("no session is scheduled — set one so the group keeps meeting"))
    if result.totals.posts == 0 and state.members:
        nudges.append(
            Message("nobody has posted in {days} days — start a discussion", days=result.days)
        )
    return nudges


def visible_to(result: Report, state: CircleState, viewer: str) -> Report:
    """What ``viewer`` may see: everything for the lead and moderators, or when the circle
    shares its board; otherwise only their own line beside the circle's totals."""
    if state.shared_board or state.is_at_least(viewer, "moderator"):
        return result
    own = [entry for entry in result.members if entry.member_id == viewer]
    return Report(
        result.days,
        result.since_ms,
        own,
        result.totals,
        result.readers_only,
        result.unanswered,
        result.waiting_long,
        [],
    )
