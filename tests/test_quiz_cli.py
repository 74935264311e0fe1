"""``studycircle quiz check`` and ``quiz export``: the parsed quiz, in words or as JSON,
conversions, and one clear line (never a traceback) for a bad file."""

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from studycircle_tui.core import quizformats
from studycircle_tui.quiz_cli import add_commands

DATA = Path(__file__).parent / "data" / "quiz-formats"
GIFT = DATA / "moodle-gift-examples.txt"
AIKEN = DATA / "aiken-examples.txt"
EXAMPLE = Path(__file__).parent.parent / "examples" / "python-basics.quiz.toml"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="studycircle")
    add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(list(argv))
    code = args.func(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_check_json_is_exactly_the_documented_shape(capsys) -> None:
    code, out, err = run(capsys, "quiz", "check", str(AIKEN), "--json")
    assert (code, err) == (0, "")
    parsed = json.loads(out)
    assert list(parsed) == ["title", "questions", "skipped"]
    assert parsed["title"] == "aiken-examples"
    assert parsed["skipped"] == []
    assert parsed["questions"][1] == {
        "type": "multiple_choice",
        "text": "Which keyword starts a function definition in Python?",
        "choices": ["func", "define", "def", "lambda"],
        "correct": ["def"],
    }
    assert all(list(q) == ["type", "text", "choices", "correct"] for q in parsed["questions"])


def test_check_json_of_the_gift_examples(capsys) -> None:
    code, out, _ = run(capsys, "quiz", "check", str(GIFT), "--json")
    parsed = json.loads(out)
    assert code == 0
    assert len(parsed["questions"]) == 43
    assert {q["type"] for q in parsed["questions"]} == set(quizformats.KINDS)
    assert parsed["questions"][4]["correct"] == [{"value": 1822, "tolerance": 1}]


def test_check_lists_skipped_questions(capsys, tmp_path: Path) -> None:
    path = tmp_path / "mixed.gift"
    path.write_text("Essay first.{}\n\nReady?{T}\n\nJust a description.\n", encoding="utf-8")
    code, out, _ = run(capsys, "quiz", "check", str(path), "--json")
    assert code == 0
    assert [s["line"] for s in json.loads(out)["skipped"]] == [1, 5]
    code, out, _ = run(capsys, "quiz", "check", str(path))
    assert "skipped:\n  line 1: essay" in out
    assert "  line 5: description" in out


def test_check_prints_the_quiz_for_people(capsys) -> None:
    code, out, err = run(capsys, "quiz", "check", str(EXAMPLE))
    assert (code, err) == (0, "")
    assert out.startswith("Python basics: 12 questions\n")
    assert "  1. multiple_choice, 'len of a list', in Python/Built-ins, [markdown], line 7" in out
    assert "       * b) 3  -- Yes: len() counts the items." in out
    assert "         d) 3.0 (50%)" in out
    assert "       = 3.14 ± 0.005" in out
    assert "       = 1..6\n       = any other number  -- randint(a, b)" in out
    assert "       `{}` -> dict\n" in out and "       (no match) set" in out


def test_format_option_overrides_the_extension(capsys, tmp_path: Path) -> None:
    path = tmp_path / "questions.quiz"
    path.write_text(AIKEN.read_text(encoding="utf-8"), encoding="utf-8")
    code, _, err = run(capsys, "quiz", "check", str(path))
    assert (code, err) == (
        1,
        f"studycircle: {path}: cannot tell its format; say --format toml, gift or aiken\n",
    )
    code, out, _ = run(capsys, "quiz", "check", str(path), "--format", "aiken")
    assert code == 0 and out.startswith("questions: 4 questions")


@pytest.mark.parametrize(
    ("name", "content", "line", "message"),
    [
        (
            "bad.gift",
            "Q1{T}\n\nWho?{~a =b\n",
            3,
            "'{' is not closed by '}' before the end of the file",
        ),
        ("bad.txt", "Q\nA. x\nB. y\nANSWER: Z\n", 4, "ANSWER: Z, but the options go from A to B"),
        (
            "bad.toml",
            'title = "T"\n[[questions]]\nkind = "quiz"\n',
            3,
            "question 1: kind 'quiz' is not one of",
        ),
        ("bad.aiken", "", 1, "no questions found"),
        (
            "together.gift",
            "// two questions with no blank line between them\nTwo? {=2 ~3}\nThree? {=3 ~4}\n",
            3,
            "a second answer block: is a blank line missing before line 3? GIFT needs an "
            "empty line between two questions",
        ),
    ],
)
def test_a_bad_file_is_one_line_and_exit_code_1(capsys, tmp_path, name, content, line, message):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    code, out, err = run(capsys, "quiz", "check", str(path), "--json")
    assert (code, out) == (1, "")
    assert err.count("\n") == 1
    assert err.startswith(f"studycircle: {path}:{line}: {message}")


def test_unreadable_and_non_utf8_files(capsys, tmp_path: Path) -> None:
    missing = tmp_path / "missing.gift"
    code, _, err = run(capsys, "quiz", "check", str(missing))
    assert code == 1
    assert err == f"studycircle: {missing}: cannot read it: no such file or folder\n"
    latin = tmp_path / "latin.gift"
    latin.write_bytes("Q1{T}\n\nCaf\u00e9?{T}\n".encode("latin-1"))
    code, _, err = run(capsys, "quiz", "check", str(latin))
    assert (code, err) == (1, f"studycircle: {latin}:3: not UTF-8 text\n")


def test_export_converts_and_notes_what_is_left_out(capsys) -> None:
    code, out, err = run(capsys, "quiz", "export", str(EXAMPLE), "--format", "gift")
    assert code == 0
    assert err == (
        "studycircle: note: gift leaves out time limits and points per question "
        "(GIFT has no place for them)\n"
    )
    assert out.startswith("// quiz: Python basics\n")
    original = quizformats.read(EXAMPLE.read_text(encoding="utf-8"), "toml")
    exported = quizformats.read(out, "gift")
    assert [q.text for q in exported.questions] == [q.text for q in original.questions]
    assert [q.key for q in exported.questions] == [q.key for q in original.questions]


def test_export_gift_to_toml_round_trips(capsys, tmp_path: Path) -> None:
    code, out, err = run(capsys, "quiz", "export", str(GIFT), "--format", "toml")
    assert (code, err) == (0, "")
    converted = tmp_path / "examples.toml"
    converted.write_text(out, encoding="utf-8")
    assert quizformats.read(out, "toml") == quizformats.read(
        GIFT.read_text(encoding="utf-8"), "gift", "moodle-gift-examples"
    )
    code, out, _ = run(
        capsys, "quiz", "export", str(converted), "--format", "aiken", "--from", "toml"
    )
    assert code == 1
    assert out == ""


def test_export_that_the_format_cannot_hold_names_the_question(capsys) -> None:
    code, out, err = run(capsys, "quiz", "export", str(GIFT), "--format", "aiken")
    assert (code, out) == (1, "")
    assert err == (
        f"studycircle: {GIFT}:12: question 3 cannot be written as Aiken: it is true_false; "
        "Aiken holds only multiple choice with one right answer\n"
    )


def _studycircle(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    code = (
        "import argparse, sys\n"
        "from studycircle_tui.quiz_cli import add_commands\n"
        "parser = argparse.ArgumentParser(prog='studycircle')\n"
        "add_commands(parser.add_subparsers(dest='command', required=True))\n"
        "args = parser.parse_args(sys.argv[1:])\n"
        "sys.exit(args.func(args))\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code, *argv],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**os.environ, **(env or {})},
        check=False,
    )


def test_no_traceback_in_a_real_process(tmp_path: Path) -> None:
    path = tmp_path / "broken.gift"
    path.write_text("::name\nQ{T}\n", encoding="utf-8")
    result = _studycircle("quiz", "check", str(path))
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"studycircle: {path}:1: the question name opened with '::' has no closing '::'\n"
    )


def test_a_terminal_that_cannot_show_unicode(tmp_path: Path) -> None:
    path = tmp_path / "emoji.gift"
    path.write_text("Snake 🐍 or café?{=🐍 ~café}\n\nYear?{#1822:1}\n", encoding="utf-8")
    env = {"PYTHONIOENCODING": "ascii"}
    shown = _studycircle("quiz", "check", str(path), env=env)
    assert shown.returncode == 0, shown.stderr
    assert "Snake ? or caf??" in shown.stdout and "1822 ? 1" in shown.stdout
    as_json = _studycircle("quiz", "check", "--json", str(path), env=env)
    assert as_json.returncode == 0, as_json.stderr
    assert json.loads(as_json.stdout)["questions"][0]["correct"] == ["🐍"]
