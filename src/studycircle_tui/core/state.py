"""The state a circle's log folds into.

Plain slotted dataclasses, built and mutated only by ``reducer.apply``. Lists that views
page through are kept as indexes (threads by channel, posts by thread, posts by the names
they @mention) so a screen never scans every op. Entities take the id of the op that
created them. Posts, the many, are msgspec structs in a table of their own
(``core/posts.py``); their texts stay in the local store.
"""

from dataclasses import dataclass, field

from .notetext import NoteTexts, Patch
from .ops import AnswerValue, Key, Question, Session
from .posts import Flag as Flag  # re-exported: posts are part of the state
from .posts import Post as Post
from .posts import PostTable
from .signing import KeyEntry, Signatures

ROLE_RANK = {"member": 0, "moderator": 1, "lead": 2}


@dataclass(slots=True)
class Member:
    id: str
    name: str
    role: str = "member"
    joined_ms: int = 0
    removed: bool = False
    rules_accepted: int = -1  # the rules version this member last accepted


@dataclass(slots=True)
class Channel:
    id: str
    name: str
    goal: str = ""
    archived: bool = False
    created_ms: int = 0
    thread_ids: list[str] = field(default_factory=list)
    last_activity_ms: int = 0


@dataclass(slots=True)
class Thread:
    id: str
    channel_id: str
    title: str
    kind: str  # "discussion" | "question"
    author: str
    created_ms: int
    post_ids: list[str] = field(default_factory=list)
    last_activity_ms: int = 0
    accepted_post: str | None = None
    verified_posts: set[str] = field(default_factory=set)

    @property
    def reply_count(self) -> int:
        return len(self.post_ids) - 1

    @property
    def answered(self) -> bool:
        return self.accepted_post is not None or bool(self.verified_posts)


@dataclass(slots=True)
class Revision:
    id: str
    author: str
    at_ms: int
    title: str
    # The base it was made from (empty for the first); a merge has two: the head it was
    # merged into, then the revision that caused it.
    parents: tuple[str, ...]
    restored_from: str | None = None
    size: int = 0  # bytes of text as UTF-8
    conflicts: int = 0  # unresolved conflict blocks a merge left in the text
    # How its text is had (see notetext.py), so not part of what a revision is: the whole
    # text (an op carried it, or it is one kept along a chain), or a patch against
    # ``source``'s, or (a restore) ``restored_from``'s. ``depth``: patches since the
    # last whole text on its chain. Read the text with ``Note.text_of``.
    full: str | None = field(default=None, compare=False, repr=False)
    patch: Patch | None = field(default=None, compare=False, repr=False)
    source: str | None = field(default=None, compare=False)
    depth: int = field(default=0, compare=False)
    # Whether its text is the same in every replica's final fold. A merge's is not while
    # an op folded before it may still arrive (a file circle; a server circle's merge
    # caused by an op not yet confirmed): its labels and lines can change. A patch
    # against such a text could hit other lines there, so one is saved whole instead.
    settled: bool = field(default=True, compare=False)

    @property
    def is_merge(self) -> bool:
        return len(self.parents) == 2


@dataclass(slots=True, eq=False)
class Note:
    id: str
    title: str
    channel_id: str | None
    created_by: str
    revisions: dict[str, Revision] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)  # revision ids in fold order
    head: str = ""  # the newest revision, or the merge a concurrent revision caused
    texts: NoteTexts = field(default_factory=NoteTexts, repr=False)

    def text_of(self, revision_id: str) -> str:
        """The text of any of its revisions (rebuilt from patches when not kept)."""
        return self.texts.text(self.revisions, revision_id)

    @property
    def text(self) -> str:
        return self.texts.text(self.revisions, self.head)

    @property
    def needs_merge(self) -> bool:
        """The text holds conflict blocks that no one has resolved yet."""
        return self.revisions[self.head].conflicts > 0

    @property
    def last(self) -> Revision:
        return self.revisions[self.head]

    def snapshot(self) -> "Note":
        """A copy a thread can read while the app folds new revisions into this one."""
        return Note(
            self.id,
            self.title,
            self.channel_id,
            self.created_by,
            dict(self.revisions),
            list(self.order),
            self.head,
            self.texts.copy(),
        )

    def __eq__(self, other: object) -> bool:
        # Two notes are equal when everything about them is, every revision's text
        # included, however each replica happens to keep those texts.
        if not isinstance(other, Note):
            return NotImplemented
        fields = ("id", "title", "channel_id", "created_by", "revisions", "order", "head")
        return all(getattr(self, name) == getattr(other, name) for name in fields) and all(
            self.text_of(revision) == other.text_of(revision) for revision in self.order
        )

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value


@dataclass(slots=True)
class QuizSession:
    id: str
    quiz_id: str
    host: str
    mode: str
    scoring: str
    streak: bool
    top_n: int
    started_ms: int
    current: int = -1  # the open or last opened question
    deadline_ms: int = 0
    closed: set[int] = field(default_factory=set)
    answered: dict[int, set[str]] = field(default_factory=dict)  # who, not what
    # (the answer, when): typed exactly, so a snapshot gives back what the op carried
    answers: dict[int, dict[str, tuple[AnswerValue, int]]] = field(default_factory=dict)
    revealed: dict[int, Key] = field(default_factory=dict)
    opened_ms: dict[int, int] = field(default_factory=dict)
    # Every quiz.open of a question as (time, when its time is up), both on the circle's
    # clock (see reducer._quiz_open): 0 pauses it, a later open resumes it or adds time
    # (quizscore.running_ms reads it for speed, permissions for late answers).
    opens: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    salts: dict[int, str] = field(default_factory=dict)  # from each quiz.reveal
    # When each reveal was made, by its host's clock (the clock ``deadline_ms`` is on):
    # a hands-free session asks its next question ``hands_free`` seconds after it.
    revealed_ms: dict[int, int] = field(default_factory=dict)
    finished: bool = False
    hands_free: int = 0  # seconds the leaderboard shows between questions; 0: by hand
    # Who came in (quiz.join), each with the first question they play: a player who
    # joins once questions are being asked plays from the next one. Who left since.
    joined: dict[str, int] = field(default_factory=dict)
    left: set[str] = field(default_factory=set)

    def playing(self, question: int) -> set[str]:
        """The players in for ``question``: joined in time and not gone. (Whoever
        answered it played it too; see ``quizrun.players_expected``.)"""
        return {
            player
            for player, first in self.joined.items()
            if first <= question and player not in self.left
        }


@dataclass(slots=True)
class Quiz:
    id: str
    title: str
    channel_id: str | None
    author: str
    questions: list[Question]
    keys: list[Key] | None
    key_hash: str | None
    created_ms: int
    session_ids: list[str] = field(default_factory=list)
    best: dict[str, float] = field(default_factory=dict)  # member -> best practice ratio
    results: list[tuple[str, int, float]] = field(default_factory=list)  # member, ms, ratio
    key_hashes: list[str] | None = None  # one salted hash per question (core/quizkeys.py)


@dataclass(slots=True)
class Suggestion:
    id: str
    author: str
    text: str
    anonymous: bool
    created_ms: int
    status: str = "open"
    reply: str = ""


@dataclass(slots=True)
class Rota:
    volunteers: list[str]
    start: str
    period_days: int
    tz: str


@dataclass(slots=True)
class ModerationEntry:
    op_id: str
    actor: str  # for a refused op ("forged", "unsigned"): whom it claimed to be by
    action: str
    target: str  # for a refused op: the type it claimed to be
    at_ms: int
    note: str = ""  # for a refused op: why


@dataclass(slots=True)
class CircleState:
    id: str
    name: str = ""
    goal: str = ""
    rules: str = ""
    rules_version: int = 0
    shared_board: bool = False  # members see everyone's participation, not only their own
    created: bool = False
    hosted: bool = False  # created by a server (CircleCreateData.hosted)
    # The schema version of its circle.create: 2 and on, every rotation proves its key.
    schema: int = 1
    # Each member's keys by the stamp they took effect ("@server": a hosting server's);
    # see core/signing.py. A member with none signs nothing (made before signing).
    keys: dict[str, list[KeyEntry]] = field(default_factory=dict)
    signatures_required: bool = False
    members: dict[str, Member] = field(default_factory=dict)
    channels: dict[str, Channel] = field(default_factory=dict)
    channel_order: list[str] = field(default_factory=list)
    threads: dict[str, Thread] = field(default_factory=dict)
    posts: PostTable = field(default_factory=PostTable)
    # folded @name → the posts whose text mentioned it when written or edited (a post
    # edited since may no longer: ``Post.mentions`` says what it mentions now)
    mentioned: dict[str, list[str]] = field(default_factory=dict)
    notes: dict[str, Note] = field(default_factory=dict)
    quizzes: dict[str, Quiz] = field(default_factory=dict)
    sessions: dict[str, QuizSession] = field(default_factory=dict)
    schedule: list[Session] = field(default_factory=list)
    suggestions: dict[str, Suggestion] = field(default_factory=dict)
    rota: Rota | None = None
    moderation_log: list[ModerationEntry] = field(default_factory=list)
    # Local-only: for each member, each thread, how many of its posts they have read.
    read_upto: dict[str, dict[str, int]] = field(default_factory=dict)
    # The verdicts on signatures the fold asks for (a memo of a pure function, shared by
    # the replica's states): not part of what the state is.
    signatures: Signatures = field(default_factory=Signatures, compare=False, repr=False)

    def key_of(self, member_id: str) -> str | None:
        """The member's key now (None: they sign nothing yet)."""
        history = self.keys.get(member_id)
        return history[-1].key if history else None

    def role_of(self, member_id: str) -> str | None:
        """The member's role, or None for anyone who is not a current member."""
        member = self.members.get(member_id)
        if member is None or member.removed:
            return None
        return member.role

    def is_at_least(self, member_id: str, role: str) -> bool:
        current = self.role_of(member_id)
        return current is not None and ROLE_RANK[current] >= ROLE_RANK[role]

    def unread_in_thread(self, member_id: str, thread_id: str) -> int:
        thread = self.threads[thread_id]
        read = self.read_upto.get(member_id, {}).get(thread_id, 0)
        return max(0, len(thread.post_ids) - read)

    def unread_in_channel(self, member_id: str, channel_id: str) -> int:
        return sum(
            self.unread_in_thread(member_id, thread_id)
            for thread_id in self.channels[channel_id].thread_ids
        )
