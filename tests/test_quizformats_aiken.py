"""Aiken import and export, checked against Moodle's "Aiken format" documentation: "The
question must be all on one line. Each answer must start with a single-letter character,
followed by a period '.' or a bracket ')', then a space. The answer line must immediately
follow, starting with "ANSWER:" and then giving the appropriate letter."
"""

from pathlib import Path

import pytest

from studycircle_tui.core.ops import Key
from studycircle_tui.core.quizformats import QuizFormatError, read_aiken, write_aiken
from studycircle_tui.core.quizformats.aiken import aiken_losses
from studycircle_tui.core.quizformats.model import (
    Common,
    Quiz,
    choice_question,
    true_false_question,
)

DATA = Path(__file__).parent / "data" / "quiz-formats"

# The two examples of Moodle's documentation page, verbatim.
DOCS_EXAMPLE = """\
What is the correct answer to this question?
A. Is it this one?
B. Maybe this answer?
C. Possibly this one?
D. Must be this one!
ANSWER: D

Which LMS has the most quiz import formats?
A) Moodle
B) ATutor
C) Claroline
D) Blackboard
E) WebCT
F) Ilias
ANSWER: A
"""


def test_the_documentation_examples() -> None:
    quiz = read_aiken(DOCS_EXAMPLE, "docs")
    first, second = quiz.questions
    assert first.kind == "multiple_choice"
    assert first.text == "What is the correct answer to this question?"
    assert first.choices == [
        "Is it this one?",
        "Maybe this answer?",
        "Possibly this one?",
        "Must be this one!",
    ]
    assert first.key == Key(choices=[3])
    assert second.choices == ["Moodle", "ATutor", "Claroline", "Blackboard", "WebCT", "Ilias"]
    assert second.key == Key(choices=[0])
    assert (first.line, second.line) == (1, 8)
    assert quiz.title == "docs"


def test_the_examples_file() -> None:
    quiz = read_aiken((DATA / "aiken-examples.txt").read_text(encoding="utf-8"), "aiken")
    assert [q.line for q in quiz.questions] == [1, 8, 15, 21]
    lengths, keyword, indonesian, immutable = quiz.questions
    assert lengths.choices == ["2", "3", "4", "An error"]  # "A." style
    assert lengths.key.choices == [1]
    assert keyword.choices == ["func", "define", "def", "lambda"]  # "A)" style
    assert keyword.key.choices == [2]
    assert indonesian.text == 'Pilih kata yang paling tepat: "Saya ___ ke pasar kemarin."'
    assert indonesian.choices == ["pergi", "pergilah", "bepergian"]
    assert indonesian.key.choices == [0]
    assert immutable.choices == ["list", "tuple", "dict"]  # "A.list": no space after the dot
    assert immutable.key.choices == [1]
    assert quiz.skipped == []


def test_question_over_several_lines_and_windows_line_ends() -> None:
    quiz = read_aiken(
        "Read this:\r\n  print(1 + 1)\r\nWhat is shown?\r\nA. 2\r\nB) 11\r\nANSWER: A"
    )
    assert quiz.questions[0].text == "Read this:\nprint(1 + 1)\nWhat is shown?"
    assert quiz.questions[0].choices == ["2", "11"]


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("ANSWER: A\n", 1, "'ANSWER:' line with no question"),
        ("Q1\nA. x\nB. y\nANSWER: B\n\nQ2\nA. x\nB. y\n", 6, "has no 'ANSWER: <letter>' line"),
        ("Q\nA. x\nB. y\n\nNext question?\nA. z\n", 5, "expected option C or the 'ANSWER:' line"),
        ("Q\nA. x\nB. y\nAnswer: B\n", 4, "write it 'ANSWER: X', in capitals"),
        ("Q\nA. x\nC. y\nANSWER: A\n", 3, "option C where option B was expected"),
        ("Q\nB. x\nC. y\nANSWER: B\n", 2, "option B where option A was expected"),
        ("Q\nA. x\nB.\nANSWER: A\n", 3, "option B has no text"),
        ("Q\nA. x\nANSWER: A\n", 3, "at least two options"),
        ("Q\nA. x\nB. y\nANSWER: b\n", 4, "one capital letter"),
        ("Q\nA. x\nB. y\nANSWER: A or B\n", 4, "one capital letter"),
        ("Q\nA. x\nB. y\nANSWER: E\n", 4, "ANSWER: E, but the options go from A to B"),
        ("Q\nA. x\nB. y\nANSWER:\n", 4, "one capital letter"),
        ("\n\n\n", 1, "no questions found"),
        ("Q\nA. " + "x" * 1001 + "\nB. y\nANSWER: B\n", 1, "choices[0]: expected `str`"),
    ],
)
def test_malformed_files_name_the_line(text: str, line: int, words: str) -> None:
    with pytest.raises(QuizFormatError) as caught:
        read_aiken(text)
    assert caught.value.line == line
    assert words in caught.value.message


def _mc(text: str, choices: list[str], right: int, **common: object):
    weights = [100.0 if i == right else 0.0 for i in range(len(choices))]
    feedback = [""] * len(choices)
    return choice_question("multiple_choice", text, choices, weights, feedback, Common(**common))


def test_export() -> None:
    quiz = Quiz(
        "t", [_mc("Which? (Ünïcode 🐍)", ["a", "b {x}"], 1), _mc("Two\nlines", ["c", "d"], 0)]
    )
    assert write_aiken(quiz) == (
        "Which? (Ünïcode 🐍)\nA. a\nB. b {x}\nANSWER: B\n\nTwo\nlines\nA. c\nB. d\nANSWER: A\n"
    )
    assert read_aiken(write_aiken(quiz), "t") == quiz


def test_export_refuses_what_aiken_cannot_hold() -> None:
    cases = [
        (true_false_question("Sky is blue", True, "", "", Common(line=3)), "it is true_false"),
        (
            choice_question(
                "multiple_choice", "Q", ["a", "b", "c"], [100, 50, 0], ["", "", ""], Common(line=3)
            ),
            "no partial credit",
        ),
        (
            choice_question("multiple_answer", "Q", ["a", "b"], [50, 50], ["", ""], Common(line=3)),
            "it is multiple_answer",
        ),
        (_mc("Q", ["two\nlines", "b"], 1, line=3), "an option has a line break"),
        (_mc("Q\nB. looks like an option", ["a", "b"], 1, line=3), "would read as an option"),
        (_mc("ANSWER: this", ["a", "b"], 1, line=3), "starts like an 'ANSWER:' line"),
        (_mc("Q", [f"c{i}" for i in range(27)], 1, line=3), "letters stop at Z"),
    ]
    for question, words in cases:
        with pytest.raises(QuizFormatError) as caught:
            write_aiken(Quiz("t", [question]))
        assert caught.value.line == 3
        assert "question 1 cannot be written as Aiken" in caught.value.message
        assert words in caught.value.message


def test_losses_name_what_aiken_leaves_out() -> None:
    plain = _mc("Q", ["a", "b"], 0)
    assert aiken_losses(Quiz("t", [plain])) == []
    rich = _mc("Q", ["a", "b"], 0, name="n", feedback="why", seconds=60)
    assert aiken_losses(Quiz("t", [rich])) == [
        "question names, feedback, time limits and points (Aiken has no place for them)"
    ]
