"""Who may do what: one rule per op type, shared by the reducer, the server and the app.

``refusal(state, op)`` returns None when the op may apply to ``state``, or a sentence
saying why not. The reducer skips a refused op (so an op by someone not allowed never
changes state, whichever replica folds it); the server answers it with that sentence.

``may(state, actor, op_type, at_ms, **data)`` asks the same rule before the op exists:
the app offers an action (footer, palette, a form) only when it may, and says the
rule's own sentence when it may not. The data may be partial: a rule checks who acts
(membership, role) before what it acts on, and stops at the first field it needs that
was not given, so ``may(state, me, "post.hide", now)`` asks about the role alone and
``may(state, me, "post.hide", now, post=p)`` about that post too.

It is longer than most modules: a rule for each of the 40 op types, kept side by side in
one table (``RULES``) so that who may do what reads in one place.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, cast

from . import notemerge, notetext, ops
from .messages import N_, Message
from .ops import (
    AnswerAccept,
    AnswerVerify,
    ChannelArchive,
    ChannelUpdate,
    MemberKey,
    MemberRemove,
    MemberRole,
    ModeratorRota,
    NoteCreate,
    NoteRestore,
    NoteRevise,
    Op,
    PostCreate,
    PostDelete,
    PostEdit,
    PostFlag,
    PostHide,
    PostReact,
    QuizAnswer,
    QuizAnswered,
    QuizClose,
    QuizCreate,
    QuizFinish,
    QuizJoin,
    QuizLeave,
    QuizOpen,
    QuizResult,
    QuizReveal,
    QuizStart,
    QuizUpdate,
    ReadMark,
    RulesAccept,
    ScheduleSet,
    SuggestionCreate,
    SuggestionResolve,
    ThreadCreate,
    op_time_ms,
)
from .rota import moderator_at, valid_zone
from .state import CircleState, Thread

# Each rule takes the op class its key names (a table mypy cannot relate to the key).
Rule = Callable[[CircleState, Any], str | None]
# Ops that name a post, and ops that run a question of a live session.
PostOp = PostEdit | PostDelete | PostReact | PostFlag | PostHide | AnswerAccept | AnswerVerify
QuestionOp = QuizOpen | QuizClose | QuizReveal

NOT_MEMBER = N_("you are not a member of this circle")

# A quiz answer still counts this long after its question's time is up: a click in the
# last instant reaches the server (or is stamped) a moment later. The server refuses
# answers by this same rule, on its own clock, so every replica folds the same answers.
# At most a second: answers are sealed until the close, but a longer grace would
# reward whoever waits it out.
ANSWER_GRACE_MS = 1000


def _member(state: CircleState, op: Op) -> str | None:
    return None if state.role_of(op.actor) is not None else NOT_MEMBER


def _moderator(state: CircleState, op: Op) -> str | None:
    if state.role_of(op.actor) is None:
        return NOT_MEMBER
    if state.is_at_least(op.actor, "moderator"):
        return None
    if moderator_at(state.rota, op_time_ms(op)) == op.actor:
        return None  # whoever's turn it is on the rota moderates that day
    return N_("only a moderator or the lead may do this")


def _lead(state: CircleState, op: Op) -> str | None:
    if state.role_of(op.actor) is None:
        return NOT_MEMBER
    return None if state.is_at_least(op.actor, "lead") else N_("only the circle's lead may do this")


def _circle_create(state: CircleState, op: Op) -> str | None:
    if state.created:
        return N_("the circle already exists")
    if op.actor == ops.SERVER_ACTOR:
        return N_("the server cannot lead a circle")
    # A circle's id is the id of the op that created it, so no one can create it twice.
    return None if op.id == op.circle else N_("circle.create must carry the circle's own id")


def _member_join(state: CircleState, op: Op) -> str | None:
    if not state.created:
        return N_("the circle does not exist yet")
    if op.actor == ops.SERVER_ACTOR:
        # "@server" vouches for server-made ops (quiz.answered); it is never a member.
        return N_("the server cannot join a circle")
    member = state.members.get(op.actor)
    if member is not None:
        return N_("removed members cannot rejoin") if member.removed else N_("already a member")
    return None


def _rules_accept(state: CircleState, op: RulesAccept) -> str | None:
    refused = _member(state, op)
    if refused:
        return refused
    # Accepting a version that does not exist yet would count as accepting rules not
    # yet written. The accepting member saw the version, so it sorts after the update.
    return None if op.data.version <= state.rules_version else N_("no such version of the rules")


def _another_lead(state: CircleState, target: str) -> bool:
    """Whether the circle keeps a (current) lead without ``target``."""
    return any(
        member.role == "lead" and not member.removed and member.id != target
        for member in state.members.values()
    )


def _server_vouches(state: CircleState, op: Op) -> bool:
    """An op by "@server" in a circle the server hosts: the server made it itself (it
    sets every op's actor from the pusher's token, so no member can forge one there).
    In a file circle "@server" stays powerless, exactly as before."""
    return op.actor == ops.SERVER_ACTOR and state.hosted


def _member_role(state: CircleState, op: MemberRole) -> str | None:
    # The server gives the role an invite carries (moderator, lead) to whoever redeems it.
    refused = None if _server_vouches(state, op) else _lead(state, op)
    if refused:
        return refused
    target = op.data.member
    if state.role_of(target) is None:
        return N_("that person is not a member")
    if (
        op.data.role != "lead"
        and state.role_of(target) == "lead"
        and not _another_lead(state, target)
    ):
        return N_("a circle needs a lead: make someone else lead first")
    return None


def _member_key(state: CircleState, op: MemberKey) -> str | None:
    """A member's own first key or rotation; the founder's first key, given by the server
    that hosts the circle at their joining; the server's own first key (a hosted circle
    from before signing); or a lead giving a member who lost their key the key their new
    device joined with. Each is signed as ``core/signing.py`` says."""
    data = op.data
    target = data.member
    history = state.keys.get(target)
    # In stamp order always so; in a server's order, a change written before the latest.
    # An op only asked about (``may``, no stamp yet) will be stamped after all of them.
    if history and op.hlc and history[-1].at >= (op.hlc, op.id):
        return N_("that member's key changed after this was written")
    if target == ops.SERVER_ACTOR or op.actor == ops.SERVER_ACTOR:
        if op.actor != ops.SERVER_ACTOR or not state.hosted:
            return N_("only a hosting server gives its own key or a founder's")
        if target != ops.SERVER_ACTOR and state.role_of(target) is None:
            return N_("that person is not a member")
        return None if not history and data.reason == "first" else N_("that key is set already")
    if state.role_of(target) is None:
        return N_("that person is not a member")
    if op.actor == target:
        wanted = "rotate" if history else "first"
        return (
            None
            if data.reason == wanted and data.joined_as is None
            else Message("say {wanted!r}", wanted=wanted)
        )
    refused = _lead(state, op)
    if refused:
        return refused
    joined = data.joined_as
    if data.reason != "lost" or joined is None:
        return N_(
            "a lead gives a key only to a member who lost theirs, from where they joined again"
        )
    if joined == target or state.role_of(joined) is None:
        return N_("they must have joined again as another member")
    if state.key_of(joined) != data.key:
        return N_("the key must be the one they joined again with")
    return None


def _member_remove(state: CircleState, op: MemberRemove) -> str | None:
    refused = _lead(state, op)
    if refused:
        return refused
    target = op.data.member
    if state.role_of(target) is None:
        return N_("that person is not a member")
    if state.role_of(target) == "lead" and not _another_lead(state, target):
        return N_("a circle needs a lead: make someone else lead first")
    return None


def _channel(state: CircleState, channel_id: str) -> str | None:
    channel = state.channels.get(channel_id)
    if channel is None:
        return N_("no such channel")
    if channel.archived:
        return N_("the channel is archived")
    return None


def _channel_change(state: CircleState, op: ChannelUpdate | ChannelArchive) -> str | None:
    refused = _moderator(state, op)
    if refused:
        return refused
    return None if op.data.channel in state.channels else N_("no such channel")


def _thread_create(state: CircleState, op: ThreadCreate) -> str | None:
    return _member(state, op) or _channel(state, op.data.channel)


def _post_create(state: CircleState, op: PostCreate) -> str | None:
    refused = _member(state, op)
    if refused:
        return refused
    thread = state.threads.get(op.data.thread)
    if thread is None:
        return N_("no such thread")
    refused = _channel(state, thread.channel_id)
    if refused:
        return refused
    reply_to = op.data.reply_to
    if reply_to is not None:
        target = state.posts.get(reply_to)
        if target is None or target.thread_id != thread.id:
            return N_("the post replied to is not in this thread")
    return None


def _existing_post(state: CircleState, op: PostOp) -> str | None:
    refused = _member(state, op)
    if refused:
        return refused
    return None if op.data.post in state.posts else N_("no such post")


def _post_react(state: CircleState, op: PostReact) -> str | None:
    # A reaction v3 added, in an op that says it is older, is one an older app refuses
    # to read: folding it here would make this replica differ from theirs.
    # "May I react?" asks before an op exists; the op made then carries the version.
    version = getattr(op, "v", ops.SCHEMA_VERSION)
    if version < ops.version_for("post.react", op.data):
        return N_("a reaction this schema version does not have")
    return _existing_post(state, op)


def _own_post(state: CircleState, op: PostEdit | PostDelete) -> str | None:
    refused = _existing_post(state, op)
    if refused:
        return refused
    post = state.posts[op.data.post]
    if post.author != op.actor:
        return N_("only its author may change a post")
    if post.deleted:
        return N_("the post is deleted")
    return None


def _answered_thread(state: CircleState, op: AnswerAccept | AnswerVerify) -> Thread | str:
    """The question thread an accept or verify is about, or why there is none. It is the
    post's thread; asked early (``may(..., thread=...)``, no post chosen yet) the thread."""
    thread_id = getattr(op.data, "thread", None)  # only ``may`` passes a thread
    if thread_id is None:
        refused = _existing_post(state, op)
        if refused:
            return refused
        thread_id = state.posts[op.data.post].thread_id
    thread = state.threads.get(thread_id)
    if thread is None:
        return N_("no such thread")
    if thread.kind != "question":
        return N_("only answers in a question thread can be accepted or verified")
    return thread


def _answer_post(state: CircleState, op: AnswerAccept | AnswerVerify) -> str | None:
    """The post must be a reply (not the question itself) that still stands."""
    if op.data.post not in state.posts:
        return N_("no such post")
    post = state.posts[op.data.post]
    if post.id == post.thread_id:
        return N_("the question itself is not an answer")
    if post.deleted:
        return N_("the post is deleted")
    return None


def _answer_accept(state: CircleState, op: AnswerAccept) -> str | None:
    refused = _member(state, op)
    if refused:
        return refused
    thread = _answered_thread(state, op)
    if isinstance(thread, str):
        return thread
    if thread.author != op.actor:
        return N_("only the asker may accept an answer")
    return _answer_post(state, op)


def _answer_verify(state: CircleState, op: AnswerVerify) -> str | None:
    refused = _moderator(state, op)
    if refused:
        return refused
    thread = _answered_thread(state, op)
    if isinstance(thread, str):
        return thread
    refused = _answer_post(state, op)
    if refused:
        return refused
    if state.posts[op.data.post].author == op.actor:
        # A verification is someone else's word that the answer is right.
        return N_("you cannot verify your own answer: another moderator or the lead does")
    # Once is the record: a second verification would only repeat it in the log.
    return N_("it is verified already") if state.posts[op.data.post].verified_by else None


def _post_hide(state: CircleState, op: PostHide) -> str | None:
    return _moderator(state, op) or _existing_post(state, op)


def _read_mark(state: CircleState, op: ReadMark) -> str | None:
    # Only the post matters, not membership: a read mark never leaves its replica and
    # touches only its reader's own counts, and a seq replica keeps such local ops on top
    # of the log. They must commute with every op (a removal of the reader arriving
    # later included), or a refold would change the state: posts never disappear, and
    # marking is a max, so with this rule they do.
    post = state.posts.get(op.data.post)
    if post is None or post.thread_id != op.data.thread:
        return N_("no such post in that thread")
    return None


def _note_change(state: CircleState, op: NoteRevise | NoteRestore) -> str | None:
    refused = _member(state, op)
    if refused:
        return refused
    note = state.notes.get(op.data.note)
    if note is None:
        return N_("no such note")
    revision = op.data.base if isinstance(op, NoteRevise) else op.data.revision
    if revision not in note.revisions:
        return N_("no such revision of that note")
    if op.id in note.revisions:  # a made-up op taking the id a merge was given
        return N_("that revision id is already taken")
    base = note.revisions[revision]
    if isinstance(op, NoteRestore):
        return notemerge.size_refusal(base.size)  # a merge may have grown past the cap
    data = op.data
    if isinstance(data.text, str):  # the whole text
        known = note.texts.known(note.revisions, base.id)
        if known is None:
            return notemerge.size_refusal(notemerge.utf8_size(data.text))
        return notemerge.size_refusal(notemerge.utf8_size(data.text, known, base.size))
    if not isinstance(data.patch, list):  # the schema holds a text or a patch
        return N_("this change to the note carries neither its text nor its changed lines")
    source = data.against if isinstance(data.against, str) else base.id
    if source not in note.revisions:
        return N_("the version of the note these changes were made against is not here")
    lines = note.texts.peek(note.revisions, source)
    why = notetext.refusal(lines, data.patch)
    if why is not None:
        return Message(
            "these changes do not fit the note as it was when they were made: {why}",
            why=Message(why),
        )
    size = notetext.effect(lines, data.patch, note.revisions[source].size, 0)[0]
    return notemerge.size_refusal(size)


def _note_create(state: CircleState, op: NoteCreate) -> str | None:
    refused = _member(state, op)
    if refused:
        return refused
    channel = op.data.channel
    if channel is not None and channel not in state.channels:
        return N_("no such channel")
    return notemerge.size_refusal(notemerge.utf8_size(op.data.text))


def _quiz_create(state: CircleState, op: QuizCreate) -> str | None:
    refused = _moderator(state, op)
    if refused:
        return refused
    keys = op.data.keys
    if keys is not None and len(keys) != len(op.data.questions):
        return N_("a quiz needs one key per question")
    channel = op.data.channel
    return None if channel is None or channel in state.channels else N_("no such channel")


def _quiz_update(state: CircleState, op: QuizUpdate) -> str | None:
    refused = _moderator(state, op)
    if refused:
        return refused
    return None if op.data.quiz in state.quizzes else N_("no such quiz")


def _quiz_start(state: CircleState, op: QuizStart) -> str | None:
    if op.data.quiz not in state.quizzes:
        return N_("no such quiz")
    if op.data.mode == "live":
        return _moderator(state, op)
    return _member(state, op)


def _hosted_session(state: CircleState, op: QuestionOp | QuizFinish) -> str | None:
    # A host removed mid-quiz is no longer a member and may not run it any more.
    refused = _member(state, op)
    if refused:
        return refused
    session = state.sessions.get(op.data.session)
    if session is None:
        return N_("no such quiz session")
    if session.host != op.actor:
        return N_("only the quiz's host may run it")
    if session.finished:
        return N_("the quiz has finished")
    return None


def _question_index(state: CircleState, op: QuestionOp) -> str | None:
    session = state.sessions[op.data.session]
    questions = state.quizzes[session.quiz_id].questions
    return None if op.data.question < len(questions) else N_("no such question")


def _quiz_open(state: CircleState, op: QuizOpen) -> str | None:
    """A new question, or the open one again (more time, a pause, the resume). A question
    that is over stays over: its answers are out (a server publishes them at its close,
    or when another question opens), and no one may answer after seeing them."""
    refused = _hosted_session(state, op) or _question_index(state, op)
    if refused:
        return refused
    session = state.sessions[op.data.session]
    question = op.data.question
    if question in session.closed or (question in session.opens and question != session.current):
        return N_("that question is over; it cannot be opened again")
    return None


def _quiz_close(state: CircleState, op: QuizClose) -> str | None:
    refused = _hosted_session(state, op) or _question_index(state, op)
    if refused:
        return refused
    session = state.sessions[op.data.session]
    return None if session.current == op.data.question else N_("that question is not open")


def _quiz_reveal(state: CircleState, op: QuizReveal) -> str | None:
    refused = _hosted_session(state, op) or _question_index(state, op)
    if refused:
        return refused
    session = state.sessions[op.data.session]
    return (
        None if op.data.question in session.closed else N_("close the question before its reveal")
    )


def _live_session(state: CircleState, op: QuizJoin | QuizLeave) -> str | None:
    refused = _member(state, op)
    if refused:
        return refused
    session = state.sessions.get(op.data.session)
    if session is None or session.mode != "live":
        return N_("no such live quiz")
    return N_("the quiz has finished") if session.finished else None


def _quiz_join(state: CircleState, op: QuizJoin) -> str | None:
    """A player comes in (again): from the next question if one is being asked."""
    refused = _live_session(state, op)
    if refused:
        return refused
    session = state.sessions[op.data.session]
    if session.host == op.actor:
        return N_("you host this quiz: its host does not play")
    if op.actor in session.joined and op.actor not in session.left:
        return N_("you are in this quiz already")
    return None


def _quiz_leave(state: CircleState, op: QuizLeave) -> str | None:
    refused = _live_session(state, op)
    if refused:
        return refused
    session = state.sessions[op.data.session]
    if op.actor not in session.joined or op.actor in session.left:
        return N_("you are not in this quiz")
    return None


def _quiz_answer(state: CircleState, op: QuizAnswer) -> str | None:
    refused = _member(state, op)
    if refused:
        return refused
    session = state.sessions.get(op.data.session)
    if session is None or session.mode != "live":
        return N_("no such live quiz")
    question = op.data.question
    if session.finished or session.current != question or question in session.closed:
        return N_("that question is closed")
    # A player who never joined answers as before quiz.join existed (an older app); one
    # who joined plays from the question their join gave them, and not once gone.
    if op.actor in session.left:
        return N_("you left this quiz: join it again to play the next question")
    if session.joined.get(op.actor, question) > question:
        return N_("you joined during this question: you play from the next one")
    # Recorded answers, not ``answered``: a server's quiz.answered (who, not what) comes
    # before the sealed answer itself, which must still fold.
    if op.actor in session.answers.get(question, ()):
        return N_("you have already answered this question")
    return _in_time(state, session.opens.get(question, ()), op)


def _in_time(state: CircleState, opens: Iterable[tuple[int, int]], op: Op) -> str | None:
    """Was the question running when the answer was given? The time is ``op_time_ms``:
    the server's receive time in a circle on a server, the answer's own stamp in a file
    (where a member's clock is trusted: see the README). Each ``opens`` entry is a
    quiz.open's time and when that open's time is up (0: paused), in fold order."""
    if op.at is None and state.hosted:
        return None  # a member's own answer on its way: the server's clock will judge it
    when = op_time_ms(op)
    running = None
    for opened, ends in opens:
        if opened > when:  # a pause or more time that came after the answer
            break
        running = ends
    if running is None:
        return N_("that question was not open yet")
    if running == 0:
        return N_("the question is paused")
    if when > running + ANSWER_GRACE_MS:
        return N_("time is up for this question")
    return None


def _quiz_answered(state: CircleState, op: QuizAnswered) -> str | None:
    if op.actor != ops.SERVER_ACTOR:
        return N_("only the server reports who has answered")
    return None if op.data.session in state.sessions else N_("no such quiz session")


def _quiz_finish(state: CircleState, op: QuizFinish) -> str | None:
    return _hosted_session(state, op)


def _quiz_result(state: CircleState, op: QuizResult) -> str | None:
    refused = _member(state, op)
    if refused:
        return refused
    if op.data.quiz not in state.quizzes:
        return N_("no such quiz")
    return N_("a score cannot exceed its maximum") if op.data.score > op.data.max_score else None


def _suggestion_create(state: CircleState, op: SuggestionCreate) -> str | None:
    # A server hides an anonymous suggestion's author from members by serving it with
    # "@server" as its actor; the suggestion must fold all the same.
    if op.data.anonymous and _server_vouches(state, op):
        return None
    return _member(state, op)


def _suggestion_resolve(state: CircleState, op: SuggestionResolve) -> str | None:
    refused = _lead(state, op)
    if refused:
        return refused
    return None if op.data.suggestion in state.suggestions else N_("no such suggestion")


def _schedule(state: CircleState, op: ScheduleSet) -> str | None:
    refused = _moderator(state, op)
    if refused:
        return refused
    for session in op.data.sessions:
        if not valid_zone(session.tz):
            return Message("unknown time zone '{zone}'", zone=session.tz)
    return None


def _rota(state: CircleState, op: ModeratorRota) -> str | None:
    refused = _lead(state, op)
    if refused:
        return refused
    if not valid_zone(op.data.tz):
        return Message("unknown time zone '{zone}'", zone=op.data.tz)
    for volunteer in op.data.volunteers:
        if state.role_of(volunteer) is None:
            return N_("every volunteer must be a member")
    return None


RULES: dict[str, Rule] = {
    "circle.create": _circle_create,
    "circle.update": _lead,
    "member.join": _member_join,
    "member.update": _member,
    "member.role": _member_role,
    "member.remove": _member_remove,
    "member.key": _member_key,
    "rules.accept": _rules_accept,
    "channel.create": _moderator,
    "channel.update": _channel_change,
    "channel.archive": _channel_change,
    "thread.create": _thread_create,
    "post.create": _post_create,
    "post.edit": _own_post,
    "post.delete": _own_post,
    "post.react": _post_react,
    "answer.accept": _answer_accept,
    "answer.verify": _answer_verify,
    "post.flag": _existing_post,
    "post.hide": _post_hide,
    "read.mark": _read_mark,
    "note.create": _note_create,
    "note.revise": _note_change,
    "note.restore": _note_change,
    "quiz.create": _quiz_create,
    "quiz.update": _quiz_update,
    "quiz.start": _quiz_start,
    "quiz.open": _quiz_open,
    "quiz.join": _quiz_join,
    "quiz.leave": _quiz_leave,
    "quiz.answer": _quiz_answer,
    "quiz.answered": _quiz_answered,
    "quiz.close": _quiz_close,
    "quiz.reveal": _quiz_reveal,
    "quiz.finish": _quiz_finish,
    "quiz.result": _quiz_result,
    "schedule.set": _schedule,
    "suggestion.create": _suggestion_create,
    "suggestion.resolve": _suggestion_resolve,
    "moderator.rota": _rota,
}


def refusal(state: CircleState, op: Op) -> str | None:
    """Why ``op`` may not apply to ``state``, or None when it may."""
    if op.circle != state.id:
        return N_("the op belongs to another circle")
    return RULES[op.type](state, op)


@dataclass(frozen=True, slots=True)
class Verdict:
    """The answer of ``may``: true when allowed; else ``reason`` says why not."""

    reason: str | None = None

    def __bool__(self) -> bool:
        return self.reason is None


class _NotGiven(AttributeError):
    """A rule read a field ``may`` was not given: what it checked before stands."""


class _Given:
    """The fields of an op's data that ``may`` was given; reading another is _NotGiven
    (an AttributeError, so ``getattr(data, name, default)`` still works in a rule)."""

    __slots__ = ("_fields",)

    def __init__(self, fields: dict[str, object]) -> None:
        self._fields = fields

    def __getattr__(self, name: str) -> object:
        try:
            return self._fields[name]
        except KeyError:
            raise _NotGiven(name) from None


@dataclass(frozen=True, slots=True)
class _Asked:
    """What a rule reads of an op, for an op not made yet: made ``at`` (ms), no id."""

    actor: str
    type: str
    data: _Given
    at: int
    circle: str
    id: str = ""
    hlc: str = ""


def may(state: CircleState, actor: str, op_type: str, at_ms: int, **data: object) -> Verdict:
    """Whether ``actor`` may make an op of ``op_type`` at ``at_ms``: the rule the reducer
    applies, asked before the op exists. Give what is known of its data (see the module's
    docstring); ``thread=`` may stand in for the post of an accept or a verify."""
    asked = _Asked(actor, op_type, _Given(data), at_ms, state.id)
    try:
        return Verdict(RULES[op_type](state, cast(Op, asked)))
    except _NotGiven:
        return Verdict()


def moderates(state: CircleState, member: str, at_ms: int) -> bool:
    """Whether ``member`` moderates at ``at_ms`` (a moderator, the lead, or whoever's turn
    it is on the rota): who sees flags and the moderation log, and may hide posts."""
    return bool(may(state, member, "post.hide", at_ms))


def leads(state: CircleState, member: str, at_ms: int) -> bool:
    """Whether ``member`` leads the circle (may change its name, goal and rules): who gets
    the participation report's nudges."""
    return bool(may(state, member, "circle.update", at_ms))
