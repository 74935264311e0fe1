"""Quiz files: the native TOML format, and Moodle's GIFT and Aiken formats.

Pure functions from text to a `Quiz` and back; reading a file from disk is the caller's job.
Every problem with a file raises `QuizFormatError`, whose ``line`` and message say where and
what; questions the runner cannot ask (essays, descriptions) are listed in ``Quiz.skipped``.
"""

import re
from collections.abc import Callable

from .aiken import aiken_losses, read_aiken, write_aiken
from .gift import read_gift
from .gift_writer import gift_losses, write_gift
from .model import (
    KINDS,
    Quiz,
    QuizFormatError,
    QuizQuestion,
    Skipped,
    correct_answers,
    summary,
)
from .native import read_toml
from .native_writer import write_toml

FORMATS = ("toml", "gift", "aiken")

_READERS: dict[str, Callable[[str, str], Quiz]] = {
    "toml": read_toml,
    "gift": read_gift,
    "aiken": read_aiken,
}
_WRITERS: dict[str, Callable[[Quiz], str]] = {
    "toml": write_toml,
    "gift": write_gift,
    "aiken": write_aiken,
}
_LOSSES: dict[str, Callable[[Quiz], list[str]]] = {
    "toml": lambda quiz: [],
    "gift": gift_losses,
    "aiken": aiken_losses,
}


def read(text: str, format: str, title: str = "") -> Quiz:
    """Parse ``text`` in ``format`` (one of FORMATS). ``title`` names the quiz when the file
    does not (GIFT and Aiken files have no title of their own)."""
    return _READERS[format](text, title)


def write(quiz: Quiz, format: str) -> str:
    return _WRITERS[format](quiz)


def losses(quiz: Quiz, format: str) -> list[str]:
    """What writing ``quiz`` in ``format`` leaves out (nothing that changes the marking:
    that raises QuizFormatError instead)."""
    return _LOSSES[format](quiz)


_GIFT_MARK = re.compile(r"(?<!\\)\{|^\s*::|^\s*\$CATEGORY:", re.MULTILINE)
_AIKEN_MARK = re.compile(r"^\s*ANSWER:", re.MULTILINE)


def guess_format(name: str, text: str) -> str | None:
    """The format of a file from its name and text: ``.toml``, ``.gift``, ``.aiken``, or a
    ``.txt`` (how Moodle names both) with GIFT's braces or Aiken's ANSWER lines."""
    suffix = name.lower().rpartition(".")[2] if "." in name else ""
    if suffix in FORMATS:
        return suffix
    if suffix == "txt":
        uncommented = "\n".join(
            line for line in text.splitlines() if not line.lstrip().startswith("//")
        )
        # Aiken first: its questions may well show code with braces; GIFT has no ANSWER lines.
        if _AIKEN_MARK.search(text):
            return "aiken"
        if _GIFT_MARK.search(uncommented):
            return "gift"
    return None


__all__ = [
    "FORMATS",
    "KINDS",
    "Quiz",
    "QuizFormatError",
    "QuizQuestion",
    "Skipped",
    "correct_answers",
    "guess_format",
    "losses",
    "read",
    "read_aiken",
    "read_gift",
    "read_toml",
    "summary",
    "write",
    "write_aiken",
    "write_gift",
    "write_toml",
]
