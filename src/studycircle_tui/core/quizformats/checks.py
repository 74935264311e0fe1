"""The rules every question must meet, whatever file it came from.

One set of checks for all formats, so a question that reads from GIFT, Aiken or TOML is one the
runner can ask and mark, and fits the op schema; the messages are for the person who wrote the
file, and the readers put the line in front.
"""

import math

from ..messages import N_, Message, reason_of
from ..ops import Key, NumberAnswer
from .model import (
    KINDS,
    MAX_QUESTIONS,
    TEXT_FORMATS,
    TRUE_FALSE,
    Quiz,
    QuizFormatError,
    QuizQuestion,
    choice_weights,
    format_number,
    is_catch_all,
    number_answers,
    short_answers,
)

TITLE_LIMIT = 200  # QuizCreateData.title
_KEY_FIELDS: dict[str, set[str]] = {
    "multiple_choice": {"choices", "weights", "feedback"},
    "multiple_answer": {"choices", "weights", "feedback"},
    "true_false": {"choices", "feedback"},
    "short_answer": {"accept", "weights", "feedback"},
    "numerical": {"number", "tolerance", "low", "high", "numbers"},
    "matching": {"matches"},
}
_EMPTY_KEY = Key()


def check_question(question: QuizQuestion) -> None:
    """Raise ValueError saying what is wrong if the question cannot be asked and marked."""
    if question.kind not in KINDS:
        raise ValueError(
            Message(
                "unknown kind {kind!r} (one of: {kinds})",
                kind=question.kind,
                kinds=", ".join(KINDS),
            )
        )
    if not question.text.strip():
        raise ValueError(N_("the question has no text"))
    if question.text_format not in (None, *TEXT_FORMATS):
        raise ValueError(
            Message(
                "unknown text format {format!r} (one of: {formats})",
                format=question.text_format,
                formats=", ".join(TEXT_FORMATS),
            )
        )
    for name in Key.__struct_fields__:
        unused = name not in _KEY_FIELDS[question.kind]
        if unused and getattr(question.key, name) != getattr(_EMPTY_KEY, name):
            raise ValueError(
                Message(
                    "a {kind} question's key has no use for {name!r}", kind=question.kind, name=name
                )
            )
    if not (math.isfinite(question.points) and isinstance(question.seconds, int)):
        raise ValueError(N_("points must be a finite number and seconds a whole number"))
    if question.prompts and question.kind != "matching":
        raise ValueError(Message("a {kind} question has no prompts", kind=question.kind))
    _CHECKS[question.kind](question)


def _check_weight(weight: float, low: float, what: str) -> None:
    if not (math.isfinite(weight) and low <= weight <= 100):
        raise ValueError(
            Message(
                "{what} weight {weight}% is outside {low:g}..100%",
                what=Message(what),
                weight=format_number(weight),
                low=low,
            )
        )


def _check_lengths(question: QuizQuestion, count: int, what: str) -> None:
    for name in ("weights", "feedback"):
        found = len(getattr(question.key, name))
        if found not in (0, count):
            raise ValueError(
                Message(
                    "{found} {name} for {count} {what}",
                    found=found,
                    name=name,
                    count=count,
                    what=Message(what),
                )
            )


def _check_choices(question: QuizQuestion) -> None:
    choices = question.choices
    if len(choices) < 2:
        raise ValueError(
            Message("a {kind} question needs at least two choices", kind=question.kind)
        )
    for number, choice in enumerate(choices, 1):
        if not choice.strip():
            raise ValueError(Message("choice {number} is empty", number=number))
    _check_lengths(question, len(choices), N_("choices"))
    correct = question.key.choices
    if any(not 0 <= i < len(choices) for i in correct) or correct != sorted(set(correct)):
        raise ValueError(
            Message(
                "correct choices {correct} do not fit {count} choices",
                correct=correct,
                count=len(choices),
            )
        )
    weights = choice_weights(question)
    for weight in weights:
        _check_weight(weight, -100, N_("a choice"))
    if question.kind == "multiple_choice":
        full = [i for i, weight in enumerate(weights) if weight == 100]
        if not full:
            raise ValueError(N_("no choice is fully correct: mark one right (= in GIFT)"))
        if len(full) == len(choices):
            raise ValueError(N_("every choice is fully correct, so there is nothing to choose"))
    else:
        full = [i for i, weight in enumerate(weights) if weight > 0]
        total = sum(weight for weight in weights if weight > 0)
        if not full:
            raise ValueError(N_("no choice earns credit: give the right ones weights like ~%50%"))
        # Moodle's own rule: the positive weights of a multiple-answer question make 100%.
        if round(total / 100, 2) != 1:
            raise ValueError(
                Message(
                    "the positive weights add up to {total}%, not 100%", total=format_number(total)
                )
            )
    if correct != full:
        raise ValueError(
            Message(
                "correct choices {correct} disagree with the weights {weights}",
                correct=correct,
                weights=weights,
            )
        )


def _check_true_false(question: QuizQuestion) -> None:
    if tuple(question.choices) != TRUE_FALSE:
        raise ValueError(
            Message("a true_false question's choices are {choices}", choices=list(TRUE_FALSE))
        )
    if question.key.choices not in ([0], [1]):
        raise ValueError(N_("a true_false key is choice [0] (True) or [1] (False)"))
    _check_lengths(question, 2, N_("choices"))


def _check_short_answer(question: QuizQuestion) -> None:
    if question.choices:
        raise ValueError(N_("a short_answer question has no choices"))
    if not question.key.accept:
        raise ValueError(N_("a short_answer question needs at least one accepted answer"))
    if any(not answer.strip() for answer in question.key.accept):
        raise ValueError(N_("an accepted answer is empty"))
    _check_lengths(question, len(question.key.accept), N_("answers"))
    weights = [weight for _, weight, _ in short_answers(question)]
    for weight in weights:
        _check_weight(weight, 0, N_("an answer"))
    if 100 not in weights:
        raise ValueError(N_("no answer earns full credit (100%)"))


def _check_numerical(question: QuizQuestion) -> None:
    key = question.key
    if question.choices:
        raise ValueError(N_("a numerical question has no choices"))
    if key.numbers and (key.number, key.tolerance, key.low, key.high) != (None, 0, None, None):
        raise ValueError(
            N_("a numerical key has its answers in numbers or number/low/high, not both")
        )
    if key.number is not None and (key.low is not None or key.high is not None):
        raise ValueError(
            N_("a numerical answer is a number with a tolerance, or a range, not both")
        )
    answers = number_answers(question)
    if not answers:
        raise ValueError(N_("a numerical question needs an answer"))
    for index, answer in enumerate(answers):
        _check_number_answer(answer, last=index == len(answers) - 1)
    if not any(a.weight == 100 for a in answers):
        raise ValueError(N_("no answer earns full credit (100%)"))


def _check_number_answer(answer: NumberAnswer, last: bool) -> None:
    numbers = (answer.value, answer.tolerance, answer.low, answer.high, answer.weight)
    if not all(math.isfinite(n) for n in numbers if n is not None):
        raise ValueError(N_("numbers must be finite"))
    if answer.tolerance < 0:
        raise ValueError(
            Message("tolerance {tolerance} is negative", tolerance=format_number(answer.tolerance))
        )
    if is_catch_all(answer):
        if not last or answer.weight != 0 or answer.tolerance:
            raise ValueError(N_("an 'any other answer' entry comes last, with no weight"))
        return
    if answer.value is None:
        if answer.low is None or answer.high is None or answer.tolerance:
            raise ValueError(N_("a range needs both low and high (and no tolerance)"))
        if answer.low > answer.high:
            raise ValueError(
                Message(
                    "range {low}..{high} is backwards",
                    low=format_number(answer.low),
                    high=format_number(answer.high),
                )
            )
    elif answer.low is not None or answer.high is not None:
        raise ValueError(
            N_("a numerical answer is a number with a tolerance, or a range, not both")
        )
    _check_weight(answer.weight, 0, N_("an answer"))


def _check_matching(question: QuizQuestion) -> None:
    if len(question.prompts) < 2:
        raise ValueError(N_("a matching question needs at least two pairs"))
    if any(not prompt.strip() for prompt in question.prompts):
        raise ValueError(N_("a matching prompt is empty"))
    if any(not choice.strip() for choice in question.choices):
        raise ValueError(N_("a matching answer is empty"))
    if len(set(question.choices)) != len(question.choices):
        raise ValueError(N_("a matching question lists the same answer twice"))
    matches = question.key.matches
    if len(matches) != len(question.prompts):
        raise ValueError(
            Message(
                "{matches} matches for {prompts} prompts",
                matches=len(matches),
                prompts=len(question.prompts),
            )
        )
    if any(not 0 <= m < len(question.choices) for m in matches):
        raise ValueError(
            Message(
                "matches {matches} do not fit {count} choices",
                matches=matches,
                count=len(question.choices),
            )
        )


_CHECKS = {
    "multiple_choice": _check_choices,
    "multiple_answer": _check_choices,
    "true_false": _check_true_false,
    "short_answer": _check_short_answer,
    "numerical": _check_numerical,
    "matching": _check_matching,
}


def checked(question: QuizQuestion) -> QuizQuestion:
    """The question, if it can be asked and fits the op schema; else a QuizFormatError
    at its line. Every reader passes each question it builds through here."""
    try:
        check_question(question)
        question.to_op()
    except ValueError as error:
        raise QuizFormatError(question.line, reason_of(error)) from None
    return question


def finish(quiz: Quiz) -> Quiz:
    """A reader's last step: a file must hold at least one question the runner can ask,
    and no more than a quiz holds."""
    if len(quiz.questions) > MAX_QUESTIONS:
        raise QuizFormatError(
            quiz.questions[MAX_QUESTIONS].line,
            Message("a quiz holds at most {limit} questions", limit=MAX_QUESTIONS),
        )
    if not quiz.questions and quiz.skipped:
        lines = ", ".join(str(s.line) for s in quiz.skipped)
        message = Message("no question the runner can ask (skipped: line {lines})", lines=lines)
        raise QuizFormatError(quiz.skipped[0].line, message)
    if not quiz.questions:
        raise QuizFormatError(1, N_("no questions found"))
    return quiz


def clean_title(title: str) -> str:
    """A quiz title from a file name or a ``// quiz:`` comment, cut to the schema's limit."""
    return title.strip()[:TITLE_LIMIT].strip() or "Untitled quiz"
