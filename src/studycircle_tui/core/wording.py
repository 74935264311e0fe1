"""Schema errors in the member's words: "the post is longer than 20,000 characters", not
"Expected `str` of length <= 20000 - at `$.data.text`".

An ``OpError`` names the field by its JSON path and says what msgspec expected; that is
right for a server log and a bug report, and meaningless to someone who pasted too much
into a post. ``in_words(op_type, error)`` says which thing (by what it is for in that
kind of op) and what is wrong with it. An error it cannot place is still said without
the path.
"""

import re

from .ops import OpError

# What a field is, to the person filling it in; by op type where it differs.
_FIELDS: dict[str, str] = {
    "text": "the text",
    "title": "the title",
    "name": "the name",
    "lead_name": "your name",
    "goal": "the goal",
    "rules": "the rules",
    "comment": "the comment",
    "reason": "the reason",
    "reply": "the reply",
    "kind": "the kind",
    "reaction": "the reaction",
    "role": "the role",
    "status": "the status",
    "sessions": "the schedule",
    "sessions.title": "the session's title",
    "sessions.weekday": "the day of the week",
    "sessions.time": "the time",
    "sessions.tz": "the time zone",
    "sessions.minutes": "the session's length in minutes",
    "volunteers": "the list of volunteers",
    "start": "the first day",
    "period_days": "the days per turn",
    "tz": "the time zone",
    "questions": "the list of questions",
    "top_n": "the size of the leaderboard",
    "answer": "the answer",
    "patch": "the list of changed lines",
    "against": "the version the changed lines apply to",
}
_BY_TYPE: dict[tuple[str, str], str] = {
    ("thread.create", "text"): "the post",
    ("post.create", "text"): "the post",
    ("post.edit", "text"): "the post",
    ("suggestion.create", "text"): "the suggestion",
    ("note.create", "text"): "the note",
    ("note.revise", "text"): "the note",
    ("note.create", "title"): "the note's title",
    ("note.revise", "title"): "the note's title",
    ("note.revise", "base"): "the version of the note it was made from",
    ("quiz.create", "title"): "the quiz's title",
    ("channel.create", "name"): "the channel's name",
    ("channel.update", "name"): "the channel's name",
    ("channel.create", "goal"): "the channel's goal",
    ("channel.update", "goal"): "the channel's goal",
    ("circle.create", "name"): "the circle's name",
    ("circle.update", "name"): "the circle's name",
    ("circle.update", "goal"): "the circle's goal",
    ("member.join", "name"): "your name",
    ("member.update", "name"): "your name",
    ("post.hide", "reason"): "the reason for hiding it",
    ("post.flag", "comment"): "the comment for the moderators",
}

_AT = re.compile(r"^(?P<what>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.DOTALL)
_MISSING = re.compile(r"^missing required field `\$(?P<path>[^`]*)`$")
_LENGTH = re.compile(r"^Expected `(?P<type>\w+)` of length (?P<op>[<>]=) (?P<n>\d+)$")
_ENTRIES = re.compile(r"^Expected `array` of length \d+, got \d+$")  # a fixed-size entry
_BOUND = re.compile(r"^Expected `(?P<type>int|float)` (?P<op>[<>]=) (?P<n>[\d.]+)$")
_TYPE = re.compile(r"^Expected `(?P<type>\w+)(?: \| \w+)*`, got `\w+`$")
_TYPE_WORDS = {
    "str": "text",
    "int": "a whole number",
    "float": "a number",
    "array": "a list",
    "object": "a set of fields",
    "bool": "yes or no",
}
_PATTERN_WORDS = {
    "[01][0-9]": "must look like 19:30",
    "[0-9]{4}-": "must look like 2026-11-18",
    "{26}": "does not name anything that exists here",
}


def _noun(op_type: str, path: str) -> str:
    """``.data.sessions[0].time`` -> "the time"; an unknown field by its own name."""
    field = re.sub(r"\[\d+\]", "", path.removeprefix(".data").lstrip("."))
    last = field.rsplit(".", 1)[-1]
    return (
        _BY_TYPE.get((op_type, field))
        or _FIELDS.get(field)
        or _FIELDS.get(last)
        or (f"the {last.replace('_', ' ')}" if last else "what was given")
    )


def _number(text: str) -> str:
    value = float(text)
    return f"{value:,.0f}" if value == int(value) else f"{value:,}"


def in_words(op_type: str, error: OpError) -> str:
    """What is wrong, for the person who asked for ``op_type``, without schema paths."""
    text = str(error)
    missing = _MISSING.match(text)
    if missing:
        return f"{_noun(op_type, missing['path'])} is missing"
    at = _AT.match(text)
    assert at is not None  # the pattern matches any text
    what, noun = at["what"], _noun(op_type, at["path"] or "")
    if what.startswith("contains a control character"):
        return f"{noun} contains a control character (like an escape), which is not allowed"
    length = _LENGTH.match(what)
    if length:
        count = int(length["n"])
        unit = "characters" if length["type"] == "str" else "entries"
        if length["op"] == ">=":
            return f"{noun} is empty" if count == 1 else f"{noun} has fewer than {count} {unit}"
        return f"{noun} is longer than {count:,} {unit}"
    if _ENTRIES.match(what):
        return f"{noun} is not in the expected form"
    bound = _BOUND.match(what)
    if bound:
        least = "at least" if bound["op"] == ">=" else "at most"
        return f"{noun} must be {least} {_number(bound['n'])}"
    if what.startswith("Expected `str` matching regex"):
        for marker, words in _PATTERN_WORDS.items():
            if marker in what:
                return f"{noun} {words}"
        return f"{noun} is not in the expected form"
    if what.startswith("Invalid enum value"):
        return f"{noun} is not one of the choices"
    kind = _TYPE.match(what)
    if kind:
        return f"{noun} must be {_TYPE_WORDS.get(kind['type'], kind['type'])}"
    if what.startswith("unknown op type"):
        return "this app does not know how to do that"
    if at["path"] == ".data" and "`" not in what:  # a check of the fields together
        return what
    return f"{noun} is not valid ({what[:1].lower()}{what[1:]})"
