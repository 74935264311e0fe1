"""The quiz model every file format reads into and writes from, and its link to the op schema.

A parsed file is a `Quiz`: its questions, each the op schema's `Question` fields with its `Key`,
and the blocks the runner cannot ask (`skipped`, with their line and why). Readers build
questions only through the constructors below, which give each key one canonical shape (weights
only when some choice has partial credit, feedback only when there is some, ...). That is what
makes "write, then read back" give an equal quiz whatever the format; `checks.check_question`
then holds every format to the same rules.
"""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

import msgspec

from ..messages import Message
from ..ops import Key, NumberAnswer, Question, QuestionKind, QuizCreateData
from ..text import explain, refused_kind

KINDS: tuple[QuestionKind, ...] = (
    "multiple_choice",
    "multiple_answer",
    "true_false",
    "short_answer",
    "numerical",
    "matching",
)
TEXT_FORMATS = ("markdown", "html", "plain")
TRUE_FALSE = ("True", "False")
DEFAULT_SECONDS = 30
DEFAULT_POINTS = 1.0
MAX_QUESTIONS = 500  # QuizCreateData's limit


class QuizFormatError(ValueError):
    """A quiz file that cannot be read (or a quiz a format cannot hold), with the line."""

    def __init__(self, line: int, message: str) -> None:
        # Marked sentences (core/messages.py), so each front end says them in its language.
        message = message if isinstance(message, Message) else Message(message)
        super().__init__(Message("line {line}: {message}", line=line, message=message))
        self.line = line
        self.message = message


class Skipped(NamedTuple):
    """A block of a file that is not a question the runner can ask (an essay, a description)."""

    line: int
    reason: str


@dataclass
class QuizQuestion:
    kind: QuestionKind
    text: str
    choices: list[str] = field(default_factory=list)
    prompts: list[str] = field(default_factory=list)  # left side of a matching
    key: Key = field(default_factory=Key)
    feedback: str = ""  # general feedback, for everyone whatever they answered
    name: str = ""
    category: str = ""
    text_format: str | None = None  # "markdown", "html", "plain" or None (plain text)
    seconds: int = DEFAULT_SECONDS
    points: float = DEFAULT_POINTS
    line: int = field(default=0, compare=False)  # where it starts in its file, for messages

    def to_op(self) -> tuple[Question, Key]:
        """The question as players see it and its key, checked against the op schema."""
        question = Question(
            kind=self.kind,
            text=self.text,
            choices=list(self.choices),
            prompts=list(self.prompts),
            seconds=self.seconds,
            points=self.points,
            name=self.name,
            category=self.category,
            text_format=self.text_format,  # type: ignore[arg-type]  # checked just below
        )
        key = replace_key(self.key, general_feedback=self.feedback)
        # Building a Struct does not check its length and range limits; a round trip does.
        _schema_check(question, Question)
        _schema_check(key, Key)
        return question, key

    @classmethod
    def from_op(cls, question: Question, key: Key) -> "QuizQuestion":
        """The model of a question from a quiz op, its key put in canonical shape; a
        ValueError says why if the key cannot mark the question."""
        raw = cls(
            kind=question.kind,
            text=question.text,
            choices=list(question.choices),
            prompts=list(question.prompts),
            key=replace_key(key, general_feedback=""),
            feedback=key.general_feedback,
            name=question.name,
            category=question.category,
            text_format=question.text_format,
            seconds=question.seconds,
            points=question.points,
        )
        from .checks import check_question  # checks builds on this module

        check_question(raw)
        return canonical(raw)


@dataclass
class Quiz:
    title: str
    questions: list[QuizQuestion] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    def to_create_data(self, channel: str | None = None, *, keys: bool = True) -> QuizCreateData:
        """The payload of a ``quiz.create`` op; ``keys=False`` for a live quiz, whose keys
        stay with its lead until each reveal."""
        pairs = [question.to_op() for question in self.questions]
        data = {
            "title": self.title,
            "questions": [msgspec.to_builtins(question) for question, _ in pairs],
            "channel": channel,
            "keys": [msgspec.to_builtins(key) for _, key in pairs] if keys else None,
        }
        try:
            return msgspec.convert(data, QuizCreateData)
        except msgspec.ValidationError as error:
            raise ValueError(_schema_message(error)) from None

    @classmethod
    def from_ops(cls, title: str, questions: list[Question], keys: list[Key]) -> "Quiz":
        if len(questions) != len(keys):
            raise ValueError(f"{len(questions)} questions but {len(keys)} keys")
        pairs = zip(questions, keys, strict=True)
        return cls(title, [QuizQuestion.from_op(question, key) for question, key in pairs])


def replace_key(key: Key, **changes: object) -> Key:
    return msgspec.structs.replace(key, **changes)


def _schema_message(error: msgspec.ValidationError) -> str:
    # msgspec says "Expected `str` of length <= 1000 - at `$.choices[2]`"; lead with the field.
    text = str(error)
    if refused_kind(text):  # not the pattern itself: what is wrong with the text
        text = explain(text)
    message, _, path = text.rpartition(" - at `$")
    if not message:
        return text
    path = path.rstrip("`").lstrip(".")
    return f"{path}: {message[0].lower()}{message[1:]}" if path else message


def _schema_check(value: msgspec.Struct, kind: type) -> None:
    try:
        msgspec.convert(msgspec.to_builtins(value), kind)
    except msgspec.ValidationError as error:
        raise ValueError(_schema_message(error)) from None


# --- constructors: the one canonical shape of each kind's key ------------------------------


@dataclass
class Common:
    """What every kind of question has besides its answers."""

    feedback: str = ""
    name: str = ""
    category: str = ""
    text_format: str | None = None
    seconds: int = DEFAULT_SECONDS
    points: float = DEFAULT_POINTS
    line: int = 0


def _build(kind: QuestionKind, text: str, common: Common, **parts: object) -> QuizQuestion:
    return QuizQuestion(
        kind,
        text,
        feedback=common.feedback,
        name=common.name,
        category=common.category,
        text_format=common.text_format,
        seconds=common.seconds,
        points=common.points,
        line=common.line,
        **parts,  # type: ignore[arg-type]
    )


def _feedback_list(feedback: list[str]) -> list[str]:
    return list(feedback) if any(feedback) else []


def choice_question(
    kind: QuestionKind,
    text: str,
    choices: list[str],
    weights: list[float],
    feedback: list[str],
    common: Common,
) -> QuizQuestion:
    """A multiple_choice (full credit: weight 100) or multiple_answer (credit: weight > 0)."""
    if kind == "multiple_choice":
        correct = [i for i, weight in enumerate(weights) if weight == 100]
        keep = any(weight not in (0, 100) for weight in weights)
    else:
        correct = [i for i, weight in enumerate(weights) if weight > 0]
        keep = True  # a multiple_answer always says what each choice is worth
    key = Key(
        choices=correct,
        weights=[float(w) for w in weights] if keep else [],
        feedback=_feedback_list(feedback),
    )
    return _build(kind, text, common, choices=list(choices), key=key)


def true_false_question(
    text: str, answer: bool, if_true: str, if_false: str, common: Common
) -> QuizQuestion:
    """``if_true``/``if_false``: feedback for whoever answered True / False."""
    key = Key(choices=[0 if answer else 1], feedback=_feedback_list([if_true, if_false]))
    return _build("true_false", text, common, choices=list(TRUE_FALSE), key=key)


def short_answer_question(
    text: str, answers: list[str], weights: list[float], feedback: list[str], common: Common
) -> QuizQuestion:
    key = Key(
        accept=list(answers),
        weights=[float(w) for w in weights] if any(w != 100 for w in weights) else [],
        feedback=_feedback_list(feedback),
    )
    return _build("short_answer", text, common, key=key)


def is_catch_all(answer: NumberAnswer) -> bool:
    return answer.value is None and answer.low is None and answer.high is None


def numerical_question(text: str, answers: list[NumberAnswer], common: Common) -> QuizQuestion:
    simple = (
        len(answers) == 1
        and answers[0].weight == 100
        and not answers[0].feedback
        and not is_catch_all(answers[0])
    )
    if not simple:
        key = Key(numbers=list(answers))
    elif answers[0].value is not None:
        key = Key(number=answers[0].value, tolerance=answers[0].tolerance)
    else:
        key = Key(low=answers[0].low, high=answers[0].high)
    return _build("numerical", text, common, key=key)


def matching_question(
    text: str, pairs: list[tuple[str, str]], distractors: list[str], common: Common
) -> QuizQuestion:
    """Choices are the answers in order of first appearance, then the distractors."""
    choices: list[str] = []
    for answer in [answer for _, answer in pairs] + list(distractors):
        if answer not in choices:
            choices.append(answer)
    key = Key(matches=[choices.index(answer) for _, answer in pairs])
    prompts = [prompt for prompt, _ in pairs]
    return _build("matching", text, common, choices=choices, prompts=prompts, key=key)


# --- views: what writers and checks read back ----------------------------------------------


def choice_weights(question: QuizQuestion) -> list[float]:
    """Each choice's weight in percent, filled in where the key leaves it implicit: as
    core.quizscore marks it, the right choices of a multiple_answer share 100% and each wrong
    one takes a share off, so ticking every box earns nothing."""
    if question.key.weights:
        return list(question.key.weights)
    correct = question.key.choices
    if question.kind != "multiple_answer":
        return [100.0 if i in correct else 0.0 for i in range(len(question.choices))]
    return equal_shares([i in correct for i in range(len(question.choices))])


def equal_shares(right: list[bool]) -> list[float]:
    """Weights for a multiple_answer that only says which choices are right."""
    share = 100.0 / max(right.count(True), 1)
    return [share if is_right else -share for is_right in right]


def padded_feedback(question: QuizQuestion, count: int) -> list[str]:
    feedback = list(question.key.feedback)
    return feedback + [""] * (count - len(feedback))


def true_false_answer(question: QuizQuestion) -> tuple[bool, str, str]:
    """(the answer, feedback if True was chosen, feedback if False was chosen)."""
    if_true, if_false = padded_feedback(question, 2)[:2]
    return question.key.choices == [0], if_true, if_false


def short_answers(question: QuizQuestion) -> list[tuple[str, float, str]]:
    accept = question.key.accept
    weights = question.key.weights or [100.0] * len(accept)
    return list(zip(accept, weights, padded_feedback(question, len(accept)), strict=False))


def number_answers(question: QuizQuestion) -> list[NumberAnswer]:
    key = question.key
    if key.numbers:
        return list(key.numbers)
    if key.number is not None:
        return [NumberAnswer(value=key.number, tolerance=key.tolerance)]
    if key.low is not None or key.high is not None:
        return [NumberAnswer(low=key.low, high=key.high)]
    return []


def matching_pairs(question: QuizQuestion) -> tuple[list[tuple[str, str]], list[str]]:
    """(prompt, answer) pairs and the answers no prompt matches."""
    matches = zip(question.prompts, question.key.matches, strict=True)
    pairs = [(prompt, question.choices[m]) for prompt, m in matches]
    used = set(question.key.matches)
    return pairs, [c for i, c in enumerate(question.choices) if i not in used]


def canonical(question: QuizQuestion) -> QuizQuestion:
    """The same question with its key in the shape the constructors give."""
    common = Common(
        question.feedback,
        question.name,
        question.category,
        question.text_format,
        question.seconds,
        question.points,
        question.line,
    )
    text = question.text
    if question.kind in ("multiple_choice", "multiple_answer"):
        count = len(question.choices)
        return choice_question(
            question.kind,
            text,
            question.choices,
            choice_weights(question),
            padded_feedback(question, count),
            common,
        )
    if question.kind == "true_false":
        return true_false_question(text, *true_false_answer(question), common)
    if question.kind == "short_answer":
        answers = short_answers(question)
        texts, weights, feedback = ([a[i] for a in answers] for i in range(3))
        return short_answer_question(text, texts, weights, feedback, common)  # type: ignore[arg-type]
    if question.kind == "numerical":
        return numerical_question(text, number_answers(question), common)
    return matching_question(text, *matching_pairs(question), common)


def correct_answers(question: QuizQuestion) -> list[object]:
    """What earns full credit, for people and for ``quiz check --json``: choice texts;
    accepted short answers; ``{"value", "tolerance"}`` or ``{"low", "high"}``; or
    ``[prompt, answer]`` pairs."""
    if question.kind in ("multiple_choice", "multiple_answer", "true_false"):
        return [question.choices[i] for i in question.key.choices]
    if question.kind == "short_answer":
        return [answer for answer, weight, _ in short_answers(question) if weight == 100]
    if question.kind == "numerical":
        full = [a for a in number_answers(question) if a.weight == 100]
        return [
            {"value": plain_number(a.value), "tolerance": plain_number(a.tolerance)}
            if a.value is not None
            else {"low": plain_number(a.low), "high": plain_number(a.high)}
            for a in full
        ]
    return [[prompt, answer] for prompt, answer in matching_pairs(question)[0]]


def summary(quiz: Quiz) -> dict[str, object]:
    """The parsed quiz as ``quiz check --json`` prints it."""
    return {
        "title": quiz.title,
        "questions": [
            {
                "type": q.kind,
                "text": q.text,
                "choices": list(q.choices),
                "correct": correct_answers(q),
            }
            for q in quiz.questions
        ],
        "skipped": [{"line": s.line, "reason": s.reason} for s in quiz.skipped],
    }


def plain_number(value: float | None) -> float | int | None:
    """1822.0 as 1822, for output people read; other values unchanged."""
    if value is not None and float(value).is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def format_number(value: float) -> str:
    """A number as text without an exponent (GIFT has none): 1822, 0.00001, -3.5."""
    text = repr(plain_number(value))
    return format(Decimal(text), "f") if "e" in text else text
