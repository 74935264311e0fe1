"""The native TOML quiz format: the example quiz, each kind's keys, the writer's strings, and
errors that name the line."""

import tomllib
from pathlib import Path

import pytest

from studycircle_tui.core.ops import Key, NumberAnswer
from studycircle_tui.core.quizformats import QuizFormatError, read_toml, write_toml
from studycircle_tui.core.quizformats.model import Common, Quiz, short_answer_question
from studycircle_tui.core.quizformats.native_writer import number, string

EXAMPLE = Path(__file__).parent.parent / "examples" / "python-basics.quiz.toml"


@pytest.fixture(scope="module")
def example() -> Quiz:
    return read_toml(EXAMPLE.read_text(encoding="utf-8"))


def test_the_example_quiz_has_every_kind(example: Quiz) -> None:
    assert example.title == "Python basics"
    assert len(example.questions) == 12
    assert {q.kind for q in example.questions} == {
        "multiple_choice",
        "multiple_answer",
        "true_false",
        "short_answer",
        "numerical",
        "matching",
    }
    assert all(q.category.startswith("Python/") for q in example.questions)
    assert [q.line for q in example.questions[:3]] == [7, 20, 39]
    assert example.questions[-1].text == "Apa keluaran dari `print(type(3.0))`?"


def test_the_example_keys(example: Quiz) -> None:
    by_name = {q.name: q for q in example.questions}
    floor = by_name["floor division"]
    assert floor.text.startswith("What does this print?\n\n```python\n")
    assert floor.key.choices == [1]
    assert floor.key.weights == [0, 100, 0, 50]
    assert floor.feedback == "`//` is floor division: it divides, then rounds down."
    share = 100 / 3
    assert by_name["immutable types"].key.weights == [share, share, share, -share, -share]
    assert by_name["zero-based indexing"].key == Key(
        choices=[0], feedback=["", "Python counts from 0: items[0] is the first item."]
    )
    assert by_name["is versus =="].seconds == 20
    assert by_name["len of a list"].seconds == 30  # the quiz-wide default
    assert by_name["append"].key.accept == ["append", "insert", "extend"]
    assert by_name["append"].key.weights == [100, 0, 0]
    assert by_name["pi"].key == Key(number=3.14, tolerance=0.005)
    assert by_name["pi"].points == 2
    assert by_name["randint"].key.numbers == [
        NumberAnswer(low=1, high=6),
        NumberAnswer(weight=0, feedback="randint(a, b) includes both ends: 1, 2, 3, 4, 5 or 6."),
    ]
    literals = by_name["literals"]
    assert literals.prompts == ["`[]`", "`{}`", "`()`", "`''`"]
    assert literals.choices == ["list", "dict", "tuple", "str", "set"]
    assert literals.key.matches == [0, 1, 2, 3]


def test_writing_the_example_reads_back_the_same(example: Quiz) -> None:
    assert read_toml(write_toml(example)) == example


def test_quiz_wide_defaults_and_title_fallback() -> None:
    quiz = read_toml(
        'seconds = 12\npoints = 3\n[[questions]]\nkind = "true_false"\ntext = "Q"\nanswer = true\n',
        "from the file name",
    )
    assert quiz.title == "from the file name"
    assert (quiz.questions[0].seconds, quiz.questions[0].points) == (12, 3.0)


@pytest.mark.parametrize(
    "text",
    [
        'a "quoted" word',
        "back\\slash and \\n not a newline",
        "tab\there, bell \x07, delete \x7f, escape \x1b, nul \x00",
        "line one\nline two\n",
        'ends in quotes ""',
        "carriage\r\nreturn",
        "\\\nbackslash before a newline",
        "🐍 Ünïcode ߷ \u2028 separators \u2029",
    ],
)
def test_strings_survive_toml(text: str) -> None:
    assert tomllib.loads(f"v = {string(text)}")["v"] == text


@pytest.mark.parametrize("value", [0.0, -0.0, 1822.0, 3.1415, 1e-7, 1e16, 2.0**63, 1e300, -5e-324])
def test_numbers_survive_toml(value: float) -> None:
    assert float(tomllib.loads(f"v = {number(value)}")["v"]) == value


QUESTION = '[[questions]]\nkind = "multiple_choice"\ntext = "Q"\n'
CHOICES = 'choices = ["a", { text = "b", correct = true }]\n'


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ('title = "T"\n\n[[questions]\nkind = "x"\n', 3, "not valid TOML"),
        ('title = "T"\nquestions = [', 2, "not valid TOML"),
        ('title = "T"\ncolour = "red"\n' + QUESTION + CHOICES, 2, "unknown key 'colour'"),
        ('title = "T"\n' + QUESTION + 'choises = ["a"]\n', 5, "did you mean 'choices'"),
        (
            'title = "T"\n' + QUESTION.replace("multiple_choice", "essay") + CHOICES,
            3,
            "kind 'essay'",
        ),
        ('title = "T"\n[[questions]]\ntext = "Q"\n', 2, "question 1: needs a kind"),
        (QUESTION + "text2 = 1\n" + CHOICES, 4, "unknown key 'text2'"),
        (QUESTION + CHOICES + "seconds = true\n", 5, "seconds must be a whole number"),
        (QUESTION + CHOICES + 'points = "2"\n', 5, "points must be a number"),
        (QUESTION + CHOICES + "seconds = 2\n", 1, "seconds: expected `int` >= 5"),
        (
            QUESTION + 'choices = ["a", { text = "b", correct = true, weight = 50 }]\n',
            4,
            "correct = true but weight 50",
        ),
        (
            QUESTION + 'choices = ["a", { text = "b", right = true }]\n',
            4,
            "choices entry 2: unknown key 'right'",
        ),
        (QUESTION + 'choices = ["a", "b"]\n', 1, "no choice is fully correct"),
        (QUESTION + CHOICES + 'format = "rst"\n', 5, "format must be one of"),
        (
            QUESTION.replace("multiple_choice", "multiple_answer")
            + 'choices = [{ text = "a", correct = true },'
            + ' { text = "b", correct = true, weight = 50 }]\n',
            4,
            "every right choice a weight, or none",
        ),
        ('[[questions]]\nkind = "true_false"\ntext = "Q"\n', 1, "needs answer = true or false"),
        (
            '[[questions]]\nkind = "true_false"\ntext = "Q"\nanswer = "yes"\n',
            4,
            "answer must be true or false",
        ),
        (
            '[[questions]]\nkind = "numerical"\ntext = "Q"\nanswers = [{ weight = 5 }]\n',
            4,
            "needs a value, or low and high",
        ),
        (
            '[[questions]]\nkind = "numerical"\ntext = "Q"\nanswers = [nan]\n',
            1,
            "numbers must be finite",
        ),
        (
            '[[questions]]\nkind = "numerical"\ntext = "Q"\nanswers = [{ low = 2, high = 1 }]\n',
            1,
            "range 2..1 is backwards",
        ),
        (
            '[[questions]]\nkind = "matching"\ntext = "Q"\npairs = [["a", "b", "c"]]\n',
            4,
            'each pair is ["prompt", "answer"]',
        ),
        (
            '[[questions]]\nkind = "short_answer"\ntext = "Q"\nanswers = []\n',
            1,
            "at least one accepted answer",
        ),
        ('[[questions]]\nkind = "short_answer"\nanswers = ["a"]\n', 1, "the question has no text"),
        ('title = "T"\n', 1, "no questions found"),
        ('title = "' + "t" * 201 + '"\n' + QUESTION + CHOICES, 1, "title is over 200"),
        (
            'title = "T"\n\n' + QUESTION + CHOICES + "\n" + QUESTION + 'choices = ["a"]\n',
            8,
            "question 2: a multiple_choice question needs at least two choices",
        ),
    ],
)
def test_malformed_files_name_the_line(text: str, line: int, words: str) -> None:
    with pytest.raises(QuizFormatError) as caught:
        read_toml(text)
    assert caught.value.line == line
    assert words in caught.value.message


def test_written_layout_is_the_hand_written_one() -> None:
    question = short_answer_question(
        'Say "hi"', ["hi", "hello"], [100, 50], ["", "Also fine."], Common(name="greeting")
    )
    assert write_toml(Quiz("Greetings", [question])) == (
        'title = "Greetings"\n\n'
        "[[questions]]\n"
        'kind = "short_answer"\n'
        'name = "greeting"\n'
        'text = "Say \\"hi\\""\n'
        "answers = [\n"
        '  "hi",\n'
        '  { text = "hello", weight = 50, feedback = "Also fine." },\n'
        "]\n"
    )


def test_the_indonesian_example_is_the_same_quiz_in_bahasa_indonesia(example: Quiz) -> None:
    """examples/dasar-python.quiz.toml: each question of the English example, its kind,
    answer key, time and points alike; its words in Indonesian."""
    translated = read_toml((EXAMPLE.parent / "dasar-python.quiz.toml").read_text("utf-8"))
    assert translated.title == "Dasar Python"
    assert len(translated.questions) == len(example.questions)
    for english, indonesian in zip(example.questions, translated.questions, strict=True):
        assert (indonesian.kind, _scored(indonesian.key), indonesian.seconds) == (
            english.kind,
            _scored(english.key),
            english.seconds,
        )
        assert indonesian.points == english.points
        assert len(indonesian.choices) == len(english.choices)
    differ = [
        e.text != i.text for e, i in zip(example.questions, translated.questions, strict=True)
    ]
    assert differ.count(True) == len(differ) - 1  # the last is Indonesian in both


def _scored(key: Key) -> object:
    """What a key scores by, without its feedback (which is in the quiz's language)."""
    import msgspec

    def drop(value: object) -> object:
        if isinstance(value, dict):
            return {k: drop(v) for k, v in value.items() if "feedback" not in k}
        if isinstance(value, list):
            return [drop(v) for v in value]
        return value

    return drop(msgspec.to_builtins(key))
