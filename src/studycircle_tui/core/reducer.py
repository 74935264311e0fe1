"""The one reducer: ``apply(state, op)`` folds a single op into the circle's state.

Each op type has one handler that mutates the state in place. Two questions come first:
``signing.problem`` (is it signed by whom it claims to be by?), whose no is written in
the moderation log with what the op claimed to be, and ``permissions.refusal`` (may they
do it?), whose no is silent. Either way a refused op changes nothing else. Applying an
op costs the same whatever the history's size: handlers touch only the entities the
op names. Over 400 lines: one handler per op type, side by side in ``HANDLERS``.
"""

import gc
from collections.abc import Callable, Iterable
from typing import Any

from msgspec import UNSET

from . import hlc, notefold, signing
from .folding import mention_tokens
from .ops import (
    SERVER_ACTOR,
    AnswerAccept,
    AnswerVerify,
    ChannelArchive,
    ChannelCreate,
    ChannelUpdate,
    CircleCreate,
    CircleUpdate,
    MemberJoin,
    MemberKey,
    MemberRemove,
    MemberRole,
    MemberUpdate,
    ModeratorRota,
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
from .permissions import refusal
from .state import (
    Channel,
    CircleState,
    Flag,
    Member,
    ModerationEntry,
    Post,
    Quiz,
    QuizSession,
    Rota,
    Suggestion,
    Thread,
)

# Each handler takes the op class its key names (a table mypy cannot relate to the key).
Handler = Callable[[CircleState, Any, int], None]

# Bump when the same ops fold into a different state (a handler or a permission rule
# changed what it does): local snapshots made by the older fold are then thrown away and
# rebuilt from the log (core/snapshot.py). A change of the state's fields needs no bump:
# the snapshot's shape fingerprint sees it. The op schema's version is a mark of its own
# (``ops.SCHEMA_VERSION``). 2: a rotation proves its key in a v2 circle, and a thread's
# title @mentions as its opening post.
VERSION = 2


def _circle_create(state: CircleState, op: CircleCreate, at: int) -> None:
    data = op.data
    state.created, state.hosted, state.schema = True, data.hosted, op.v
    state.name, state.goal, state.rules = data.name, data.goal, data.rules
    state.signatures_required = data.signatures_required
    # The lead wrote the rules, so has accepted them.
    state.members[op.actor] = Member(op.actor, data.lead_name, "lead", at, rules_accepted=0)
    if data.key is not None:
        _add_key(state, op, op.actor, data.key, "first", at)
    if data.server_key is not None:
        _add_key(state, op, SERVER_ACTOR, data.server_key, "first", at)


def _add_key(state: CircleState, op: Op, member: str, key: str, reason: str, at: int) -> None:
    entry = signing.KeyEntry((op.hlc, op.id), key, reason, op.actor, at)
    signing.add_key(state.keys, member, entry)


def _circle_update(state: CircleState, op: CircleUpdate, at: int) -> None:
    data = op.data
    if isinstance(data.name, str):
        state.name = data.name
    if isinstance(data.goal, str):
        state.goal = data.goal
    if isinstance(data.shared_board, bool):
        state.shared_board = data.shared_board
    if isinstance(data.signatures_required, bool):
        state.signatures_required = data.signatures_required
        _log(state, op, at, "signatures", "required" if data.signatures_required else "optional")
    if isinstance(data.rules, str) and data.rules != state.rules:
        state.rules = data.rules
        state.rules_version += 1
        state.members[op.actor].rules_accepted = state.rules_version  # its author agrees


def _member_join(state: CircleState, op: MemberJoin, at: int) -> None:
    state.members[op.actor] = Member(op.actor, op.data.name, "member", at)
    if op.data.key is not None:
        _add_key(state, op, op.actor, op.data.key, "first", at)


def _member_key(state: CircleState, op: MemberKey, at: int) -> None:
    data = op.data
    _add_key(state, op, data.member, data.key, data.reason, at)
    if data.joined_as is not None:  # the same person on a new device: one member again
        state.members[data.joined_as].removed = True
    if data.member != SERVER_ACTOR:
        _log(state, op, at, f"key:{data.reason}", data.member)


def _member_update(state: CircleState, op: MemberUpdate, at: int) -> None:
    state.members[op.actor].name = op.data.name


def _member_role(state: CircleState, op: MemberRole, at: int) -> None:
    state.members[op.data.member].role = op.data.role
    _log(state, op, at, f"role:{op.data.role}", op.data.member)


def _member_remove(state: CircleState, op: MemberRemove, at: int) -> None:
    state.members[op.data.member].removed = True
    _log(state, op, at, "remove", op.data.member)


def _rules_accept(state: CircleState, op: RulesAccept, at: int) -> None:
    member = state.members[op.actor]
    member.rules_accepted = max(member.rules_accepted, op.data.version)


def _channel_create(state: CircleState, op: ChannelCreate, at: int) -> None:
    state.channels[op.id] = Channel(op.id, op.data.name, op.data.goal, created_ms=at)
    state.channel_order.append(op.id)


def _channel_update(state: CircleState, op: ChannelUpdate, at: int) -> None:
    channel = state.channels[op.data.channel]
    if isinstance(op.data.name, str):
        channel.name = op.data.name
    if isinstance(op.data.goal, str):
        channel.goal = op.data.goal


def _channel_archive(state: CircleState, op: ChannelArchive, at: int) -> None:
    state.channels[op.data.channel].archived = op.data.archived


def _add_post(state: CircleState, thread: Thread, post: Post, at: int) -> None:
    state.posts[post.id] = post
    for name in post.mentions:
        state.mentioned.setdefault(name, []).append(post.id)
    thread.post_ids.append(post.id)
    thread.last_activity_ms = at
    state.channels[thread.channel_id].last_activity_ms = at
    # Whoever writes in a thread has read it up to their own post.
    state.read_upto.setdefault(post.author, {})[thread.id] = len(thread.post_ids)


def _thread_create(state: CircleState, op: ThreadCreate, at: int) -> None:
    data = op.data
    thread = Thread(op.id, data.channel, data.title, data.kind, op.actor, at)
    state.threads[op.id] = thread
    state.channels[data.channel].thread_ids.append(op.id)
    # A title can @mention someone too ("@Ayu, can you check this?"): the opening post
    # carries its thread's mentions.
    mentions = mention_tokens(data.title + "\n" + data.text)
    post = Post(op.id, op.id, op.actor, at, 0, mentions=mentions)
    _add_post(state, thread, post, at)


def _post_create(state: CircleState, op: PostCreate, at: int) -> None:
    data = op.data
    thread = state.threads[data.thread]
    index = len(thread.post_ids)
    mentions = mention_tokens(data.text)
    post = Post(op.id, thread.id, op.actor, at, index, data.reply_to, mentions=mentions)
    _add_post(state, thread, post, at)


def _post_edit(state: CircleState, op: PostEdit, at: int) -> None:
    """The text itself stays in the op (and the local store): the post names the ops of
    its texts, so its history is kept too."""
    post = state.posts[op.data.post]
    post.edits = (*post.edits, op.id)
    post.edited_ms = at
    text = op.data.text
    if post.index == 0:  # the opening post keeps its title's mentions
        text = state.threads[post.thread_id].title + "\n" + text
    post.mentions = mention_tokens(text)
    for name in post.mentions:
        mentioning = state.mentioned.setdefault(name, [])
        if post.id not in mentioning:
            mentioning.append(post.id)


def _post_delete(state: CircleState, op: PostDelete, at: int) -> None:
    post = state.posts[op.data.post]
    post.deleted = True
    post.edited_ms = at
    # A tombstone is no answer anyone can trust: the question is open again.
    thread = state.threads[post.thread_id]
    if thread.accepted_post == post.id:
        thread.accepted_post = None
    thread.verified_posts.discard(post.id)
    post.accepted, post.verified_by = False, None  # the post's own marks say the same


def _post_react(state: CircleState, op: PostReact, at: int) -> None:
    reactions = state.posts[op.data.post].reactions
    if op.data.on:
        reactions.setdefault(op.data.reaction, set()).add(op.actor)
    else:
        who = reactions.get(op.data.reaction)
        if who is not None:
            who.discard(op.actor)
            # No empty sets left behind: a reaction taken back leaves the post as if it
            # had never been made (views show no "+1 0"; states compare equal).
            if not who:
                del reactions[op.data.reaction]


def _answer_accept(state: CircleState, op: AnswerAccept, at: int) -> None:
    post = state.posts[op.data.post]
    thread = state.threads[post.thread_id]
    if thread.accepted_post is not None:
        state.posts[thread.accepted_post].accepted = False
    thread.accepted_post = post.id
    post.accepted = True


def _answer_verify(state: CircleState, op: AnswerVerify, at: int) -> None:
    post = state.posts[op.data.post]
    post.verified_by = op.actor
    state.threads[post.thread_id].verified_posts.add(post.id)
    _log(state, op, at, "verify", post.id)


def _post_flag(state: CircleState, op: PostFlag, at: int) -> None:
    post = state.posts[op.data.post]
    post.flags.append(Flag(op.actor, op.data.reason, op.data.comment, at))


def _post_hide(state: CircleState, op: PostHide, at: int) -> None:
    post = state.posts[op.data.post]
    post.hidden = op.data.hidden
    post.hidden_by = op.actor if op.data.hidden else None
    post.hide_reason = op.data.reason
    _log(state, op, at, "hide" if op.data.hidden else "unhide", post.id)


def _read_mark(state: CircleState, op: ReadMark, at: int) -> None:
    marks = state.read_upto.setdefault(op.actor, {})
    upto = state.posts[op.data.post].index + 1
    if upto > marks.get(op.data.thread, 0):
        marks[op.data.thread] = upto


def _quiz_create(state: CircleState, op: QuizCreate, at: int) -> None:
    data = op.data
    state.quizzes[op.id] = Quiz(
        op.id,
        data.title,
        data.channel,
        op.actor,
        data.questions,
        data.keys,
        data.key_hash,
        at,
        key_hashes=data.key_hashes,
    )


def _quiz_update(state: CircleState, op: QuizUpdate, at: int) -> None:
    quiz = state.quizzes[op.data.quiz]
    for name in ("title", "questions", "keys", "key_hash", "key_hashes"):
        value = getattr(op.data, name)
        if value is not UNSET:
            setattr(quiz, name, value)


def _quiz_start(state: CircleState, op: QuizStart, at: int) -> None:
    data = op.data
    session = QuizSession(
        op.id,
        data.quiz,
        op.actor,
        data.mode,
        data.scoring,
        data.streak,
        data.top_n,
        at,
        hands_free=data.hands_free,
    )
    state.sessions[op.id] = session
    state.quizzes[data.quiz].session_ids.append(op.id)


def _quiz_open(state: CircleState, op: QuizOpen, at: int) -> None:
    session = state.sessions[op.data.session]
    deadline = op.data.deadline
    session.current = op.data.question
    session.deadline_ms = deadline
    session.opened_ms[op.data.question] = at
    # The time left is the deadline less the open's own stamp, both from the host's
    # clock; it runs from the open's time (on a server, when the server received it),
    # so a host whose clock is off neither cuts a question short nor draws it out.
    ends = at + (deadline - hlc.physical_ms(op.hlc)) if deadline else 0
    session.opens.setdefault(op.data.question, []).append((at, ends))


def _quiz_join(state: CircleState, op: QuizJoin, at: int) -> None:
    session = state.sessions[op.data.session]
    # In the lobby, from the first question; once one is asked, from the next.
    session.joined[op.actor] = session.current + 1
    session.left.discard(op.actor)


def _quiz_leave(state: CircleState, op: QuizLeave, at: int) -> None:
    state.sessions[op.data.session].left.add(op.actor)


def _quiz_answer(state: CircleState, op: QuizAnswer, at: int) -> None:
    session = state.sessions[op.data.session]
    question = op.data.question
    session.answered.setdefault(question, set()).add(op.actor)
    session.answers.setdefault(question, {})[op.actor] = (op.data.answer, at)


def _quiz_answered(state: CircleState, op: QuizAnswered, at: int) -> None:
    session = state.sessions[op.data.session]
    session.answered.setdefault(op.data.question, set()).add(op.data.player)


def _quiz_close(state: CircleState, op: QuizClose, at: int) -> None:
    state.sessions[op.data.session].closed.add(op.data.question)


def _quiz_reveal(state: CircleState, op: QuizReveal, at: int) -> None:
    session = state.sessions[op.data.session]
    session.revealed[op.data.question] = op.data.key
    session.salts[op.data.question] = op.data.salt
    session.revealed_ms[op.data.question] = hlc.physical_ms(op.hlc)


def _quiz_finish(state: CircleState, op: QuizFinish, at: int) -> None:
    state.sessions[op.data.session].finished = True


def _quiz_result(state: CircleState, op: QuizResult, at: int) -> None:
    quiz = state.quizzes[op.data.quiz]
    ratio = op.data.score / op.data.max_score if op.data.max_score else 0.0
    quiz.results.append((op.actor, at, ratio))
    if ratio > quiz.best.get(op.actor, -1.0):
        quiz.best[op.actor] = ratio


def _schedule_set(state: CircleState, op: ScheduleSet, at: int) -> None:
    state.schedule = list(op.data.sessions)


def _suggestion_create(state: CircleState, op: SuggestionCreate, at: int) -> None:
    data = op.data
    state.suggestions[op.id] = Suggestion(op.id, op.actor, data.text, data.anonymous, at)


def _suggestion_resolve(state: CircleState, op: SuggestionResolve, at: int) -> None:
    suggestion = state.suggestions[op.data.suggestion]
    suggestion.status, suggestion.reply = op.data.status, op.data.reply


def _moderator_rota(state: CircleState, op: ModeratorRota, at: int) -> None:
    data = op.data
    state.rota = Rota(list(data.volunteers), data.start, data.period_days, data.tz)
    _log(state, op, at, "rota", ",".join(data.volunteers))


def _log(state: CircleState, op: Op, at: int, action: str, target: str) -> None:
    state.moderation_log.append(ModerationEntry(op.id, op.actor, action, target, at))


def _report(state: CircleState, op: Op, kind: str, why: str) -> None:
    """An op not folded because it is not signed by whom it claims: logged with what it
    claimed to be (its author and type), for the moderators and the lead to see."""
    entry = ModerationEntry(op.id, op.actor, kind, op.type, op_time_ms(op), why)
    state.moderation_log.append(entry)


HANDLERS: dict[str, Handler] = {
    "circle.create": _circle_create,
    "circle.update": _circle_update,
    "member.join": _member_join,
    "member.update": _member_update,
    "member.role": _member_role,
    "member.remove": _member_remove,
    "member.key": _member_key,
    "rules.accept": _rules_accept,
    "channel.create": _channel_create,
    "channel.update": _channel_update,
    "channel.archive": _channel_archive,
    "thread.create": _thread_create,
    "post.create": _post_create,
    "post.edit": _post_edit,
    "post.delete": _post_delete,
    "post.react": _post_react,
    "answer.accept": _answer_accept,
    "answer.verify": _answer_verify,
    "post.flag": _post_flag,
    "post.hide": _post_hide,
    "read.mark": _read_mark,
    "note.create": notefold.note_create,
    "note.revise": notefold.note_revise,
    "note.restore": notefold.note_restore,
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
    "schedule.set": _schedule_set,
    "suggestion.create": _suggestion_create,
    "suggestion.resolve": _suggestion_resolve,
    "moderator.rota": _moderator_rota,
}


def apply(state: CircleState, op: Op) -> bool:
    """Fold one op into ``state``; return False (changing nothing but the moderation
    log, for an op not signed by whom it claims) when it is refused."""
    unsigned = signing.problem(state, op)
    if unsigned is not None:
        _report(state, op, *unsigned)
        return False
    if refusal(state, op) is not None:
        return False
    HANDLERS[op.type](state, op, op_time_ms(op))
    return True


def retract_answer(state: CircleState, op: Op) -> None:
    """Take back a member's own quiz answer that was folded ahead of its place in the log
    (a sealed one: see ``Replica.seal``), so it can be folded again where it lands.

    Only the answer itself goes: that its author answered stays, as the server's
    ``quiz.answered`` for it is already in the log, before it."""
    if not isinstance(op, QuizAnswer):  # only an answer is ever sealed
        return
    session = state.sessions.get(op.data.session)
    if session is not None:
        session.answers.get(op.data.question, {}).pop(op.actor, None)


def fold(
    circle_id: str, ops: Iterable[Op], signatures: signing.Signatures | None = None
) -> CircleState:
    """The state of a circle after ``ops``, taken in the order given; ``signatures``:
    the verdicts reached before (a replica's), so a refold verifies nothing again."""
    state = CircleState(circle_id)
    if signatures is not None:
        state.signatures = signatures
    apply_all(state, ops)
    return state


def apply_all(state: CircleState, ops: Iterable[Op]) -> list[Op]:
    """Fold ``ops`` into ``state`` in the order given; return the ones applied.

    The replica's incremental path uses this too: loading a circle from disk goes
    through it, not through ``fold``.
    """
    applied: list[Op] = []
    # A fold allocates a few objects per op and makes no reference cycles; left on, the
    # cyclic collector rescans the growing state again and again and costs more than
    # the fold itself (measured: 160k ops/s on, 400k ops/s off).
    collecting = gc.isenabled()
    gc.disable()
    try:
        for op in ops:
            if apply(state, op):
                applied.append(op)
    finally:
        if collecting:
            gc.enable()
    return applied
