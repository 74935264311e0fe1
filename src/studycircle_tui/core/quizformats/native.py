"""The native quiz file: TOML, one ``[[questions]]`` table per question.

It holds everything the app keeps of a question (GIFT and Aiken hold less), and it is written
for people: choices are plain strings unless they carry something (``correct``, a ``weight``,
``feedback``), numbers are plain numbers unless they carry a tolerance or a range. The README's
"Quiz files" section is its reference. tomllib reads it; the writer emits the text itself so
the layout stays the hand-written one (tomli-w would turn each choice into its own table).
"""

import difflib
import re
import tomllib
from collections.abc import Callable
from typing import Any

from ..ops import NumberAnswer
from .checks import TITLE_LIMIT, checked, clean_title, finish
from .gift import split_lines
from .model import (
    DEFAULT_POINTS,
    DEFAULT_SECONDS,
    KINDS,
    TEXT_FORMATS,
    Common,
    Quiz,
    QuizFormatError,
    QuizQuestion,
    choice_question,
    equal_shares,
    matching_question,
    numerical_question,
    short_answer_question,
    true_false_question,
)

QUIZ_KEYS = ("title", "seconds", "points", "questions")
COMMON_KEYS = ("kind", "text", "name", "category", "format", "feedback", "seconds", "points")
KIND_KEYS = {
    "multiple_choice": ("choices",),
    "multiple_answer": ("choices",),
    "true_false": ("answer", "feedback_true", "feedback_false"),
    "short_answer": ("answers",),
    "numerical": ("answers", "feedback_other"),
    "matching": ("pairs", "distractors"),
}
CHOICE_KEYS = ("text", "correct", "weight", "feedback")
SHORT_KEYS = ("text", "weight", "feedback")
NUMBER_KEYS = ("value", "tolerance", "low", "high", "weight", "feedback")
_POSITION = re.compile(r"\s*\(at line (\d+), column \d+\)$|\s*\(at end of document\)$")
_NUMBER_TYPES = (int, float)


class _Where:
    """Lines of a TOML text, to name the line of a question or key in messages (tomllib
    gives positions only for syntax errors)."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.headers = [
            n for n, line in enumerate(lines, 1) if re.match(r"\s*\[\[\s*questions\s*\]\]", line)
        ]

    def _find(self, key: str, start: int, stop: int) -> int | None:
        pattern = re.compile(rf"\s*\"?{re.escape(key)}\"?\s*=")
        for number in range(start, min(stop, len(self.lines) + 1)):
            if pattern.match(self.lines[number - 1]):
                return number
        return None

    def top(self, key: str) -> int:
        stop = self.headers[0] if self.headers else len(self.lines) + 1
        return self._find(key, 1, stop) or 1

    def question(self, index: int) -> int:
        if index < len(self.headers):
            return self.headers[index]
        return self.top("questions")

    def key(self, index: int, key: str) -> int:
        start = self.question(index)
        stop = self.headers[index + 1] if index + 1 < len(self.headers) else len(self.lines) + 1
        return self._find(key, start, stop) or start


class _Table:
    """A TOML table (the quiz, a question, an entry of a list) with typed getters whose
    errors name the line (``locate`` finds a key's) and what the table is (``prefix``)."""

    def __init__(
        self, table: dict[str, Any], locate: Callable[[str | None], int], prefix: str = ""
    ) -> None:
        self.table, self.locate, self.prefix = table, locate, prefix

    def error(self, key: str | None, message: str) -> QuizFormatError:
        return QuizFormatError(self.locate(key), self.prefix + message)

    def known(self, allowed: tuple[str, ...]) -> None:
        for key in self.table:
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise self.error(key, f"unknown key {key!r}{hint}; allowed: {', '.join(allowed)}")

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = None) -> Any:
        if key not in self.table:
            return default
        value = self.table[key]
        # TOML's true is a Python int too; a number must not be a bool, nor a bool a number.
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            raise self.error(key, f"{key} must be {_TYPE_NAMES[kind]}")
        return value

    def items(self, key: str) -> list[Any]:
        items: list[Any] = self.get(key, list, [])
        return items


_TYPE_NAMES: dict[Any, str] = {
    str: "text in quotes",
    bool: "true or false",
    int: "a whole number",
    list: "a list [...]",
    _NUMBER_TYPES: "a number",
}


def read_toml(text: str, title: str = "") -> Quiz:
    """Parse a native quiz file; ``title`` is used if the file has none."""
    text = text.removeprefix("\ufeff")
    lines = split_lines(text)
    where = _Where(lines)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        position = _POSITION.search(message)
        line = int(position.group(1)) if position and position.group(1) else len(lines)
        message = message[: position.start()] if position else message
        raise QuizFormatError(line, f"not valid TOML: {message}") from None

    top = _Table(data, lambda key: where.top(key) if key else 1)
    top.known(QUIZ_KEYS)
    if len(top.get("title", str, "")) > TITLE_LIMIT:
        raise QuizFormatError(where.top("title"), f"the title is over {TITLE_LIMIT} characters")
    quiz = Quiz(clean_title(top.get("title", str, "") or title))
    defaults = Common(seconds=top.get("seconds", int, DEFAULT_SECONDS))
    defaults.points = float(top.get("points", _NUMBER_TYPES, DEFAULT_POINTS))
    questions = top.get("questions", list, [])
    for index, table in enumerate(questions):
        if not isinstance(table, dict):
            raise QuizFormatError(where.top("questions"), "questions must be tables [[questions]]")
        quiz.questions.append(_question(_question_table(table, index, where), defaults))
    return finish(quiz)


def _question_table(table: dict[str, Any], index: int, where: _Where) -> _Table:
    def locate(key: str | None) -> int:
        return where.key(index, key) if key else where.question(index)

    return _Table(table, locate, f"question {index + 1}: ")


def _question(table: _Table, defaults: Common) -> QuizQuestion:
    kind = table.get("kind", str)
    if kind not in KINDS:
        found = f"kind {kind!r} is not one of" if kind else "needs a kind, one of"
        raise table.error("kind" if kind else None, f"{found}: {', '.join(KINDS)}")
    table.known(COMMON_KEYS + KIND_KEYS[kind])
    text_format = table.get("format", str)
    if text_format not in (None, *TEXT_FORMATS):
        raise table.error("format", f"format must be one of: {', '.join(TEXT_FORMATS)}")
    common = Common(
        feedback=table.get("feedback", str, ""),
        name=table.get("name", str, ""),
        category=table.get("category", str, ""),
        text_format=text_format,
        seconds=table.get("seconds", int, defaults.seconds),
        points=float(table.get("points", _NUMBER_TYPES, defaults.points)),
        line=table.locate(None),
    )
    text = table.get("text", str, "")
    if kind in ("multiple_choice", "multiple_answer"):
        question = _choices(table, kind, text, common)
    elif kind == "true_false":
        if "answer" not in table.table:
            raise table.error(None, "a true_false question needs answer = true or false")
        if_true = table.get("feedback_true", str, "")
        if_false = table.get("feedback_false", str, "")
        question = true_false_question(text, table.get("answer", bool), if_true, if_false, common)
    elif kind == "short_answer":
        question = _short_answer(table, text, common)
    elif kind == "numerical":
        question = numerical_question(text, _numbers(table), common)
    else:
        question = _matching(table, text, common)
    try:
        return checked(question)
    except QuizFormatError as error:
        raise QuizFormatError(error.line, table.prefix + error.message) from None


def _entry(table: _Table, key: str, number: int, entry: Any, allowed: tuple[str, ...]) -> _Table:
    """An entry of a list as a table; a plain value stands for ``{allowed[0] = value}``."""
    if not isinstance(entry, dict):
        entry = {allowed[0]: entry}
    sub = _Table(entry, lambda _: table.locate(key), f"{table.prefix}{key} entry {number}: ")
    sub.known(allowed)
    return sub


def _choices(table: _Table, kind: str, text: str, common: Common) -> QuizQuestion:
    entries = [
        _entry(table, "choices", n, e, CHOICE_KEYS) for n, e in enumerate(table.items("choices"), 1)
    ]
    texts = [entry.get("text", str, "") for entry in entries]
    correct = [entry.get("correct", bool) for entry in entries]
    given = [entry.get("weight", _NUMBER_TYPES) for entry in entries]
    feedback = [entry.get("feedback", str, "") for entry in entries]
    if kind == "multiple_answer" and not any(w is not None for w in given):
        # Only "correct = true" marks: the right ones share 100%, the wrong ones take it off.
        right = [c is True for c in correct]
        weights = equal_shares(right) if any(right) else [0.0] * len(right)
    elif kind == "multiple_answer":
        if any(c and w is None for c, w in zip(correct, given, strict=True)):
            raise table.error("choices", "give every right choice a weight, or none of them")
        weights = [float(w or 0) for w in given]
    else:
        pairs = zip(correct, given, strict=True)
        weights = [float(w) if w is not None else 100.0 if c else 0.0 for c, w in pairs]
    for number, (c, w) in enumerate(zip(correct, weights, strict=True), 1):
        marked = w == 100 if kind == "multiple_choice" else w > 0
        if c is not None and c != marked:
            what = "correct = true" if c else "correct = false"
            raise table.error("choices", f"choice {number} has {what} but weight {w:g}")
    return choice_question(kind, text, texts, weights, feedback, common)  # type: ignore[arg-type]


def _short_answer(table: _Table, text: str, common: Common) -> QuizQuestion:
    entries = [
        _entry(table, "answers", n, e, SHORT_KEYS) for n, e in enumerate(table.items("answers"), 1)
    ]
    answers = [entry.get("text", str, "") for entry in entries]
    weights = [float(entry.get("weight", _NUMBER_TYPES, 100.0)) for entry in entries]
    feedback = [entry.get("feedback", str, "") for entry in entries]
    return short_answer_question(text, answers, weights, feedback, common)


def _numbers(table: _Table) -> list[NumberAnswer]:
    answers = []
    for number, raw in enumerate(table.items("answers"), 1):
        entry = _entry(table, "answers", number, raw, NUMBER_KEYS)
        values = {key: entry.get(key, _NUMBER_TYPES) for key in ("value", "low", "high")}
        answers.append(
            NumberAnswer(
                **{key: float(v) for key, v in values.items() if v is not None},
                tolerance=float(entry.get("tolerance", _NUMBER_TYPES, 0.0)),
                weight=float(entry.get("weight", _NUMBER_TYPES, 100.0)),
                feedback=entry.get("feedback", str, ""),
            )
        )
        if not any(v is not None for v in values.values()):
            raise entry.error(None, "needs a value, or low and high")
    if "feedback_other" in table.table:
        answers.append(NumberAnswer(weight=0, feedback=table.get("feedback_other", str)))
    return answers


def _matching(table: _Table, text: str, common: Common) -> QuizQuestion:
    pairs = []
    for pair in table.items("pairs"):
        texts = isinstance(pair, list) and all(isinstance(part, str) for part in pair)
        if not (texts and len(pair) == 2):
            raise table.error("pairs", 'each pair is ["prompt", "answer"]')
        pairs.append((pair[0], pair[1]))
    distractors = table.get("distractors", list, [])
    if not all(isinstance(d, str) for d in distractors):
        raise table.error("distractors", "distractors are texts in quotes")
    return matching_question(text, pairs, distractors, common)
