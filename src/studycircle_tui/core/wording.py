"""Schema errors in the member's words: N_("the post is longer than 20,000 characters"), not
"Expected `str` of length <= 20000 - at `$.data.text`".

An ``OpError`` names the field by its JSON path and says what msgspec expected; that is
right for a server log and a bug report, and meaningless to someone who pasted too much
into a post. ``in_words(op_type, error)`` says which thing (by what it is for in that
kind of op) and what is wrong with it. An error it cannot place is still said without
the path.

Its sentences are ``Message``s (core/messages.py): the English is the text, and the
front end says it in the member's language, the field's name (a ``Message`` too) with it.
"""

import re

from .messages import N_, Message
from .ops import OpError

# What a field is, to the person filling it in; by op type where it differs.
_FIELDS: dict[str, str] = {
    "text": N_("the text"),
    "title": N_("the title"),
    "name": N_("the name"),
    "lead_name": N_("your name"),
    "goal": N_("the goal"),
    "rules": N_("the rules"),
    "comment": N_("the comment"),
    "reason": N_("the reason"),
    "reply": N_("the reply"),
    "kind": N_("the kind"),
    "reaction": N_("the reaction"),
    "role": N_("the role"),
    "status": N_("the status"),
    "sessions": N_("the schedule"),
    "sessions.title": N_("the session's title"),
    "sessions.weekday": N_("the day of the week"),
    "sessions.time": N_("the time"),
    "sessions.tz": N_("the time zone"),
    "sessions.minutes": N_("the session's length in minutes"),
    "volunteers": N_("the list of volunteers"),
    "start": N_("the first day"),
    "period_days": N_("the days per turn"),
    "tz": N_("the time zone"),
    "questions": N_("the list of questions"),
    "top_n": N_("the size of the leaderboard"),
    "answer": N_("the answer"),
    "patch": N_("the list of changed lines"),
    "against": N_("the version the changed lines apply to"),
}
_BY_TYPE: dict[tuple[str, str], str] = {
    ("thread.create", "text"): N_("the post"),
    ("post.create", "text"): N_("the post"),
    ("post.edit", "text"): N_("the post"),
    ("suggestion.create", "text"): N_("the suggestion"),
    ("note.create", "text"): N_("the note"),
    ("note.revise", "text"): N_("the note"),
    ("note.create", "title"): N_("the note's title"),
    ("note.revise", "title"): N_("the note's title"),
    ("note.revise", "base"): N_("the version of the note it was made from"),
    ("quiz.create", "title"): N_("the quiz's title"),
    ("channel.create", "name"): N_("the channel's name"),
    ("channel.update", "name"): N_("the channel's name"),
    ("channel.create", "goal"): N_("the channel's goal"),
    ("channel.update", "goal"): N_("the channel's goal"),
    ("circle.create", "name"): N_("the circle's name"),
    ("circle.update", "name"): N_("the circle's name"),
    ("circle.update", "goal"): N_("the circle's goal"),
    ("member.join", "name"): N_("your name"),
    ("member.update", "name"): N_("your name"),
    ("post.hide", "reason"): N_("the reason for hiding it"),
    ("post.flag", "comment"): N_("the comment for the moderators"),
}

_AT = re.compile(r"^(?P<what>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.DOTALL)
_MISSING = re.compile(r"^missing required field `\$(?P<path>[^`]*)`$")
_LENGTH = re.compile(r"^Expected `(?P<type>\w+)` of length (?P<op>[<>]=) (?P<n>\d+)$")
_ENTRIES = re.compile(r"^Expected `array` of length \d+, got \d+$")  # a fixed-size entry
_BOUND = re.compile(r"^Expected `(?P<type>int|float)` (?P<op>[<>]=) (?P<n>[\d.]+)$")
_TYPE = re.compile(r"^Expected `(?P<type>\w+)(?: \| \w+)*`, got `\w+`$")
_TYPE_WORDS = {
    "str": N_("text"),
    "int": N_("a whole number"),
    "float": N_("a number"),
    "array": N_("a list"),
    "object": N_("a set of fields"),
    "bool": N_("yes or no"),
}
_PATTERN_WORDS = {
    "[01][0-9]": N_("{noun} must look like 19:30"),
    "[0-9]{4}-": N_("{noun} must look like 2026-11-18"),
    "{26}": N_("{noun} does not name anything that exists here"),
}


def _noun(op_type: str, path: str) -> Message:
    """``.data.sessions[0].time`` -> "the time"; an unknown field by its own name."""
    field = re.sub(r"\[\d+\]", "", path.removeprefix(".data").lstrip("."))
    last = field.rsplit(".", 1)[-1]
    known = _BY_TYPE.get((op_type, field)) or _FIELDS.get(field) or _FIELDS.get(last)
    if known:
        return Message(known)
    if last:
        return Message("the {field}", field=last.replace("_", " "))
    return Message(N_("what was given"))


def _number(text: str) -> str:
    value = float(text)
    return f"{value:,.0f}" if value == int(value) else f"{value:,}"


def in_words(op_type: str, error: OpError) -> str:
    """What is wrong, for the person who asked for ``op_type``, without schema paths."""
    text = str(error)
    missing = _MISSING.match(text)
    if missing:
        return Message("{noun} is missing", noun=_noun(op_type, missing["path"]))
    at = _AT.match(text)
    assert at is not None  # the pattern matches any text
    what, noun = at["what"], _noun(op_type, at["path"] or "")
    if what.startswith("contains a control character"):
        return Message(
            "{noun} contains a control character (like an escape), which is not allowed",
            noun=noun,
        )
    length = _LENGTH.match(what)
    if length:
        count = int(length["n"])
        text_kind = length["type"] == "str"
        if length["op"] == ">=":
            if count == 1:
                return Message("{noun} is empty", noun=noun)
            if text_kind:
                return Message("{noun} has fewer than {count} characters", noun=noun, count=count)
            return Message("{noun} has fewer than {count} entries", noun=noun, count=count)
        most = f"{count:,}"
        if text_kind:
            return Message("{noun} is longer than {count} characters", noun=noun, count=most)
        return Message("{noun} is longer than {count} entries", noun=noun, count=most)
    if _ENTRIES.match(what):
        return Message("{noun} is not in the expected form", noun=noun)
    bound = _BOUND.match(what)
    if bound:
        number = _number(bound["n"])
        if bound["op"] == ">=":
            return Message("{noun} must be at least {number}", noun=noun, number=number)
        return Message("{noun} must be at most {number}", noun=noun, number=number)
    if what.startswith("Expected `str` matching regex"):
        for marker, words in _PATTERN_WORDS.items():
            if marker in what:
                return Message(words, noun=noun)
        return Message("{noun} is not in the expected form", noun=noun)
    if what.startswith("Invalid enum value"):
        return Message("{noun} is not one of the choices", noun=noun)
    kind = _TYPE.match(what)
    if kind:
        expected = _TYPE_WORDS.get(kind["type"])
        if expected is None:
            return Message("{noun} must be {kind}", noun=noun, kind=kind["type"])
        return Message("{noun} must be {kind}", noun=noun, kind=Message(expected))
    if what.startswith("unknown op type"):
        return Message(N_("this app does not know how to do that"))
    if at["path"] == ".data" and "`" not in what:  # a check of the fields together (ops.py)
        return Message(what)
    said = what[:1].lower() + what[1:]
    return Message("{noun} is not valid ({what})", noun=noun, what=said)
