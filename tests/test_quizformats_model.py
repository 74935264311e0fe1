"""The quiz model: its link to the op schema, its checks, the --json summary and format
guessing."""

from pathlib import Path

import msgspec
import pytest

from studycircle_tui.core.ops import Key, NumberAnswer, Question, QuizCreateData, decode_op
from studycircle_tui.core.quizformats import (
    Quiz,
    QuizQuestion,
    correct_answers,
    guess_format,
    read,
    read_gift,
    summary,
)
from studycircle_tui.core.quizformats.checks import check_question

DATA = Path(__file__).parent / "data" / "quiz-formats"
EXAMPLE = Path(__file__).parent.parent / "examples" / "python-basics.quiz.toml"
GIFT = (DATA / "moodle-gift-examples.txt").read_text(encoding="utf-8")


def _files() -> list[Quiz]:
    return [read_gift(GIFT, "Moodle examples"), read(EXAMPLE.read_text(encoding="utf-8"), "toml")]


@pytest.mark.parametrize("quiz", _files(), ids=["gift-examples", "python-basics"])
def test_a_quiz_goes_into_a_quiz_create_op_and_back(quiz: Quiz) -> None:
    data = quiz.to_create_data(channel="01JD0000000000000000000000")
    raw = msgspec.json.encode(
        {
            "v": 1,
            "id": "01JD0000000000000000000001",
            "circle": "01JD0000000000000000000002",
            "actor": "01JD0000000000000000000003",
            "hlc": "0192f00000000000",
            "type": "quiz.create",
            "data": data,
        }
    )
    op = decode_op(raw)  # the op schema accepts it as it would from the log
    back = Quiz.from_ops(op.data.title, op.data.questions, op.data.keys)
    assert back == Quiz(quiz.title, quiz.questions)


def test_a_live_quiz_op_leaves_the_keys_out() -> None:
    quiz = read_gift(GIFT, "Moodle examples")
    data = quiz.to_create_data(keys=False)
    assert data.keys is None
    assert b"Nazereth" not in msgspec.json.encode(data)  # an accepted answer stays secret
    assert b"Yes! That's right!" not in msgspec.json.encode(data)  # so does feedback


def test_names_categories_formats_and_general_feedback_travel_in_the_op() -> None:
    quiz = read_gift("$CATEGORY: c\n\n::n::[markdown]**Q**{=a ####why}")
    question, key = quiz.questions[0].to_op()
    assert (question.name, question.category, question.text_format) == ("n", "c", "markdown")
    assert key.general_feedback == "why"
    assert quiz.questions[0].key.general_feedback == ""  # the model keeps it beside the key


def test_from_op_puts_keys_in_canonical_shape() -> None:
    question = Question(kind="multiple_choice", text="Q", choices=["a", "b"])
    redundant = Key(choices=[1], weights=[0, 100], feedback=["", ""])
    assert QuizQuestion.from_op(question, redundant).key == Key(choices=[1])
    numerical = Question(kind="numerical", text="Q")
    one = Key(numbers=[NumberAnswer(value=4)])
    assert QuizQuestion.from_op(numerical, one).key == Key(number=4)


@pytest.mark.parametrize(
    ("question", "key", "words"),
    [
        (
            Question(kind="multiple_choice", text="Q", choices=["a", "b"]),
            Key(accept=["a"]),
            "has no use for 'accept'",
        ),
        (
            Question(kind="multiple_choice", text="Q", choices=["a", "b"]),
            Key(choices=[2]),
            "do not fit 2 choices",
        ),
        (
            Question(kind="multiple_choice", text="Q", choices=["a", "b"]),
            Key(choices=[0], weights=[50, 100]),
            "disagree with the weights",
        ),
        (
            Question(kind="true_false", text="Q", choices=["Yes", "No"]),
            Key(choices=[0]),
            "choices are ['True', 'False']",
        ),
        (Question(kind="numerical", text="Q"), Key(number=1, low=0, high=2), "not both"),
        (
            Question(kind="numerical", text="Q"),
            Key(numbers=[NumberAnswer(weight=0), NumberAnswer(value=1)]),
            "comes last",
        ),
        (
            Question(kind="numerical", text="Q"),
            Key(numbers=[NumberAnswer(value=1, weight=50)]),
            "no answer earns full credit",
        ),
        (
            Question(kind="matching", text="Q", prompts=["a", "b"], choices=["x", "x"]),
            Key(matches=[0, 1]),
            "the same answer twice",
        ),
        (
            Question(kind="matching", text="Q", prompts=["a", "b"], choices=["x", "y"]),
            Key(matches=[0]),
            "1 matches for 2 prompts",
        ),
        (
            Question(kind="short_answer", text="Q"),
            Key(accept=["a"], weights=[50]),
            "no answer earns full credit",
        ),
        (
            Question(kind="short_answer", text="Q", prompts=["p"]),
            Key(accept=["a"]),
            "has no prompts",
        ),
    ],
)
def test_keys_that_cannot_be_marked_are_refused(question: Question, key: Key, words: str) -> None:
    with pytest.raises(ValueError) as caught:
        QuizQuestion.from_op(question, key)
    assert words in str(caught.value)


def test_every_question_read_passes_the_checks() -> None:
    for quiz in _files():
        for question in quiz.questions:
            check_question(question)


def test_summary_is_exactly_the_documented_shape() -> None:
    quiz = read_gift(
        "Pick{~a =b}\n\nEssay{}\n\nSure?{T}\n\nYear?{#=1822:1 =%50%1820 =1900..1910}\n\n"
        "Who?{=no one =%50%nobody}\n\nMatch{=x -> 1 =y -> 2 = -> 3}"
    )
    assert summary(quiz) == {
        "title": "Untitled quiz",
        "questions": [
            {"type": "multiple_choice", "text": "Pick", "choices": ["a", "b"], "correct": ["b"]},
            {
                "type": "true_false",
                "text": "Sure?",
                "choices": ["True", "False"],
                "correct": ["True"],
            },
            {
                "type": "numerical",
                "text": "Year?",
                "choices": [],
                "correct": [{"value": 1822, "tolerance": 1}, {"low": 1900, "high": 1910}],
            },
            {"type": "short_answer", "text": "Who?", "choices": [], "correct": ["no one"]},
            {
                "type": "matching",
                "text": "Match",
                "choices": ["1", "2", "3"],
                "correct": [["x", "1"], ["y", "2"]],
            },
        ],
        "skipped": [
            {"line": 3, "reason": "essay (free-text answer): the quiz runner cannot mark it"}
        ],
    }
    multiple = read_gift("Which?{~%50%a ~%50%b ~%-100%c}").questions[0]
    assert correct_answers(multiple) == ["a", "b"]


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("quiz.toml", "", "toml"),
        ("a.QUIZ.TOML", "", "toml"),
        ("x.gift", "", "gift"),
        ("x.aiken", "", "aiken"),
        ("moodle.txt", GIFT, "gift"),
        ("moodle.txt", "::Name::Q{T}", "gift"),
        ("aiken.txt", "What does {} make?\nA. dict\nB. set\nANSWER: A\n", "aiken"),
        ("comments.txt", "// a { in a comment\nPlain text\n", None),
        ("escaped.txt", "A \\{ brace\n", None),
        ("notes.md", "Q{T}", None),
        ("noextension", "Q{T}", None),
    ],
)
def test_guess_format(name: str, text: str, expected: str | None) -> None:
    assert guess_format(name, text) == expected


def test_create_data_validates_the_title_and_size() -> None:
    quiz = read_gift("Q{T}")
    quiz.title = "x" * 201
    with pytest.raises(ValueError, match="title"):
        quiz.to_create_data()
    assert isinstance(Quiz("t", quiz.questions * 500).to_create_data(), QuizCreateData)
    with pytest.raises(ValueError, match="questions"):
        Quiz("t", quiz.questions * 501).to_create_data()
