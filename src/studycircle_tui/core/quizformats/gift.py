"""Reading Moodle's GIFT format.

The rules are those of Moodle's "GIFT format" documentation, and where it is vague, of Moodle's
own importer (question/format/gift/format.php), so a file reads here as it would into Moodle:
questions are separated by blank lines; lines starting with ``//`` are comments; ``::name::``,
``$CATEGORY:``, a ``[markdown]``/``[html]``/``[plain]``/``[moodle]`` text format, ``####``
general feedback; the kind follows from the answer block (``#`` numerical, any ``~`` multiple
choice, ``=``+``->`` matching, ``T``/``TRUE``/``F``/``FALSE``, else short answer); an answer
block mid-sentence leaves a ``_____`` blank. Where Moodle quietly imports something broken (an
unclosed brace, an empty choice, weights that cannot add up), this reader stops with the line.
"""

import re
from dataclasses import dataclass, field

from ..ops import NumberAnswer, QuestionKind
from .checks import checked, clean_title, finish
from .model import (
    Common,
    Quiz,
    QuizFormatError,
    QuizQuestion,
    Skipped,
    choice_question,
    matching_question,
    numerical_question,
    short_answer_question,
    true_false_question,
)

# What a backslash escapes; ``\n`` is a newline. A backslash before anything else stays.
ESCAPES = {"\\": "\\", "~": "~", "=": "=", "#": "#", "{": "{", "}": "}", ":": ":", "n": "\n"}
FORMAT_TAG = re.compile(r"\[(moodle|html|plain|markdown)\]")
# Moodle's weight is 1-2 digits; ``%100%`` is accepted too, since it is what people write.
WEIGHT = re.compile(r"%(-?\d+(?:\.\d*)?)%")
NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
TITLE_COMMENT = re.compile(r"//\s*quiz:\s*(.*?)\s*$", re.IGNORECASE)
CATEGORY = "$CATEGORY:"
BLANK = "_____"  # what Moodle puts where a mid-sentence answer block was
TRUE_FALSE_WORDS = {"T": True, "TRUE": True, "F": False, "FALSE": False}


def split_lines(text: str) -> list[str]:
    """Lines on \\n, \\r\\n or \\r only: ``str.splitlines`` would also split on characters
    like U+2028 that may be part of a question's text."""
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")


@dataclass(frozen=True)
class Src:
    """A block's text with escapes resolved. ``active[i]`` is False where a character came from
    an escape (``\\{`` is a brace, not an answer block); ``lines[i]`` is its line in the file."""

    text: str
    active: tuple[bool, ...]
    lines: tuple[int, ...]
    at: int  # the line of the start, also for an empty slice

    def __getitem__(self, part: slice) -> "Src":
        start = part.indices(len(self.text))[0]
        at = self.lines[start] if start < len(self.lines) else self.at
        return Src(self.text[part], self.active[part], self.lines[part], at)

    def find(self, sub: str, start: int = 0) -> int:
        """The first place ``sub`` occurs unescaped, or -1."""
        index = self.text.find(sub, start)
        while index >= 0 and not all(self.active[index : index + len(sub)]):
            index = self.text.find(sub, index + 1)
        return index

    def rfind(self, sub: str) -> int:
        index = self.text.rfind(sub)
        while index >= 0 and not all(self.active[index : index + len(sub)]):
            index = self.text.rfind(sub, 0, index + len(sub) - 1)
        return index

    def line(self, index: int) -> int:
        return self.lines[index] if 0 <= index < len(self.lines) else self.at

    def strip(self) -> "Src":
        start = len(self.text) - len(self.text.lstrip())
        return self[start : start + len(self.text.strip())]

    def split(self, markers: str) -> tuple["Src", list["Src"]]:
        """The text before the first unescaped marker, and one part from each marker on."""
        cuts = [i for i, c in enumerate(self.text) if c in markers and self.active[i]]
        ends = [*cuts[1:], len(self.text)] if cuts else []
        lead = self[: cuts[0] if cuts else len(self.text)]
        return lead, [self[a:b] for a, b in zip(cuts, ends, strict=True)]

    def cut(self, sub: str) -> tuple["Src", "Src | None"]:
        """Split at the first unescaped ``sub``: (before, after), after None if absent."""
        index = self.find(sub)
        if index < 0:
            return self, None
        return self[:index], self[index + len(sub) :]


def source(block: list[tuple[int, str]]) -> Src:
    chars: list[str] = []
    active: list[bool] = []
    lines: list[int] = []
    for number, line in block:
        if chars:
            chars.append("\n")
            active.append(True)
            lines.append(number)
        i = 0
        while i < len(line):
            if line[i] == "\\" and line[i + 1 : i + 2] in ESCAPES:
                chars.append(ESCAPES[line[i + 1]])
                active.append(False)
                i += 2
            else:
                chars.append(line[i])
                active.append(True)
                i += 1
            lines.append(number)
    return Src("".join(chars), tuple(active), tuple(lines), block[0][0])


def formatted(part: Src | str | None) -> tuple[str | None, str]:
    """(text format or None, text) of a text that may start with ``[markdown]`` and the like;
    ``[moodle]`` is GIFT's default, so it reads as None."""
    text = (part.text if isinstance(part, Src) else part or "").strip()
    tag = FORMAT_TAG.match(text)
    if not tag:
        return None, text
    name = tag.group(1)
    return (None if name == "moodle" else name), text[tag.end() :].strip()


def text_of(part: Src | None) -> str:
    return formatted(part)[1]


@dataclass
class _Block:
    """One question's lines (comments dropped) and what ended it, for messages."""

    lines: list[tuple[int, str]] = field(default_factory=list)
    end: str = "the end of the file"


def blocks(lines: list[str]) -> list[_Block]:
    found: list[_Block] = []
    current = _Block()
    last = max((n for n, raw in enumerate(lines, 1) if raw.strip()), default=0)
    for number, raw in enumerate(lines, 1):
        line = raw.strip()  # Moodle trims every line, so indentation never reaches the text
        if not line:
            if current.lines:
                if number < last:  # blank lines at the very end are just the file's end
                    current.end = f"the blank line at line {number}"
                found.append(current)
                current = _Block()
        elif not line.startswith("//"):
            current.lines.append((number, line))
    if current.lines:
        found.append(current)
    return found


def title_from(lines: list[str]) -> str:
    """A ``// quiz: Title`` comment before the first question names the quiz."""
    for line in lines:
        stripped = line.strip()
        if stripped and not stripped.startswith("//"):
            break
        match = TITLE_COMMENT.match(stripped)
        if match:
            return match.group(1)
    return ""


def read_gift(text: str, title: str = "") -> Quiz:
    """Parse GIFT text. ``title`` names the quiz unless a ``// quiz:`` comment does."""
    lines = split_lines(text)
    quiz = Quiz(clean_title(title_from(lines) or title))
    category = ""
    for block in blocks(lines):
        first = block.lines[0][1]
        if first.startswith(CATEGORY):
            if len(block.lines) > 1:
                raise QuizFormatError(
                    block.lines[1][0],
                    "put a blank line after $CATEGORY: (Moodle would read this line as part "
                    "of the category name)",
                )
            category = first[len(CATEGORY) :].strip()
            continue
        item = read_question(source(block.lines), block.end, category)
        if isinstance(item, Skipped):
            quiz.skipped.append(item)
        else:
            quiz.questions.append(item)
    return finish(quiz)


def read_question(src: Src, end: str, category: str) -> QuizQuestion | Skipped:
    common = Common(category=category, line=src.at)
    rest = src
    if rest.text.startswith("::") and all(rest.active[:2]):
        close = rest.find("::", 2)
        if close < 0:
            raise QuizFormatError(src.at, "the question name opened with '::' has no closing '::'")
        common.name = rest[2:close].text.strip()
        rest = rest[close + 2 :].strip()
    start, stop = rest.find("{"), rest.find("}")
    if start < 0 and stop < 0:
        return Skipped(src.at, "description (text with no answer block), not a question")
    if start < 0 or (0 <= stop < start):
        raise QuizFormatError(rest.line(stop), "'}' without an opening '{' before it")
    if stop < 0:
        raise QuizFormatError(rest.line(start), f"'{{' is not closed by '}}' before {end}")
    inner = rest.find("{", start + 1)
    if 0 <= inner < stop:
        raise QuizFormatError(rest.line(inner), "'{' inside an answer block (write a brace as \\{)")
    extra = min((i for i in (rest.find("{", stop), rest.find("}", stop + 1)) if i >= 0), default=-1)
    if extra >= 0:
        block_ends = rest.line(stop)
        if rest.text[extra] == "{" and rest.line(extra) > block_ends:
            # Two questions on consecutive lines read as one question with two blocks.
            later = [line for line in rest.lines[stop:] if line > block_ends]
            raise QuizFormatError(
                later[0],
                f"a second answer block: is a blank line missing before line {later[0]}? "
                "GIFT needs an empty line between two questions (a literal brace is "
                "written \\{)",
            )
        raise QuizFormatError(
            rest.line(extra),
            f"'{rest.text[extra]}' after the answer block: a question has one block "
            "(write a literal brace as \\{ or \\})",
        )
    after = rest[stop + 1 :]
    # As in Moodle: a block that ends the question is cut out; one mid-sentence leaves a blank.
    before = rest[:start].text
    text = before if not after.text.strip() else before + BLANK + after.text
    common.text_format, text = formatted(text)
    answer = rest[start + 1 : stop].strip()
    general = answer.rfind("####")
    if general >= 0:
        common.feedback = text_of(answer[general + 4 :])
        answer = answer[:general].strip()
    if not answer.text:
        return Skipped(src.at, "essay (free-text answer): the quiz runner cannot mark it")
    if answer.text.startswith("#") and answer.active[0]:
        return checked(_numerical(text, answer[1:], common))
    if answer.find("~") >= 0:
        return checked(_choices(text, answer, common))
    if answer.find("=") >= 0 and "->" in answer.text:
        return checked(_matching(text, answer, common))
    head, _ = answer.cut("#")
    if head.text.strip() in TRUE_FALSE_WORDS:
        return checked(_true_false(text, answer, common))
    return checked(_short_answer(text, answer, common))


def _parts(answer: Src) -> list[tuple[str, Src]]:
    """Each answer as (its marker, the rest): ``=``/``~``, or "" for text before any marker
    (Moodle reads ``{four}`` as the answer "four")."""
    lead, marked = answer.split("~=")
    parts = [("", lead.strip())] if lead.text.strip() else []
    return parts + [(part.text[0], part[1:].strip()) for part in marked]


def _weight(part: Src, default: float) -> tuple[float, Src]:
    match = WEIGHT.match(part.text)
    if not match:
        return default, part
    weight = float(match.group(1))
    if not -100 <= weight <= 100:
        raise QuizFormatError(part.at, f"weight {match.group(0)} is outside -100..100%")
    return weight, part[match.end() :]


def _choices(text: str, answer: Src, common: Common) -> QuizQuestion:
    single = answer.find("=") >= 0  # Moodle: with no "=" answer, several can be chosen
    choices: list[str] = []
    weights: list[float] = []
    feedback: list[str] = []
    for marker, part in _parts(answer):
        weight, part = (100.0, part) if marker == "=" else _weight(part, 0.0)
        choice, comment = part.cut("#")
        if not text_of(choice):
            raise QuizFormatError(part.at, f"empty choice after '{marker}'")
        choices.append(text_of(choice))
        weights.append(weight)
        feedback.append(text_of(comment))
    kind: QuestionKind = "multiple_choice" if single else "multiple_answer"
    return choice_question(kind, text, choices, weights, feedback, common)


def _true_false(text: str, answer: Src, common: Common) -> QuizQuestion:
    # {TRUE#feedback for a wrong answer#feedback for a right one}; a third '#' stays text.
    head, tail = answer.cut("#")
    wrong, right = tail.cut("#") if tail is not None else (None, None)
    value = TRUE_FALSE_WORDS[head.text.strip()]
    wrong_text, right_text = text_of(wrong), text_of(right)
    if_true, if_false = (right_text, wrong_text) if value else (wrong_text, right_text)
    return true_false_question(text, value, if_true, if_false, common)


def _short_answer(text: str, answer: Src, common: Common) -> QuizQuestion:
    answers: list[str] = []
    weights: list[float] = []
    feedback: list[str] = []
    for _, part in _parts(answer):
        weight, part = _weight(part, 100.0)
        accepted, comment = part.cut("#")
        if not text_of(accepted):
            raise QuizFormatError(part.at, "empty answer after '='")
        answers.append(text_of(accepted))
        weights.append(weight)
        feedback.append(text_of(comment))
    return short_answer_question(text, answers, weights, feedback, common)


def _number(text: str, line: int) -> float:
    if not NUMBER.fullmatch(text):
        raise QuizFormatError(line, f"{text!r} is not a number")
    return float(text)


def _numerical(text: str, answer: Src, common: Common) -> QuizQuestion:
    body, other = answer.cut("~")  # after '~': feedback for any other answer
    answers: list[NumberAnswer] = []
    for _, part in _parts(body):
        if not part.text:
            raise QuizFormatError(part.at, "empty numerical answer after '='")
        weight, part = _weight(part, 100.0)
        number, comment = part.cut("#")
        answers.append(_number_answer(number.text.strip(), weight, text_of(comment), part.at))
    if not answers:
        raise QuizFormatError(answer.at, "a numerical question {#...} needs at least one number")
    if other is not None:
        before, comment = other.cut("#")
        if before.text.strip():
            raise QuizFormatError(
                other.at, "after '~' a numerical question takes only '#feedback for other answers'"
            )
        answers.append(NumberAnswer(weight=0, feedback=text_of(comment)))
    return numerical_question(text, answers, common)


def _number_answer(text: str, weight: float, feedback: str, line: int) -> NumberAnswer:
    if text.find("..") > 0:  # low..high
        low, high = text.split("..", 1)
        return NumberAnswer(
            low=_number(low.strip(), line),
            high=_number(high.strip(), line),
            weight=weight,
            feedback=feedback,
        )
    value, _, tolerance = text.partition(":") if text.find(":") > 0 else (text, "", "")
    return NumberAnswer(
        value=_number(value.strip(), line),
        tolerance=_number(tolerance.strip(), line) if tolerance.strip() else 0.0,
        weight=weight,
        feedback=feedback,
    )


def _matching(text: str, answer: Src, common: Common) -> QuizQuestion:
    pairs: list[tuple[str, str]] = []
    distractors: list[str] = []
    for _, part in _parts(answer):
        arrow = part.text.find("->")
        if arrow < 0:
            raise QuizFormatError(part.at, "a matching pair is written '=prompt -> answer'")
        prompt, target = text_of(part[:arrow]), part[arrow + 2 :].text.strip()
        if not target:
            raise QuizFormatError(part.at, "a matching pair has no answer after '->'")
        if prompt:
            pairs.append((prompt, target))
        else:  # "= -> answer" adds an answer that matches no prompt
            distractors.append(target)
    return matching_question(text, pairs, distractors, common)
