"""Writing Moodle's GIFT format, in the layout Moodle's own exporter uses.

Every text is escaped (``\\ ~ = # { } :`` and newlines as ``\\n``), so what `gift.read_gift`
reads back is the same quiz. Where GIFT has no way to say something that changes how a question
is marked, writing stops with a QuizFormatError naming the question; what it merely cannot keep
(time limits, points) is listed by `gift_losses`.
"""

from .checks import check_question
from .gift import FORMAT_TAG, WEIGHT
from .model import (
    DEFAULT_POINTS,
    DEFAULT_SECONDS,
    Quiz,
    QuizFormatError,
    QuizQuestion,
    choice_weights,
    format_number,
    is_catch_all,
    matching_pairs,
    number_answers,
    padded_feedback,
    short_answers,
    true_false_answer,
)


def escape(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    out = []
    for char in text:
        if char in "\\~=#{}:":
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        else:
            out.append(char)
    return "".join(out)


def _inner(text: str, text_format: str | None) -> str:
    """An answer or feedback text. One that starts like ``[html]`` would lose that start as a
    format tag, so it gets the question's own tag in front (which reads as no change)."""
    guard = f"[{text_format or 'moodle'}]" if FORMAT_TAG.match(text) else ""
    return guard + escape(text)


def _question_text(question: QuizQuestion, line_start: bool) -> str:
    text = question.text
    tag = f"[{question.text_format}]" if question.text_format else ""
    # Without a tag, a text starting "[html]" would lose it, and one starting "//" at the start
    # of a line would be a comment: "[moodle]" (GIFT's default format) keeps either intact.
    if not tag and (FORMAT_TAG.match(text) or (line_start and text.startswith("//"))):
        tag = "[moodle]"
    return tag + escape(text)


def _weight(weight: float) -> str:
    return f"%{format_number(weight)}%"


def _feedback(text: str, question: QuizQuestion) -> str:
    return "#" + _inner(text, question.text_format) if text else ""


def _choice_lines(question: QuizQuestion) -> list[str]:
    weights = choice_weights(question)
    feedback = padded_feedback(question, len(question.choices))
    lines = []
    for choice, weight, comment in zip(question.choices, weights, feedback, strict=True):
        if question.kind == "multiple_choice" and weight == 100:
            marker = "="  # '=' takes no weight in Moodle, so the text may start with anything
        elif weight or WEIGHT.match(choice):
            marker = "~" + _weight(weight)
        else:
            marker = "~"
        lines.append(marker + _inner(choice, question.text_format) + _feedback(comment, question))
    return lines


def _short_answer_lines(question: QuizQuestion, number: int) -> list[str]:
    answers = short_answers(question)
    for text in [a for a, _, _ in answers] + [f for _, _, f in answers]:
        if "->" in text:
            why = "a short answer or its feedback contains '->' (GIFT would read a matching)"
            raise _cannot(question, number, why)
    lines = []
    for answer, weight, comment in answers:
        prefix = _weight(weight) if weight != 100 or WEIGHT.match(answer) else ""
        lines.append(
            "=" + prefix + _inner(answer, question.text_format) + _feedback(comment, question)
        )
    return lines


def _numerical_lines(question: QuizQuestion) -> list[str]:
    lines = []
    for answer in number_answers(question):
        if is_catch_all(answer):
            lines.append("~" + _feedback(answer.feedback, question))
            continue
        prefix = _weight(answer.weight) if answer.weight != 100 else ""
        if answer.value is None:
            number = f"{format_number(answer.low)}..{format_number(answer.high)}"  # type: ignore[arg-type]
        else:
            number = format_number(answer.value)
            if answer.tolerance:
                number += ":" + format_number(answer.tolerance)
        lines.append("=" + prefix + number + _feedback(answer.feedback, question))
    return lines


def _matching_lines(question: QuizQuestion, number: int) -> list[str]:
    pairs, distractors = matching_pairs(question)
    if any("->" in prompt for prompt, _ in pairs):
        raise _cannot(question, number, "a matching prompt contains '->', which GIFT cannot escape")
    lines = [f"={_inner(p, question.text_format)} -> {escape(a)}" for p, a in pairs]
    return lines + [f"= -> {escape(answer)}" for answer in distractors]


def _cannot(question: QuizQuestion, number: int, why: str) -> QuizFormatError:
    return QuizFormatError(question.line, f"question {number} cannot be written as GIFT: {why}")


def write_question(question: QuizQuestion, number: int) -> str:
    try:
        check_question(question)
    except ValueError as error:
        raise _cannot(question, number, str(error)) from None
    name = f"::{escape(question.name)}::" if question.name else ""
    head = name + _question_text(question, line_start=not name)
    general = question.feedback and "####" + _inner(question.feedback, question.text_format)
    if question.kind == "true_false":
        # {TRUE#feedback for a wrong answer#feedback for a right one}, as Moodle writes it.
        value, if_true, if_false = true_false_answer(question)
        right, wrong = (if_true, if_false) if value else (if_false, if_true)
        block = "TRUE" if value else "FALSE"
        if wrong or right:
            block += "#" + (_inner(wrong, question.text_format) if wrong else "")
        if right:
            block += "#" + _inner(right, question.text_format)
        return head + "{" + block + general + "}"
    if question.kind in ("multiple_choice", "multiple_answer"):
        opening, lines = "{", _choice_lines(question)
    elif question.kind == "short_answer":
        opening, lines = "{", _short_answer_lines(question, number)
    elif question.kind == "numerical":
        opening, lines = "{#", _numerical_lines(question)
    else:
        opening, lines = "{", _matching_lines(question, number)
    if general:
        lines.append(general)
    return head + opening + "\n" + "".join(f"\t{line}\n" for line in lines) + "}"


def write_gift(quiz: Quiz) -> str:
    title = quiz.title.replace("\r", " ").replace("\n", " ")
    out = [f"// quiz: {title}", ""]
    category = ""
    for number, question in enumerate(quiz.questions, 1):
        if question.category != category:
            if "\n" in question.category or "\r" in question.category:
                raise _cannot(question, number, "its category has a line break")
            out += [f"$CATEGORY: {question.category}".rstrip(), ""]
            category = question.category
        out += [write_question(question, number), ""]
    return "\n".join(out)


def gift_losses(quiz: Quiz) -> list[str]:
    """What a GIFT file of this quiz will not keep."""
    if any(q.seconds != DEFAULT_SECONDS or q.points != DEFAULT_POINTS for q in quiz.questions):
        return ["time limits and points per question (GIFT has no place for them)"]
    return []
