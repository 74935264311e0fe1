"""Write a quiz, read it back, get the same quiz: for TOML, GIFT and Aiken, and through the
op schema. The quizzes are generated with awkward text: every GIFT control character and
escape, format tags, comment markers, brackets, accents, CJK, emoji, line breaks.

Each format is given the quizzes it can hold (Aiken: one-answer multiple choice; GIFT: no
time limits or points); what a format cannot hold is tested in that format's own tests.
Reading arbitrary text must end in a Quiz or a QuizFormatError, never another exception.
"""

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from studycircle_tui.core import quizformats
from studycircle_tui.core.ops import NumberAnswer, QuizCreateData
from studycircle_tui.core.quizformats import Quiz, QuizFormatError
from studycircle_tui.core.quizformats.aiken import ANSWER, OPTION
from studycircle_tui.core.quizformats.model import (
    Common,
    QuizQuestion,
    choice_question,
    matching_question,
    numerical_question,
    short_answer_question,
    true_false_question,
)

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Pieces that have broken quiz parsers: GIFT's control characters and escapes, what starts a
# comment, a name, a category, a weight or a format tag, Aiken's option and answer shapes.
# fmt: off
AWKWARD = [
    "~", "=", "#", "{", "}", ":", "\\", "\\n", "\\\\", "\\{", "//", "::", "->", "####", "%",
    "%50%", "%-25%", "[", "]", "[html]", "[markdown]", "[moodle]", "[plain]", "$CATEGORY:",
    "TRUE", "T", "F", "A.", "B)", "ANSWER:", "_____", '"', "'", '"""', "`", "*", "\t", " ",
    "é", "ü", "ñ", "Å", "ß", "ç", "ı", "日本語", "Ω", "Ж", "ع", "🐍", "🎉", "👩🏽‍💻", "\u00a0",
]
# fmt: on
BIDI = "".join(map(chr, [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]))
PIECE = st.one_of(
    st.sampled_from(AWKWARD),
    st.text(st.characters(exclude_categories=("Cs", "Cc")), min_size=1, max_size=6),
)


def texts(newlines: bool = True, max_pieces: int = 6) -> st.SearchStrategy[str]:
    """Non-empty text without surrounding whitespace (every format trims it)."""
    pieces = st.one_of(PIECE, st.just("\n")) if newlines else PIECE
    return (
        st.lists(pieces, min_size=1, max_size=max_pieces)
        .map(lambda parts: "".join(parts).strip())
        .filter(bool)
    )


# Names and categories are one line: no line break, tab or bidi override (core/text.py).
ONE_LINE_PIECE = st.one_of(
    st.sampled_from([piece for piece in AWKWARD if piece != "\t"]),
    st.text(
        st.characters(exclude_categories=("Cs", "Cc", "Zl", "Zp"), exclude_characters=BIDI),
        min_size=1,
        max_size=6,
    ),
)


def one_line_texts(max_pieces: int = 6) -> st.SearchStrategy[str]:
    return (
        st.lists(ONE_LINE_PIECE, min_size=1, max_size=max_pieces)
        .map(lambda parts: "".join(parts).strip())
        .filter(bool)
    )


def maybe(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(st.just(""), strategy)


NUMBERS = st.floats(allow_nan=False, allow_infinity=False)
SMALL = st.one_of(st.integers(-5000, 5000).map(float), NUMBERS)
WEIGHTS = st.one_of(st.sampled_from([0.0, 10.0, 25.0, 33.33333, 50.0, 75.0]), st.floats(0, 99))


@st.composite
def commons(draw, gift: bool, timing: bool) -> Common:
    return Common(
        feedback=draw(maybe(texts())),
        name=draw(maybe(one_line_texts(max_pieces=3))),
        category=draw(maybe(one_line_texts())),
        text_format=draw(st.sampled_from([None, "markdown", "html", "plain"])),
        seconds=draw(st.integers(5, 3600)) if timing else 30,
        points=draw(st.floats(0, 1000)) if timing else 1.0,
    )


@st.composite
def choice_questions(draw, common: Common) -> QuizQuestion:
    count = draw(st.integers(2, 6))
    choices = draw(st.lists(texts(), min_size=count, max_size=count))
    feedback = draw(st.lists(maybe(texts()), min_size=count, max_size=count))
    if draw(st.booleans()):
        kind = "multiple_choice"
        right = draw(st.integers(0, count - 1))
        partial = st.one_of(st.sampled_from([0.0, -50.0]), WEIGHTS)  # never 100: one is right
        weights = [100.0 if i == right else draw(partial) for i in range(count)]
    else:
        kind = "multiple_answer"
        right = draw(st.integers(1, count))
        even = [100.0 / right] * right
        uneven = [40.0] + [60.0 / (right - 1)] * (right - 1) if right > 1 else even
        wrong = st.sampled_from([0.0, -25.0, -100.0 / right])
        shares = draw(st.sampled_from([even, uneven]))
        weights = draw(st.permutations(shares + [draw(wrong) for _ in range(count - right)]))
    return choice_question(kind, draw(texts()), choices, list(weights), feedback, common)


@st.composite
def questions(draw, gift: bool = False, timing: bool = False) -> QuizQuestion:
    common = draw(commons(gift, timing))
    kind = draw(st.sampled_from(quizformats.KINDS))
    text = draw(texts())
    if kind in ("multiple_choice", "multiple_answer"):
        return draw(choice_questions(common))
    if kind == "true_false":
        return true_false_question(
            text, draw(st.booleans()), draw(maybe(texts())), draw(maybe(texts())), common
        )
    if kind == "short_answer":
        # GIFT reads a short answer that has "->" as a matching question (tested apart).
        plain = texts().filter(lambda t: "->" not in t) if gift else texts()
        count = draw(st.integers(1, 4))
        answers = draw(st.lists(plain, min_size=count, max_size=count))
        weights = [100.0, *draw(st.lists(WEIGHTS, min_size=count - 1, max_size=count - 1))]
        feedback = draw(st.lists(maybe(plain), min_size=count, max_size=count))
        order = draw(st.permutations(range(count)))
        return short_answer_question(
            text,
            [answers[i] for i in order],
            [weights[i] for i in order],
            [feedback[i] for i in order],
            common,
        )
    if kind == "numerical":
        return numerical_question(text, draw(number_answers()), common)
    prompt_text = texts().filter(lambda t: "->" not in t) if gift else texts()
    prompts = draw(st.lists(prompt_text, min_size=2, max_size=5))
    pool = draw(st.lists(texts(), min_size=1, max_size=6, unique=True))
    pairs = [(prompt, draw(st.sampled_from(pool))) for prompt in prompts]
    distractors = [answer for answer in pool if answer not in {a for _, a in pairs}]
    return matching_question(text, pairs, distractors, common)


@st.composite
def number_answers(draw) -> list[NumberAnswer]:
    def one(weight: float) -> NumberAnswer:
        feedback = draw(maybe(texts()))
        if draw(st.booleans()):
            tolerance = draw(st.one_of(st.just(0.0), st.floats(0, 1e6)))
            return NumberAnswer(
                value=draw(SMALL), tolerance=tolerance, weight=weight, feedback=feedback
            )
        low, high = sorted([draw(SMALL), draw(SMALL)])
        return NumberAnswer(low=low, high=high, weight=weight, feedback=feedback)

    answers = [one(100.0)] + [one(draw(WEIGHTS)) for _ in range(draw(st.integers(0, 2)))]
    answers = list(draw(st.permutations(answers)))
    if draw(st.booleans()):
        answers.append(NumberAnswer(weight=0, feedback=draw(maybe(texts()))))
    return answers


def quizzes(gift: bool = False, timing: bool = False) -> st.SearchStrategy[Quiz]:
    return st.builds(
        Quiz,
        title=one_line_texts(),  # a title is one line (core/text.py)
        questions=st.lists(questions(gift, timing), min_size=1, max_size=5),
    )


@SETTINGS
@given(quizzes(timing=True))
def test_toml_round_trip(quiz: Quiz) -> None:
    assert quizformats.read(quizformats.write(quiz, "toml"), "toml") == quiz


@SETTINGS
@given(quizzes(gift=True))
def test_gift_round_trip(quiz: Quiz) -> None:
    assert quizformats.losses(quiz, "gift") == []
    assert quizformats.read(quizformats.write(quiz, "gift"), "gift") == quiz


def _aiken_line(text: str) -> bool:
    return not (OPTION.fullmatch(text) or ANSWER.match(text))


@st.composite
def aiken_quizzes(draw) -> Quiz:
    items = []
    for _ in range(draw(st.integers(1, 4))):
        first = draw(texts(newlines=False).filter(lambda t: not ANSWER.match(t)))
        more = draw(st.lists(texts(newlines=False).filter(_aiken_line), max_size=2))
        count = draw(st.integers(2, 8))
        choices = draw(st.lists(texts(newlines=False), min_size=count, max_size=count))
        right = draw(st.integers(0, count - 1))
        weights = [100.0 if i == right else 0.0 for i in range(count)]
        text = "\n".join([first, *more])
        items.append(
            choice_question("multiple_choice", text, choices, weights, [""] * count, Common())
        )
    return Quiz(draw(texts(newlines=False)), items)


@SETTINGS
@given(aiken_quizzes())
def test_aiken_round_trip(quiz: Quiz) -> None:
    assert quizformats.losses(quiz, "aiken") == []
    assert quizformats.read(quizformats.write(quiz, "aiken"), "aiken", quiz.title) == quiz


@SETTINGS
@given(quizzes(timing=True))
def test_round_trip_through_the_op_schema(quiz: Quiz) -> None:
    data = quiz.to_create_data()
    decoded = msgspec.json.decode(msgspec.json.encode(data), type=QuizCreateData)
    assert Quiz.from_ops(decoded.title, decoded.questions, decoded.keys) == quiz


GIFT_NOISE = st.lists(
    st.one_of(PIECE, st.sampled_from(["\n", "\n\n", "{", "}", "~", "=", "#", "->", "::", "{#"])),
    max_size=30,
).map("".join)


@SETTINGS
@given(st.one_of(st.text(), GIFT_NOISE), st.sampled_from(quizformats.FORMATS))
def test_any_text_reads_to_a_quiz_or_a_line_numbered_error(text: str, format: str) -> None:
    try:
        quiz = quizformats.read(text, format)
    except QuizFormatError as error:
        assert 1 <= error.line <= text.count("\n") + text.count("\r") + 1
        assert error.message
    else:
        assert quiz.questions
        for question in quiz.questions:
            question.to_op()  # every question read fits the op schema
