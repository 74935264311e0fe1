"""Scoring a live quiz session: every player's mark for each revealed question, with
speed and streaks applied, the totals and the standings; and the session as a table.

Only revealed questions count: a session is scored from the keys its reveals carry, so
every member's client computes the same scores from the log alone.

A room reads whole points, as in Kahoot: a quiz file's point is worth ``ROOM_POINTS``
(a 1-point question is worth up to 1000, a 2-point one 2000), and each mark is rounded
to a whole number once, when it is made, so the leaderboard's totals are the sums of
the marks each player saw (and of the CSV's rows).

Each client scores the whole session again at every reveal (for the leaderboard), so the
marks already made are kept per session and the next reveal marks only its own question:
a 200-player, 20-question quiz costs one question's marking at each reveal, not twenty.
What was kept is used only while everything it was made from is still equal — the
players, the questions, the scoring, and for each marked question its key, its answers
and its opening times — so the result is always what scoring from scratch gives
(tests/test_sessionscore.py checks this for any sequence of quiz events).
"""

import math
from dataclasses import dataclass, field

from .ops import AnswerValue, Key, Question
from .quizscore import Grade, answer_seconds, answer_text, grade, max_points, points
from .state import Quiz, QuizSession

CSV_HEADER = ("player", "question", "answer", "correct", "seconds", "points")
ROOM_POINTS = 1000  # what one point of a quiz file is worth on a live quiz's screens


def room_points(value: float) -> int:
    """Points of a quiz file as a room reads them: whole, rounded half up (0.9605 →
    961), the same on every replica."""
    return math.floor(value * ROOM_POINTS + 0.5)


@dataclass(slots=True)
class Mark:
    player: str
    question: int
    answer: AnswerValue | None  # None: no answer
    credit: float
    correct: bool
    seconds: float | None
    points: int  # whole room points (ROOM_POINTS)
    streak: int = 0


@dataclass(slots=True)
class Standing:
    rank: int
    player: str
    points: int
    right: int  # questions answered fully right
    moved: int = 0  # places gained (+) or lost (-) at the last question counted


@dataclass(slots=True)
class SessionScore:
    marks: list[Mark] = field(default_factory=list)
    totals: dict[str, int] = field(default_factory=dict)
    right: dict[str, int] = field(default_factory=dict)
    counted: list[int] = field(default_factory=list)  # revealed questions, in order
    max_total: int = 0

    def standings(self, names: dict[str, str] | None = None) -> list[Standing]:
        """Everyone, best first; equal totals share a rank (1, 2, 2, 4), then by name;
        each with the places gained or lost at the last question counted."""
        result = _ranked(self.totals, self.right, names or {})
        if len(self.counted) > 1:
            last = self.counted[-1]
            before = dict(self.totals)
            for mark in self.marks:
                if mark.question == last:
                    before[mark.player] -= mark.points
            earlier = {s.player: s.rank for s in _ranked(before, {}, names or {})}
            for standing in result:
                standing.moved = earlier.get(standing.player, standing.rank) - standing.rank
        return result

    def leaderboard(self, top_n: int, names: dict[str, str] | None = None) -> list[Standing]:
        return self.standings(names)[:top_n]

    def podium(self, names: dict[str, str] | None = None) -> list[Standing]:
        """Whoever ranks 1st, 2nd or 3rd, with no points too (ties can put more than
        three on it): a room of three has three places on its podium."""
        return [s for s in self.standings(names) if s.rank <= 3]

    def marks_for(self, question: int) -> list[Mark]:
        return [mark for mark in self.marks if mark.question == question]

    def mark(self, player: str, question: int) -> Mark | None:
        for mark in self.marks:
            if mark.player == player and mark.question == question:
                return mark
        return None


def _ranked(totals: dict[str, int], right: dict[str, int], names: dict[str, str]) -> list[Standing]:
    def best_first(player: str) -> tuple[int, str, str]:
        return -totals[player], names.get(player, player).casefold(), player

    order = sorted(totals, key=best_first)
    result: list[Standing] = []
    for index, player in enumerate(order):
        total = totals[player]
        tied = result and result[-1].points == total
        rank = result[-1].rank if tied else index + 1
        result.append(Standing(rank, player, total, right.get(player, 0)))
    return result


def players(session: QuizSession) -> list[str]:
    """Everyone who joined or answered anything in the session, in a stable order (never
    the host): a player who joined and never answered is on the board with no points."""
    seen: dict[str, None] = dict.fromkeys(p for p in session.joined if p != session.host)
    for question in sorted(session.answers):
        for player in session.answers[question]:
            if player != session.host:
                seen[player] = None
    return list(seen)


# --- marking, kept from one reveal to the next -------------------------------------------


@dataclass(slots=True)
class _Marked:
    """What one question's marks were made from, copied when they were made."""

    index: int
    key: Key
    answers: dict[str, tuple[AnswerValue, int]]
    opens: list[tuple[int, int]]
    opened_ms: int | None

    @classmethod
    def of(cls, session: QuizSession, index: int) -> "_Marked":
        answers = dict(session.answers.get(index, {}))
        opens = list(session.opens.get(index, ()))
        return cls(index, session.revealed[index], answers, opens, session.opened_ms.get(index))

    def still(self, session: QuizSession, index: int) -> bool:
        return (
            self.index == index
            and self.key == session.revealed[index]
            and self.answers == session.answers.get(index, {})
            and self.opens == session.opens.get(index, [])
            and self.opened_ms == session.opened_ms.get(index)
        )


@dataclass(slots=True)
class _Progress:
    """A session's marking so far: valid while ``basis`` and every ``marked`` hold."""

    basis: tuple[str, bool, list[str], list[Question]]  # scoring, streak, players, questions
    marked: list[_Marked] = field(default_factory=list)
    score: SessionScore = field(default_factory=SessionScore)
    streaks: dict[str, int] = field(default_factory=dict)


_KEPT_SESSIONS = 8  # a client shows one live session at a time; a few more cost little
_progress: dict[str, _Progress] = {}


def score_session(quiz: Quiz, session: QuizSession) -> SessionScore:
    """Every player's marks for each revealed question, with speed and streaks applied."""
    everyone = players(session)
    counted = [index for index in range(len(quiz.questions)) if index in session.revealed]
    basis = (session.scoring, session.streak, everyone, list(quiz.questions))
    kept = _progress.pop(session.id, None)
    if (
        kept is None
        or kept.basis != basis
        or len(kept.marked) > len(counted)
        or not all(m.still(session, i) for m, i in zip(kept.marked, counted, strict=False))
    ):
        kept = _Progress(basis, streaks=dict.fromkeys(everyone, 0))
        kept.score.totals = dict.fromkeys(everyone, 0)
        kept.score.right = dict.fromkeys(everyone, 0)
    for index in counted[len(kept.marked) :]:
        _mark_question(kept, session, quiz.questions[index], index)
        kept.marked.append(_Marked.of(session, index))
    _progress[session.id] = kept  # the most recently used last
    while len(_progress) > _KEPT_SESSIONS:
        del _progress[next(iter(_progress))]
    done = kept.score  # a copy goes out: the kept one grows at the next reveal
    return SessionScore(
        list(done.marks), dict(done.totals), dict(done.right), list(done.counted), done.max_total
    )


def _mark_question(kept: _Progress, session: QuizSession, question: Question, index: int) -> None:
    """Add one revealed question's marks for every player to ``kept``."""
    result, streaks = kept.score, kept.streaks
    key = session.revealed[index]
    result.counted.append(index)
    result.max_total += room_points(max_points(question, streak=session.streak))
    given = session.answers.get(index, {})
    graded: dict[object, Grade] = {}  # a group gives few distinct answers: mark each once
    for player in kept.basis[2]:
        if player not in given:
            streaks[player] = 0
            result.marks.append(Mark(player, index, None, 0.0, False, None, 0))
            continue
        answer, at_ms = given[player]
        same = (type(answer), tuple(answer) if isinstance(answer, list) else answer)
        marked = graded.get(same)
        if marked is None:
            marked = graded[same] = grade(question, key, answer)
        seconds = answer_seconds(session, index, at_ms)
        streaks[player] = streaks[player] + 1 if marked.correct else 0
        worth = room_points(
            points(
                question,
                marked.credit,
                seconds,
                scoring=session.scoring,
                streak=streaks[player] if session.streak else 0,
            )
        )
        result.marks.append(
            Mark(
                player,
                index,
                answer,
                marked.credit,
                marked.correct,
                seconds,
                worth,
                streaks[player],
            )
        )
        result.totals[player] += worth
        result.right[player] += marked.correct


# --- export -------------------------------------------------------------------------------


def csv_rows(quiz: Quiz, score: SessionScore, names: dict[str, str]) -> list[list[str]]:
    """The session as a table: a header, then one row per player per counted question,
    in whole points as the room saw them (a player's rows add up to their total)."""
    rows = [list(CSV_HEADER)]
    order = {s.player: n for n, s in enumerate(score.standings(names))}
    for mark in sorted(score.marks, key=lambda m: (order.get(m.player, 0), m.question)):
        question = quiz.questions[mark.question]
        rows.append(
            [
                names.get(mark.player, mark.player),
                str(mark.question + 1),
                answer_text(question, mark.answer),
                "true" if mark.correct else "false",
                "" if mark.seconds is None else f"{mark.seconds:.2f}",
                str(mark.points),
            ]
        )
    return rows
