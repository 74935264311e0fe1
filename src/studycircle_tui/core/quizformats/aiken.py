"""Moodle's Aiken format: multiple-choice questions with one right answer, nothing else.

    What does len([1, 2, 3]) return?
    A. 2
    B) 3
    ANSWER: B

As Moodle's "Aiken format" documentation has it: the question, then its options, each a capital
letter with "." or ")" before its text, then "ANSWER: " and the right letter; blank lines
between questions. Read a little more leniently than the documentation, as Moodle itself reads
it: an option needs no space after its letter ("A.list"), and a question may run over several
lines (every line before its first option). Everything else wrong stops with the line.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from .checks import check_question, checked, clean_title, finish
from .gift import split_lines
from .model import (
    DEFAULT_POINTS,
    DEFAULT_SECONDS,
    Common,
    Quiz,
    QuizFormatError,
    QuizQuestion,
    choice_question,
    choice_weights,
)

OPTION = re.compile(r"([A-Z])[.)][ \t]*(.*)")
ANSWER = re.compile(r"ANSWER:[ \t]*(.*)")
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass
class _Pending:
    line: int
    text: list[str]
    options: list[str] = field(default_factory=list)

    @property
    def next_letter(self) -> str:
        return LETTERS[len(self.options)] if len(self.options) < len(LETTERS) else "?"


def read_aiken(text: str, title: str = "") -> Quiz:
    lines = split_lines(text)
    quiz = Quiz(clean_title(title))
    pending: _Pending | None = None
    for number, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line:
            continue
        answer = ANSWER.match(line)
        if pending is None:
            if answer:
                raise QuizFormatError(number, "an 'ANSWER:' line with no question before it")
            pending = _Pending(number, [line])
        elif answer:
            quiz.questions.append(_question(pending, answer.group(1).strip(), number))
            pending = None
        else:
            _option(pending, line, number)
    if pending is not None:
        raise QuizFormatError(pending.line, "the question has no 'ANSWER: <letter>' line")
    return finish(quiz)


def _option(pending: _Pending, line: str, number: int) -> None:
    option = OPTION.fullmatch(line)
    if option is None:
        if not pending.options:
            pending.text.append(line)  # the question goes on
            return
        hint = " (write it 'ANSWER: X', in capitals)" if line.upper().startswith("ANSWER") else ""
        raise QuizFormatError(
            number,
            f"expected option {pending.next_letter} or the 'ANSWER:' line of the question "
            f"at line {pending.line}{hint}",
        )
    letter, choice = option.groups()
    if letter != pending.next_letter:
        raise QuizFormatError(
            number, f"option {letter} where option {pending.next_letter} was expected"
        )
    if not choice.strip():
        raise QuizFormatError(number, f"option {letter} has no text")
    pending.options.append(choice.strip())


def _question(pending: _Pending, letter: str, number: int) -> QuizQuestion:
    count = len(pending.options)
    if count < 2:
        raise QuizFormatError(number, "a question needs at least two options (A. and B.)")
    if not re.fullmatch("[A-Z]", letter):
        why = f"the answer is one capital letter, like 'ANSWER: B', not {letter!r}"
        raise QuizFormatError(number, why)
    right = LETTERS.index(letter)
    if right >= count:
        why = f"ANSWER: {letter}, but the options go from A to {LETTERS[count - 1]}"
        raise QuizFormatError(number, why)
    weights = [100.0 if i == right else 0.0 for i in range(count)]
    common = Common(line=pending.line)
    text = "\n".join(pending.text)
    return checked(
        choice_question("multiple_choice", text, pending.options, weights, [""] * count, common)
    )


def _cannot(question: QuizQuestion, number: int, why: str) -> QuizFormatError:
    return QuizFormatError(question.line, f"question {number} cannot be written as Aiken: {why}")


def write_question(question: QuizQuestion, number: int) -> str:
    try:
        check_question(question)
    except ValueError as error:
        raise _cannot(question, number, str(error)) from None
    if question.kind != "multiple_choice":
        why = f"it is {question.kind}; Aiken holds only multiple choice with one right answer"
        raise _cannot(question, number, why)
    if len(question.key.choices) != 1 or any(w not in (0, 100) for w in choice_weights(question)):
        raise _cannot(question, number, "Aiken has one right answer and no partial credit")
    if len(question.choices) > len(LETTERS):
        raise _cannot(question, number, f"Aiken letters stop at Z ({len(LETTERS)} options)")
    if any("\n" in choice or "\r" in choice for choice in question.choices):
        raise _cannot(question, number, "an option has a line break")
    text = [line.strip() for line in split_lines(question.text) if line.strip()]
    for line in text[1:]:
        if OPTION.fullmatch(line) or ANSWER.match(line):
            why = f"the question's line {line!r} would read as an option or answer"
            raise _cannot(question, number, why)
    if ANSWER.match(text[0]):
        raise _cannot(question, number, "the question starts like an 'ANSWER:' line")
    options = [f"{LETTERS[i]}. {choice}" for i, choice in enumerate(question.choices)]
    return "\n".join([*text, *options, f"ANSWER: {LETTERS[question.key.choices[0]]}"])


def write_aiken(quiz: Quiz) -> str:
    return "\n\n".join(write_question(q, n) for n, q in enumerate(quiz.questions, 1)) + "\n"


def aiken_losses(quiz: Quiz) -> list[str]:
    """What an Aiken file of this quiz will not keep."""
    checks: list[tuple[str, Callable[[QuizQuestion], object]]] = [
        ("question names", lambda q: q.name),
        ("categories", lambda q: q.category),
        ("text formats", lambda q: q.text_format),
        ("feedback", lambda q: q.feedback or any(q.key.feedback)),
        (
            "time limits and points",
            lambda q: q.seconds != DEFAULT_SECONDS or q.points != DEFAULT_POINTS,
        ),
    ]
    lost = [what for what, has in checks if any(has(q) for q in quiz.questions)]
    return [f"{', '.join(lost)} (Aiken has no place for them)"] if lost else []
