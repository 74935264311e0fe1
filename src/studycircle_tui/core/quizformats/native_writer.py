"""Writing the native TOML quiz file, laid out the way a person would write it by hand."""

from ..ops import NumberAnswer
from .checks import check_question
from .model import (
    DEFAULT_POINTS,
    DEFAULT_SECONDS,
    Quiz,
    QuizFormatError,
    QuizQuestion,
    choice_weights,
    equal_shares,
    is_catch_all,
    matching_pairs,
    number_answers,
    padded_feedback,
    plain_number,
    short_answers,
    true_false_answer,
)

_SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\t"}


def _char(char: str, multiline: bool) -> str:
    if multiline and char == "\n":
        return char
    if char in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[char]
    # TOML allows every other character raw except the control characters.
    if ord(char) < 0x20 or char == "\x7f":
        return f"\\u{ord(char):04x}"
    return char


def string(text: str) -> str:
    """A TOML basic string; a text with line breaks as a multi-line one, to stay readable."""
    if "\n" in text:
        # The newline right after the opening quotes is not part of the value.
        return '"""\n' + "".join(_char(c, multiline=True) for c in text) + '"""'
    return '"' + "".join(_char(c, multiline=False) for c in text) + '"'


def number(value: float) -> str:
    plain = plain_number(value)
    # TOML integers are 64-bit, so a huge whole number is written as a float (1e+300).
    if isinstance(plain, int) and abs(plain) < 2**63:
        return str(plain)
    return repr(float(value))


def _inline(pairs: list[tuple[str, str]]) -> str:
    return "{ " + ", ".join(f"{key} = {value}" for key, value in pairs) + " }"


def _list(key: str, items: list[str]) -> list[str]:
    inline = f"{key} = [{', '.join(items)}]"
    if len(inline) <= 80 and not any(item.startswith("{") for item in items):
        return [inline]
    return [f"{key} = [", *(f"  {item}," for item in items), "]"]


def _choice_items(question: QuizQuestion) -> list[str]:
    weights = choice_weights(question)
    feedback = padded_feedback(question, len(question.choices))
    correct = set(question.key.choices)
    # A multiple_answer weighted the default way (equal_shares) just says which are right.
    equal = question.kind == "multiple_choice" or weights == equal_shares(
        [i in correct for i in range(len(weights))]
    )
    items = []
    rows = zip(question.choices, weights, feedback, strict=True)
    for i, (choice, weight, comment) in enumerate(rows):
        fields = [("text", string(choice))]
        if equal:  # a multiple_choice's right choice is the one with weight 100
            if i in correct:
                fields.append(("correct", "true"))
            elif weight and question.kind == "multiple_choice":
                fields.append(("weight", number(weight)))
        elif weight:
            fields.append(("weight", number(weight)))
        if comment:
            fields.append(("feedback", string(comment)))
        items.append(string(choice) if len(fields) == 1 else _inline(fields))
    return items


def _short_items(question: QuizQuestion) -> list[str]:
    items = []
    for answer, weight, comment in short_answers(question):
        fields = [("text", string(answer))]
        if weight != 100:
            fields.append(("weight", number(weight)))
        if comment:
            fields.append(("feedback", string(comment)))
        items.append(string(answer) if len(fields) == 1 else _inline(fields))
    return items


def _number_item(answer: NumberAnswer) -> str:
    if answer.value is not None:
        fields = [("value", number(answer.value))]
        if answer.tolerance:
            fields.append(("tolerance", number(answer.tolerance)))
    else:
        fields = [("low", number(answer.low)), ("high", number(answer.high))]  # type: ignore[arg-type]
    if answer.weight != 100:
        fields.append(("weight", number(answer.weight)))
    if answer.feedback:
        fields.append(("feedback", string(answer.feedback)))
    return fields[0][1] if len(fields) == 1 and answer.value is not None else _inline(fields)


def _answer_lines(question: QuizQuestion) -> list[str]:
    if question.kind in ("multiple_choice", "multiple_answer"):
        return _list("choices", _choice_items(question))
    if question.kind == "true_false":
        value, if_true, if_false = true_false_answer(question)
        lines = [f"answer = {'true' if value else 'false'}"]
        lines += [f"feedback_true = {string(if_true)}"] if if_true else []
        return lines + ([f"feedback_false = {string(if_false)}"] if if_false else [])
    if question.kind == "short_answer":
        return _list("answers", _short_items(question))
    if question.kind == "numerical":
        answers = number_answers(question)
        lines = _list("answers", [_number_item(a) for a in answers if not is_catch_all(a)])
        other = [a for a in answers if is_catch_all(a)]
        return lines + ([f"feedback_other = {string(other[0].feedback)}"] if other else [])
    pairs, distractors = matching_pairs(question)
    lines = _list("pairs", [f"[{string(p)}, {string(a)}]" for p, a in pairs])
    return lines + (_list("distractors", [string(d) for d in distractors]) if distractors else [])


def write_question(question: QuizQuestion, number_: int) -> list[str]:
    try:
        check_question(question)
    except ValueError as error:
        message = f"question {number_} cannot be written: {error}"
        raise QuizFormatError(question.line, message) from None
    lines = ["[[questions]]", f"kind = {string(question.kind)}"]
    for key in ("name", "category"):
        if getattr(question, key):
            lines.append(f"{key} = {string(getattr(question, key))}")
    if question.text_format:
        lines.append(f"format = {string(question.text_format)}")
    lines.append(f"text = {string(question.text)}")
    lines += _answer_lines(question)
    if question.feedback:
        lines.append(f"feedback = {string(question.feedback)}")
    if question.seconds != DEFAULT_SECONDS:
        lines.append(f"seconds = {question.seconds}")
    if question.points != DEFAULT_POINTS:
        lines.append(f"points = {number(question.points)}")
    return lines


def write_toml(quiz: Quiz) -> str:
    out = [f"title = {string(quiz.title)}", ""]
    for index, question in enumerate(quiz.questions, 1):
        out += [*write_question(question, index), ""]
    return "\n".join(out)
