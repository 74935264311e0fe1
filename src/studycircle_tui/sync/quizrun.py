"""Running quizzes through a ``CircleService``: what the Quiz pane and ``quiz import`` call.

A live quiz's keys never enter the shared log before their reveal (docs/architecture.md, "Quizzes
without leaks"): ``create`` publishes only salted hashes of them (one per question, and
the quiz's) and keeps the keys and salts in this device's store; ``reveal`` publishes one
question's key and salt, after its close, which every member checks against its hash
(``reveal_check``).

Players come into a live quiz (``join``: the lobby lists them; once questions are being
asked, from the next one) and go (``leave``); "N of M answered", and the lead's early
close when everyone has answered, count those who are in (``players_expected``).

A practice quiz carries its keys openly and is marked on the player's device; only the
score travels (``quiz.result``).

Everything here sends ops through the service, so the rules (who may host, one answer per
player per question, no answer after the close) are the reducer's and the server's. The
actions are the quiz's intents (see ``intents.py``): coroutines that read the session
when they run and raise Refused, in the member's words, when the circle says no.
"""

import csv
import functools
import io
import json
import secrets
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

import msgspec

from ..core import permissions, quizkeys, sessionscore
from ..core.discussion import find_channel
from ..core.messages import N_
from ..core.ops import Key, Op, Question
from ..core.state import CircleState, Quiz, QuizSession
from .engine import CircleService, Refused

if TYPE_CHECKING:
    from ..core.quizformats import Quiz as QuizModel

ADD_SECONDS = 10  # what "add time" adds


class Stage(StrEnum):
    """The steps of a live session, in the order the host takes them."""

    LOBBY = "lobby"  # open to join; no question asked yet
    OPEN = "open"  # a question is asked and its countdown runs
    PAUSED = "paused"  # asked, the countdown stopped by the host
    CLOSED = "closed"  # no more answers; the key not yet published
    REVEALED = "revealed"  # the key is out: right answers and the leaderboard show
    FINISHED = "finished"


@dataclass(frozen=True, slots=True)
class LiveStage:
    """Where a live session stands, as every member's log shows it."""

    kind: Stage
    question: int = -1


def live_stage(session: QuizSession) -> LiveStage:
    if session.finished:
        return LiveStage(Stage.FINISHED, session.current)
    question = session.current
    if question < 0:
        return LiveStage(Stage.LOBBY)
    if question in session.revealed:
        return LiveStage(Stage.REVEALED, question)
    if question in session.closed:
        return LiveStage(Stage.CLOSED, question)
    return LiveStage(Stage.PAUSED if session.deadline_ms == 0 else Stage.OPEN, question)


def remaining_ms(session: QuizSession, now_ms: int) -> int:
    """Time left on the open question (when paused: the time left at the pause)."""
    if session.deadline_ms:
        return max(0, session.deadline_ms - now_ms)
    opens = session.opens.get(session.current, [])
    running = [deadline for _, deadline in opens if deadline]
    if not opens or not running:
        return 0
    return max(0, running[-1] - opens[-1][0])


def players_in(state: CircleState, session: QuizSession, question: int) -> set[str]:
    """Who joined in time for ``question`` and is still in (and still a member): when
    they have all answered, the question can close before its time is up."""
    return {
        player
        for player in session.playing(question)
        if player != session.host and state.role_of(player) is not None
    }


def players_expected(
    state: CircleState, session: QuizSession, question: int | None = None
) -> set[str]:
    """The players of ``question`` (by default the current one), the M of "N of M
    answered": those in for it, and whoever answered it (a player who left after
    answering, or one on an app from before ``quiz.join``, who answers without joining).
    Never the host."""
    index = session.current if question is None else question
    answered = {p for p in session.answered.get(index, ()) if p != session.host}
    return players_in(state, session, index) | answered


def everyone_answered(state: CircleState, session: QuizSession) -> bool:
    """Every player in for the current question has answered it (and someone is in)."""
    playing = players_in(state, session, session.current)
    return bool(playing) and playing <= session.answered.get(session.current, set())


def seat(session: QuizSession, member: str) -> str:
    """Where ``member`` stands in a live session: "host", "in" (playing now or from the
    next question), "left", or "out" (never joined)."""
    if member == session.host:
        return "host"
    if member in session.left:
        return "left"
    return "in" if member in session.joined else "out"


def names(state: CircleState) -> dict[str, str]:
    return {member.id: member.name for member in state.members.values()}


def csv_text(rows: list[list[str]]) -> str:
    """A results table as CSV text (written to a file, or shown to copy)."""
    out = io.StringIO(newline="")
    csv.writer(out).writerows(rows)
    return out.getvalue()


class QuizRunner:
    """Quiz actions for the member a service stands for."""

    def __init__(self, service: CircleService) -> None:
        self.service = service

    @property
    def state(self) -> CircleState:
        return self.service.state

    # --- making quizzes ---------------------------------------------------------------

    async def create(
        self,
        title: str,
        questions: list[Question],
        keys: list[Key],
        channel: str | None = None,
        *,
        practice: bool = False,
    ) -> Op:
        """Publish a quiz. Practice: keys in the op, for anyone to practise with. Live
        (the default): only their salted hash; the keys stay in this device's store."""
        data: dict[str, object] = {
            "title": title,
            "questions": [msgspec.to_builtins(q) for q in questions],
            "channel": channel,
        }
        if practice:
            data["keys"] = [msgspec.to_builtins(key) for key in keys]
            return await self.service.send("quiz.create", data)
        salts = [secrets.token_hex(16) for _ in keys]
        leaves = quizkeys.key_hashes(salts, keys)
        data["key_hashes"] = leaves
        data["key_hash"] = quizkeys.root_of(leaves)
        # Kept before the quiz is published: a quiz whose keys were lost cannot run.
        await self.service.keep_quiz_keys(
            data["key_hash"],  # type: ignore[arg-type]
            json.dumps(salts),
            msgspec.json.encode(keys),
        )
        return await self.service.send("quiz.create", data)

    def held_keys(self, quiz: Quiz) -> tuple[list[str], list[Key]] | None:
        """A live quiz's salts and keys, if this device holds them."""
        if not quiz.key_hash:
            return None
        found = self.service.quiz_keys(quiz.key_hash)
        if found is None:
            return None
        salts = json.loads(found[0])
        keys = msgspec.json.decode(found[1], type=list[Key])
        if len(keys) != len(quiz.questions) or quizkeys.key_hash(salts, keys) != quiz.key_hash:
            return None  # the quiz was changed since: these keys no longer fit it
        return salts, keys

    def why_not_host(self, quiz: Quiz) -> str | None:
        """Why this member cannot run ``quiz`` live, or None when they can."""
        service = self.service
        verdict = permissions.may(
            service.state, service.me, "quiz.start", service.now_ms(), quiz=quiz.id, mode="live"
        )
        if not verdict:
            return verdict.reason
        if quiz.keys is None and self.held_keys(quiz) is None:
            return "its answer key is on the device of whoever imported it"
        return None

    def practice_keys(self, quiz: Quiz) -> list[Key] | None:
        found = quizkeys.practice_keys(quiz, self.sessions(quiz))
        if found is None and quiz.author == self.service.me:
            held = self.held_keys(quiz)
            return held[1] if held else None
        return found

    def sessions(self, quiz: Quiz) -> list[QuizSession]:
        return [self.state.sessions[sid] for sid in quiz.session_ids if sid in self.state.sessions]

    def running(self, quiz: Quiz) -> QuizSession | None:
        """The quiz's live session that has not finished, if there is one."""
        for session in reversed(self.sessions(quiz)):
            if session.mode == "live" and not session.finished:
                return session
        return None

    # --- hosting ----------------------------------------------------------------------

    async def start(
        self,
        quiz_id: str,
        *,
        scoring: str = "accuracy",
        streak: bool = False,
        top_n: int = 5,
        hands_free: int = 0,
    ) -> Op:
        """Open a lobby: a live session players join from their Quiz pane. With
        ``hands_free`` (seconds) the lead's app reveals each question once it closes,
        shows the leaderboard that long, and asks the next (sync/pacer.py)."""
        data = {"quiz": quiz_id, "mode": "live", "scoring": scoring, "streak": streak}
        data |= {"top_n": top_n, "hands_free": hands_free}
        return await self.service.send("quiz.start", data)

    def _session(self, session_id: str) -> tuple[QuizSession, Quiz]:
        session = self.state.sessions[session_id]
        return session, self.state.quizzes[session.quiz_id]

    async def open_question(self, session_id: str, question: int) -> Op:
        _, quiz = self._session(session_id)
        seconds = quiz.questions[question].seconds
        deadline = self.clock_ms() + seconds * 1000
        return await self._open(session_id, question, deadline)

    def clock_ms(self) -> int:
        """Now, by the clock this member's ops are stamped with (``SharedCircle.clock_ms``):
        deadlines are set on it, and time left is read on it."""
        return self.service.circle.clock_ms()

    async def _open(self, session_id: str, question: int, deadline: int) -> Op:
        data = {"session": session_id, "question": question, "deadline": deadline}
        return await self.service.send("quiz.open", data)

    def remaining_ms(self, session: QuizSession) -> int:
        """Time left on the open question (when paused: the time left at the pause)."""
        return remaining_ms(session, self.clock_ms())

    async def pause(self, session_id: str) -> Op:
        session, _ = self._session(session_id)
        return await self._open(session_id, session.current, 0)

    async def resume(self, session_id: str) -> Op:
        session, _ = self._session(session_id)
        left = self.remaining_ms(session)
        return await self._open(session_id, session.current, self.clock_ms() + left)

    async def add_time(self, session_id: str, seconds: int = ADD_SECONDS) -> Op:
        session, _ = self._session(session_id)
        if session.deadline_ms == 0:
            raise Refused(N_("resume the question before adding time"))
        return await self._open(session_id, session.current, session.deadline_ms + seconds * 1000)

    async def close(self, session_id: str) -> Op:
        session, _ = self._session(session_id)
        return await self.service.send(
            "quiz.close", {"session": session_id, "question": session.current}
        )

    async def reveal(self, session_id: str) -> Op:
        session, quiz = self._session(session_id)
        question = session.current
        if quiz.keys is not None:
            key, salt = quiz.keys[question], ""
        else:
            held = self.held_keys(quiz)
            if held is None:
                raise Refused(N_("this device does not hold the quiz's answer key"))
            salt, key = held[0][question], held[1][question]
        data = {
            "session": session_id,
            "question": question,
            "key": msgspec.to_builtins(key),
            "salt": salt,
        }
        return await self.service.send("quiz.reveal", data)

    async def finish(self, session_id: str) -> Op:
        return await self.service.send("quiz.finish", {"session": session_id})

    async def next_question(self, session_id: str) -> Op:
        """After a reveal: ask the next question, or finish after the last."""
        session, quiz = self._session(session_id)
        following = session.current + 1
        if following < len(quiz.questions):
            return await self.open_question(session_id, following)
        return await self.finish(session_id)

    # --- playing ----------------------------------------------------------------------

    async def join(self, session_id: str) -> Op:
        return await self.service.send("quiz.join", {"session": session_id})

    async def leave(self, session_id: str) -> Op:
        return await self.service.send("quiz.leave", {"session": session_id})

    async def answer(self, session_id: str, question: int, value: object) -> Op:
        data = {"session": session_id, "question": question, "answer": value}
        return await self.service.send("quiz.answer", data)

    async def record_result(self, quiz_id: str, score: float, max_score: float) -> Op:
        data = {"quiz": quiz_id, "score": min(score, max_score), "max_score": max_score}
        return await self.service.send("quiz.result", data)

    # --- results ----------------------------------------------------------------------

    def score(self, session_id: str) -> sessionscore.SessionScore:
        """The session's scores, made once per change for every member served here."""
        session, quiz = self._session(session_id)
        make = functools.partial(sessionscore.score_session, quiz, session)
        return self.service.circle.derived(("score", session_id), make)

    def csv_rows(self, session_id: str) -> list[list[str]]:
        _, quiz = self._session(session_id)
        return sessionscore.csv_rows(quiz, self.score(session_id), names(self.state))

    def results_csv(self, session_id: str) -> str:
        return csv_text(self.csv_rows(session_id))

    def reveal_check(self, session_id: str, question: int) -> quizkeys.Check:
        session, quiz = self._session(session_id)
        return quizkeys.reveal_check(quiz, session, question)

    def keys_verified(self, session_id: str) -> bool | None:
        session, quiz = self._session(session_id)
        revealed = [
            (session.salts.get(i, ""), session.revealed[i]) if i in session.revealed else None
            for i in range(len(quiz.questions))
        ]
        return quizkeys.keys_verified(quiz.key_hash, revealed)


# --- importing a quiz file -------------------------------------------------------------------


class AlreadyImported(ValueError):
    """The same quiz is already in the channel (imported twice by mistake, say)."""


async def import_quiz(
    service: CircleService,
    quiz: "QuizModel",
    channel: str,
    *,
    practice: bool = False,
    again: bool = False,
) -> Op:
    """Publish a parsed quiz file (``core.quizformats.Quiz``) in ``channel`` (a name or id).

    Raises ValueError (no such channel, a question the op schema cannot hold),
    AlreadyImported (the channel holds the same quiz, the same way, live or practice;
    ``again`` adds another copy anyway) or Refused (only moderators and the lead may add
    quizzes)."""
    channel_id = find_channel(service.state, channel)
    pairs = [question.to_op() for question in quiz.questions]
    questions = [question for question, _ in pairs]
    twin = next(
        (
            found
            for found in service.state.quizzes.values()
            if found.channel_id == channel_id
            and found.title == quiz.title
            and found.questions == questions
            and (found.keys is not None) == practice
        ),
        None,
    )
    if twin is not None and not again:
        raise AlreadyImported(
            f"#{service.state.channels[channel_id].name} already has this quiz, "
            f"'{twin.title}', with the same questions; --again adds another copy"
        )
    return await QuizRunner(service).create(
        quiz.title,
        [question for question, _ in pairs],
        [key for _, key in pairs],
        channel_id,
        practice=practice,
    )
