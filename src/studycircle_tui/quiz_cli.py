"""The ``studycircle quiz`` commands: ``check`` and ``export`` quiz files, ``import`` one.

``cli.py`` calls `add_commands` with its subparsers; every subcommand sets ``func``, which takes
the parsed arguments and returns the exit code. A bad file is one line on stderr,
``studycircle: FILE:LINE: message``, and exit code 1. The quiz formats are imported only when a
quiz command runs, to keep them off the app's start-up path.
"""

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from .command_line import PROG, Failed, circle_service, emit, failure, send_now
from .i18n import _, error_text, message, ngettext, os_error

if TYPE_CHECKING:
    from .core.quizformats import Quiz, QuizQuestion

FORMATS = ("toml", "gift", "aiken")  # as in core.quizformats, without importing it here


def add_commands(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    quiz = subparsers.add_parser(
        "quiz",
        help=_("check, convert and import quiz files (TOML, Moodle GIFT, Aiken)"),
        description=_(
            "Check, convert and import quiz files: the native TOML format, and "
            "Moodle's GIFT and Aiken formats."
        ),
    )
    commands = quiz.add_subparsers(dest="quiz_command", required=True, metavar=_("COMMAND"))

    check = commands.add_parser(
        "check",
        help=_("validate a quiz file and print the quiz it holds"),
        description=_(
            "Validate a quiz file and print the parsed quiz. The format comes from the "
            "extension (.toml, .gift, .aiken; a .txt is read as GIFT or Aiken by its content) "
            "unless --format says."
        ),
    )
    check.add_argument("file", metavar=_("FILE"))
    check.add_argument(
        "--json",
        action="store_true",
        help=_("print the quiz as JSON: {fields}").format(
            fields='{"title", "questions": [{"type", "text", "choices", "correct"}], '
            '"skipped": [{"line", "reason"}]}'
        ),
    )
    check.add_argument("--format", choices=FORMATS, help=_("the file's format"))
    check.set_defaults(func=run_check)

    export = commands.add_parser(
        "export",
        help=_("convert a quiz file to another format, on stdout"),
        description=_("Read a quiz file and write it in another format on stdout."),
    )
    export.add_argument("file", metavar=_("FILE"))
    export.add_argument("--format", choices=FORMATS, required=True, help=_("the format to write"))
    export.add_argument(
        "--from",
        dest="source_format",
        choices=FORMATS,
        help=_("the file's format (default: guessed)"),
    )
    export.set_defaults(func=run_export)

    importer = commands.add_parser(
        "import",
        help=_("add a quiz file to a channel of a circle (default: your last-opened one)"),
        description=_(
            "Read a quiz file and add the quiz to a channel of a circle (--circle, "
            "else the circle you opened last), ready to run live from the Quiz pane (z). Its "
            "answer key stays on this device and is published one question at a time, at each "
            "reveal; --practice shares it with the quiz so anyone can practise it now (it can "
            "then no longer be run live fairly)."
        ),
    )
    importer.add_argument("file", metavar=_("FILE"))
    importer.add_argument("--channel", required=True, help=_("the channel's name (or id)"))
    importer.add_argument(
        "--circle", metavar=_("NAME"), help=_("the circle's name or id (default: the last opened)")
    )
    importer.add_argument("--format", choices=FORMATS, help=_("the file's format"))
    importer.add_argument(
        "--practice", action="store_true", help=_("share the answer key: a practice quiz")
    )
    importer.add_argument(
        "--again",
        action="store_true",
        help=_("import it even if the channel already has the same quiz (another copy)"),
    )
    importer.set_defaults(func=run_import)


def load(file: str, format: str | None) -> "Quiz":
    """Read and parse a quiz file, or raise Failed with the line to print."""
    from .core import quizformats

    path = Path(file)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise Failed(
            _("{file}: cannot read it: {error}").format(file=file, error=os_error(error))
        ) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise Failed(_("{file}:{line}: not UTF-8 text").format(file=file, line=line)) from None
    format = format or quizformats.guess_format(path.name, text)
    if format is None:
        raise Failed(
            _("{file}: cannot tell its format; say --format toml, gift or aiken").format(file=file)
        )
    try:
        # GIFT and Aiken files have no title: the file's name stands in.
        return quizformats.read(text, format, title=path.name.split(".")[0])
    except quizformats.QuizFormatError as error:
        raise Failed(f"{file}:{error.line}: {message(error.message)}") from None


def run_check(args: argparse.Namespace) -> int:
    from .core.quizformats import summary

    try:
        quiz = load(args.file, args.format)
    except Failed as failed:
        return failure(str(failed))
    if args.json:
        # Non-ASCII stays readable where the terminal can show it, escaped where it cannot.
        encoding = (getattr(sys.stdout, "encoding", None) or "").lower().replace("-", "")
        emit(json.dumps(summary(quiz), ensure_ascii=encoding != "utf8", indent=2))
    else:
        emit(describe(quiz))
    return 0


def run_export(args: argparse.Namespace) -> int:
    from .core import quizformats

    try:
        quiz = load(args.file, args.source_format)
        text = quizformats.write(quiz, args.format)
    except Failed as failed:
        return failure(str(failed))
    except quizformats.QuizFormatError as error:
        return failure(f"{args.file}:{error.line}: {message(error.message)}")
    for note in quizformats.losses(quiz, args.format):
        emit(
            _("{prog}: note: {format} leaves out {what}").format(
                prog=PROG, format=args.format, what=message(note)
            ),
            sys.stderr,
        )
    emit(text.rstrip("\n"))
    return 0


def run_import(args: argparse.Namespace) -> int:
    """Add the quiz to a circle through its service (as the app would)."""
    import asyncio

    from .sync.engine import Refused
    from .sync.quizrun import import_quiz

    try:
        quiz = load(args.file, args.format)
        service = circle_service(args.circle)
    except Failed as failed:
        return failure(str(failed))
    try:
        op = asyncio.run(
            import_quiz(service, quiz, args.channel, practice=args.practice, again=args.again)
        )
    except (ValueError, Refused) as error:
        return failure(f"{args.file}: {error_text(error)}")
    for item in quiz.skipped:
        emit(
            _("{prog}: note: {file}:{line}: skipped, {reason}").format(
                prog=PROG, file=args.file, line=item.line, reason=message(item.reason)
            ),
            sys.stderr,
        )
    sent = send_now(service)
    count = len(op.data.questions)
    keys = (
        _("its answers travel with it: anyone can practise it")
        if args.practice
        else _(
            "its answer key stays on this device until each reveal: run it live from the "
            "Quiz pane (z, then l)"
        )
    )
    imported = ngettext(
        "imported '{title}' ({count} question) into #{channel} of '{circle}'",
        "imported '{title}' ({count} questions) into #{channel} of '{circle}'",
        count,
    ).format(
        title=quiz.title,
        count=count,
        channel=service.state.channels[op.data.channel].name,
        circle=service.state.name,
    )
    emit(f"{imported}{sent}; {keys}")
    return 0


# --- the human-readable listing ----------------------------------------------------------


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line for line in text.split("\n"))


def _number(value: float) -> str:
    from .core.quizformats.model import format_number

    return format_number(value)


def _percent(weight: float) -> str:
    return "" if weight == 100 else f" ({weight:.6g}%)"


def _answers(question: "QuizQuestion") -> list[str]:
    from .core.quizformats import model

    lines = []
    if question.kind in ("multiple_choice", "multiple_answer", "true_false"):
        weights = model.choice_weights(question)
        feedback = model.padded_feedback(question, len(question.choices))
        for i, choice in enumerate(question.choices):
            mark = "*" if i in question.key.choices else " "
            # Weights matter where they are not plain right/wrong: partial credit, or a
            # multiple_answer's share of the points.
            shown = question.kind == "multiple_answer" or weights[i] not in (0, 100)
            extra = f" ({weights[i]:.6g}%)" if shown and weights[i] else ""
            note = f"  -- {feedback[i]}" if feedback[i] else ""
            lines.append(f"{mark} {chr(ord('a') + i % 26)}) {choice}{extra}{note}")
    elif question.kind == "short_answer":
        for answer, weight, feedback in model.short_answers(question):
            note = f"  -- {feedback}" if feedback else ""
            lines.append(f"= {answer}{_percent(weight)}{note}")
    elif question.kind == "numerical":
        for answer in model.number_answers(question):
            if model.is_catch_all(answer):
                shown = _("any other number")
            elif answer.value is None:
                low, high = model.format_number(answer.low), model.format_number(answer.high)  # type: ignore[arg-type]
                shown = f"{low}..{high}"
            else:
                shown = model.format_number(answer.value)
                if answer.tolerance:
                    shown += f" ± {model.format_number(answer.tolerance)}"
            note = f"  -- {answer.feedback}" if answer.feedback else ""
            weight = "" if model.is_catch_all(answer) else _percent(answer.weight)
            lines.append(f"= {shown}{weight}{note}")
    else:
        pairs, distractors = model.matching_pairs(question)
        lines += [f"{prompt} -> {answer}" for prompt, answer in pairs]
        lines += [_("(no match) {answer}").format(answer=answer) for answer in distractors]
    return lines


def describe(quiz: "Quiz") -> str:
    """The quiz as ``quiz check`` prints it: every question, its answers (* marks the right
    ones), feedback after ``--``, and what was skipped."""
    count = len(quiz.questions)
    out = [
        ngettext("{title}: {count} question", "{title}: {count} questions", count).format(
            title=quiz.title, count=count
        )
    ]
    for number, question in enumerate(quiz.questions, 1):
        about = [question.kind]
        about += [f"'{question.name}'"] if question.name else []
        about += (
            [_("in {category}").format(category=question.category)] if question.category else []
        )
        about += [f"[{question.text_format}]"] if question.text_format else []
        about.append(_("line {line}").format(line=question.line))
        out += ["", f"{number:>3}. {', '.join(about)}", _indent(question.text, "     ")]
        out += [_indent(line, "       ") for line in _answers(question)]
        if question.feedback:
            out.append(_indent(_("feedback: {text}").format(text=question.feedback), "     "))
    if quiz.skipped:
        out += ["", _("skipped:")]
        out += [
            "  " + _("line {line}: {reason}").format(line=item.line, reason=message(item.reason))
            for item in quiz.skipped
        ]
    return "\n".join(out)
