"""Marking quiz answers and scoring quiz sessions: pure functions over the op schema.

- ``grade(question, key, answer)``: the share of the points an answer earns (0..1) and
  whether it is fully right, for every kind of question.
- ``points(...)``: what a mark is worth under a scoring mode: ``accuracy`` (the share of
  the question's points) or ``speed`` (full points within half a second, falling
  linearly to half at the time limit), plus an optional bonus for a streak of right
  answers.
- ``answer_seconds``: how long a player took, paused time left out.
- ``question_stats``: how the group answered one question (the bar chart at a reveal).

A whole live session is scored in ``sessionscore``; the answer keys a live quiz keeps
back until each reveal are checked in ``quizkeys``.
"""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .ops import AnswerValue, Key, NumberAnswer, Question
from .state import Quiz, QuizSession

FULL_SPEED_SECONDS = 0.5  # answers this fast earn full points in speed mode
SPEED_FLOOR = 0.5  # the share of the points a right answer keeps at the time limit
STREAK_STEP = 0.1  # each right answer in a row after the first adds 10% of the points…
STREAK_CAP = 5  # …up to +50% from the sixth in a row on
_EPSILON = 1e-9


# --- marking one answer ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Grade:
    credit: float  # the share of the points earned, 0..1
    correct: bool  # full credit
    feedback: str = ""


NO_CREDIT = Grade(0.0, False)


def normalize_text(text: str) -> str:
    """Short answers match whatever their case and spacing: "  New  York" is "new york"."""
    return " ".join(text.casefold().split())


def choice_weights(question: Question, key: Key) -> list[float]:
    """Each choice's weight in percent (-100..100).

    A key with weights gives them (GIFT's ``~%50%``); one without gives the right
    choices 100 (one right answer) or an equal share of 100 (several), and for several
    the wrong ones take the same share off, so ticking every box earns nothing.
    """
    count = len(question.choices)
    if key.weights:
        return [float(w) for w in key.weights[:count]] + [0.0] * (count - len(key.weights))
    right = set(key.choices)
    if question.kind != "multiple_answer":
        return [100.0 if i in right else 0.0 for i in range(count)]
    share = 100.0 / max(len(right), 1)
    return [share if i in right else -share for i in range(count)]


def _feedback(key: Key, index: int) -> str:
    return key.feedback[index] if 0 <= index < len(key.feedback) else ""


def _indices(answer: AnswerValue) -> list[int] | None:
    if isinstance(answer, list) and all(
        isinstance(i, int) and not isinstance(i, bool) for i in answer
    ):
        return answer
    return None


def _clamp(share: float) -> float:
    return min(1.0, max(0.0, share))


def _grade_single(question: Question, key: Key, answer: AnswerValue) -> Grade:
    chosen = _indices(answer)
    if chosen is None or len(chosen) != 1 or not 0 <= chosen[0] < len(question.choices):
        return NO_CREDIT
    credit = _clamp(choice_weights(question, key)[chosen[0]] / 100)
    return Grade(credit, credit >= 1 - _EPSILON, _feedback(key, chosen[0]))


def _grade_several(question: Question, key: Key, answer: AnswerValue) -> Grade:
    chosen = _indices(answer)
    if chosen is None:
        return NO_CREDIT
    picked = sorted({i for i in chosen if 0 <= i < len(question.choices)})
    if not picked:
        return NO_CREDIT
    weights = choice_weights(question, key)
    credit = _clamp(sum(weights[i] for i in picked) / 100)
    feedback = " ".join(text for text in (_feedback(key, i) for i in picked) if text)
    return Grade(credit, credit >= 1 - _EPSILON, feedback)


def _grade_short(question: Question, key: Key, answer: AnswerValue) -> Grade:
    if not isinstance(answer, str):
        return NO_CREDIT
    given = normalize_text(answer)
    best = NO_CREDIT
    for index, accepted in enumerate(key.accept):
        if normalize_text(accepted) != given:
            continue
        weight = key.weights[index] if index < len(key.weights) else 100.0
        credit = _clamp(weight / 100)
        if credit > best.credit or best is NO_CREDIT:
            best = Grade(credit, credit >= 1 - _EPSILON, _feedback(key, index))
    return best


def number_answers(key: Key) -> list[NumberAnswer]:
    """A numerical key's accepted answers, whichever way the key is written."""
    if key.numbers:
        return list(key.numbers)
    if key.number is not None:
        return [NumberAnswer(value=key.number, tolerance=key.tolerance)]
    if key.low is not None or key.high is not None:
        return [NumberAnswer(low=key.low, high=key.high)]
    return []


def parse_number(answer: AnswerValue) -> float | None:
    """A typed number: "3.5", "3,5" (decimal comma) or 3.5; None if it is not one."""
    if isinstance(answer, bool | list):
        return None
    if isinstance(answer, int | float):
        value = float(answer)
    else:
        text = answer.strip().replace(" ", "")
        if text.count(",") == 1 and "." not in text:
            text = text.replace(",", ".")
        try:
            value = float(text)
        except ValueError:
            return None
    return value if math.isfinite(value) else None


def _matches_number(entry: NumberAnswer, value: float) -> bool:
    if entry.value is not None:
        slack = entry.tolerance + _EPSILON * max(1.0, abs(entry.value))
        return abs(value - entry.value) <= slack
    if entry.low is not None and entry.high is not None:
        slack = _EPSILON * max(1.0, abs(entry.low), abs(entry.high))
        return entry.low - slack <= value <= entry.high + slack
    return True  # "any other answer": only its feedback, never credit (weight 0)


def _grade_number(question: Question, key: Key, answer: AnswerValue) -> Grade:
    value = parse_number(answer)
    if value is None:
        return NO_CREDIT
    best: Grade | None = None
    for entry in number_answers(key):
        if not _matches_number(entry, value):
            continue
        credit = _clamp(entry.weight / 100)
        if best is None or credit > best.credit:
            best = Grade(credit, credit >= 1 - _EPSILON, entry.feedback)
    return best or NO_CREDIT


def _grade_matching(question: Question, key: Key, answer: AnswerValue) -> Grade:
    chosen = _indices(answer)
    prompts = len(key.matches)
    if chosen is None or not prompts:
        return NO_CREDIT
    right = sum(1 for i, match in enumerate(key.matches) if i < len(chosen) and chosen[i] == match)
    return Grade(right / prompts, right == prompts)


_GRADERS = {
    "multiple_choice": _grade_single,
    "true_false": _grade_single,
    "multiple_answer": _grade_several,
    "short_answer": _grade_short,
    "numerical": _grade_number,
    "matching": _grade_matching,
}


def grade(question: Question, key: Key, answer: AnswerValue) -> Grade:
    """Mark one answer. Answers of the wrong shape (text for a choice) earn nothing."""
    return _GRADERS[question.kind](question, key, answer)


def right_answer_text(question: Question, key: Key) -> str:
    """The answer that earns full credit, as a reveal shows it."""
    if question.kind in ("multiple_choice", "true_false", "multiple_answer"):
        weights = choice_weights(question, key)
        if question.kind == "multiple_answer":
            chosen = [i for i, w in enumerate(weights) if w > 0]
        else:
            chosen = [i for i, w in enumerate(weights) if w >= 100 - _EPSILON]
        return "; ".join(f"{choice_label(i)}) {question.choices[i]}" for i in chosen)
    if question.kind == "short_answer":
        full = [
            text
            for i, text in enumerate(key.accept)
            if (key.weights[i] if i < len(key.weights) else 100.0) >= 100 - _EPSILON
        ]
        return " / ".join(full or key.accept)
    if question.kind == "numerical":
        parts = []
        for entry in number_answers(key):
            if entry.weight < 100 - _EPSILON:
                continue
            if entry.value is not None:
                tolerance = f" ± {_number(entry.tolerance)}" if entry.tolerance else ""
                parts.append(f"{_number(entry.value)}{tolerance}")
            else:
                parts.append(f"{_number(entry.low)} to {_number(entry.high)}")
        return " or ".join(parts)
    return "; ".join(
        f"{prompt} → {question.choices[m] if 0 <= m < len(question.choices) else '?'}"
        for prompt, m in zip(question.prompts, key.matches, strict=False)
    )


def choice_label(index: int) -> str:
    """1 → "A": choices are shown with letters (and can be picked with 1–9 or a–z)."""
    return chr(ord("A") + index) if 0 <= index < 26 else str(index + 1)


def _number(value: float | None) -> str:
    if value is None:
        return "?"
    value = float(value)
    return str(int(value)) if value.is_integer() and abs(value) < 2**53 else f"{value:g}"


def answer_text(question: Question, answer: AnswerValue | None, *, letters: bool = False) -> str:
    """An answer as people read it (and as the CSV export writes it); with ``letters``,
    choices as the screen shows them ("B) 3"), to sit next to ``right_answer_text``."""
    if answer is None:
        return ""
    chosen = _indices(answer)
    if question.kind == "matching" and chosen is not None:
        return "; ".join(
            f"{prompt} → {question.choices[c] if 0 <= c < len(question.choices) else '-'}"
            for prompt, c in zip(question.prompts, chosen, strict=False)
        )
    if chosen is not None:
        return "; ".join(
            (f"{choice_label(i)}) " if letters else "") + question.choices[i]
            if 0 <= i < len(question.choices)
            else f"#{i}"
            for i in chosen
        )
    if isinstance(answer, float):
        return _number(answer)
    return str(answer)


# --- what a mark is worth ----------------------------------------------------------------


def speed_factor(seconds: float, limit: float) -> float:
    """1 within half a second, falling linearly to ``SPEED_FLOOR`` at ``limit`` seconds
    (and staying there for answers given in time the lead added)."""
    if math.isnan(seconds):
        return SPEED_FLOOR
    if seconds <= FULL_SPEED_SECONDS:
        return 1.0
    span = max(limit - FULL_SPEED_SECONDS, _EPSILON)
    late = min(1.0, (seconds - FULL_SPEED_SECONDS) / span)
    return 1.0 - (1.0 - SPEED_FLOOR) * late


def streak_bonus(streak: int) -> float:
    """The bonus share for the ``streak``-th right answer in a row (0 for the first)."""
    return STREAK_STEP * min(max(streak - 1, 0), STREAK_CAP)


def points(
    question: Question,
    credit: float,
    seconds: float,
    *,
    scoring: str = "accuracy",
    streak: int = 0,
) -> float:
    """What a mark with ``credit`` given after ``seconds`` is worth. ``streak`` is the
    length of the run of right answers it ends (0: no streak bonus)."""
    worth = question.points * _clamp(credit)
    if scoring == "speed":
        worth *= speed_factor(seconds, question.seconds)
    if streak and credit >= 1 - _EPSILON:
        worth += question.points * streak_bonus(streak)
    return worth


def max_points(question: Question, *, streak: bool = False) -> float:
    """The most one question can earn (speed mode's best equals accuracy's)."""
    return question.points * (1 + (STREAK_STEP * STREAK_CAP if streak else 0.0))


# --- time ---------------------------------------------------------------------------------


def running_ms(opens: Sequence[tuple[int, int]], at_ms: int) -> int:
    """How long a question had been running (paused time left out) at ``at_ms``.

    ``opens`` are its ``quiz.open`` ops as (time, deadline), in fold order; a deadline
    of 0 pauses it, the next open resumes it (or adds time).
    """
    total, since = 0, None
    for when, deadline in opens:
        if when > at_ms:
            break
        if deadline == 0:
            if since is not None:
                total += when - since
                since = None
        elif since is None:
            since = when
    if since is not None:
        total += at_ms - since
    return max(0, total)


def answer_seconds(session: QuizSession, question: int, at_ms: int) -> float:
    opens = session.opens.get(question)
    if not opens:
        opens = [(session.opened_ms.get(question, at_ms), 1)]
    if len(opens) == 1 and opens[0][1]:  # opened once, never paused: the hot path
        return max(0, at_ms - opens[0][0]) / 1000
    return running_ms(opens, at_ms) / 1000


# --- how the group answered ---------------------------------------------------------------


@dataclass(slots=True)
class Bar:
    label: str
    count: int
    correct: bool = False


@dataclass(slots=True)
class QuestionStats:
    question: int
    bars: list[Bar]
    answered: int
    right: int
    average_seconds: float | None
    fastest: tuple[str, float] | None = None  # who gave a right answer first, and when


MAX_FREE_BARS = 5  # typed answers: the most common ones, then "other"


def question_stats(
    question: Question,
    index: int,
    answers: dict[str, tuple[AnswerValue, int]],
    key: Key | None,
    seconds: Iterable[float] = (),
) -> QuestionStats:
    """Counts per choice (or per typed answer) for the bar chart; ``key`` marks the
    right bars once it is revealed."""
    given = [answer for answer, _ in answers.values()]
    graded = [grade(question, key, a) if key else NO_CREDIT for a in given]
    right = sum(1 for g in graded if g.correct)
    timing = list(seconds)
    average = sum(timing) / len(timing) if timing else None
    quick = [
        (took, player)
        for player, marked, took in zip(answers, graded, timing, strict=False)
        if marked.correct
    ]
    fastest = min(quick)[::-1] if quick else None
    kind = question.kind
    if kind in ("multiple_choice", "true_false", "multiple_answer"):
        weights = choice_weights(question, key) if key else [0.0] * len(question.choices)
        counts = [0] * len(question.choices)
        for answer in given:
            for i in set(_indices(answer) or ()):
                if 0 <= i < len(counts):
                    counts[i] += 1
        full = 100 - _EPSILON if kind != "multiple_answer" else _EPSILON
        bars = [
            Bar(f"{choice_label(i)}) {text}", counts[i], key is not None and weights[i] >= full)
            for i, text in enumerate(question.choices)
        ]
    elif kind == "matching":
        buckets = {"all right": 0, "some right": 0, "none right": 0}
        for g in (grade(question, key, a) for a in given) if key else ():
            name = "all right" if g.correct else "some right" if g.credit > 0 else "none right"
            buckets[name] += 1
        if key is None:
            buckets = {"answered": len(given)}
        bars = [Bar(name, count, name == "all right") for name, count in buckets.items()]
    else:
        groups: dict[str, Bar] = {}
        for answer, marked in zip(given, graded, strict=True):
            if kind == "numerical":
                value = parse_number(answer)
                name = _number(value) if value is not None else str(answer)
            else:
                name = normalize_text(str(answer))
            bar = groups.setdefault(name, Bar(name, 0, marked.correct))
            bar.count += 1
        ordered = sorted(groups.values(), key=lambda b: (-b.count, not b.correct, b.label))
        bars = ordered[:MAX_FREE_BARS]
        rest = sum(b.count for b in ordered[MAX_FREE_BARS:])
        if rest:
            bars.append(Bar("(other answers)", rest))
    return QuestionStats(index, bars, len(given), right, average, fastest)


def session_question_stats(quiz: Quiz, session: QuizSession, index: int) -> QuestionStats:
    answers = {p: v for p, v in session.answers.get(index, {}).items() if p != session.host}
    seconds = [answer_seconds(session, index, at) for _, at in answers.values()]
    return question_stats(
        quiz.questions[index], index, answers, session.revealed.get(index), seconds
    )
