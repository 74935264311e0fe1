"""What text a member may write into an op, and how text written before these rules is read.

Every string a member writes reaches other members' terminals, so none may carry a
terminal control character: an escape sequence in a quiz answer, a question's name or a
display name would be drawn on every screen (clear it, retitle the window, worse). Two
kinds of string, each one msgspec pattern, so one decode checks them all and an error
names the field (``$.data.questions[0].name``):

- ``text`` (posts, question text, feedback, notes): no C0 control character but tab,
  line feed and carriage return; no DEL; no C1 (U+0080-U+009F, where U+009B is CSI).
- ``line`` (names, titles, answers, time zones, salts: what is drawn on one row beside
  other things): no control character at all, no line or paragraph separator, and no
  bidirectional embedding, override or isolate (U+202A-U+202E, U+2066-U+2069). Those are
  stateful: they reorder the text *after* them, so an unclosed U+202E in a name reverses
  the rest of its row ("Budi\\u202enimda" reads "Budiadmin"; Trojan Source, CVE-2021-42574),
  and a one-line label never needs one: Arabic and Hebrew letters take their direction
  from the letters themselves. The marks U+200E, U+200F and U+061C (LRM, RLM, ALM) stay
  allowed: they only settle the direction of the neutral characters beside them (a digit
  or a bracket in a mixed name such as "د. سارة (2)"), cannot spill beyond them, and
  Arabic and Hebrew writers use them. So do ZWJ and ZWNJ (emoji sequences, Persian and
  Indic shaping). Free text keeps the bidi controls: a post is its own paragraph, where
  the Unicode bidi algorithm ends their reach.

Notes are checked too. They used to be exempt as "too big to scan on every decode";
``bench/text_scan.py`` measures the check at 2-4 ms of CPU per megabyte of note text
(3 ms for the largest note allowed, 0.3 ms for a 100 kB one): a circle whose stored
revisions hold 10 MB of text loads about 30 ms slower. An escape sequence in a note
reaches every terminal that shows it, like any other text, so the check is worth it.

Ops accepted before these rules may hold such characters (a circle file, a server's or a
member's store). They are still read, never dropped: ``repaired`` replaces each refused
character by U+FFFD, field by field as the schema says, so every replica reads the same
op, nothing acknowledged is lost, and the state never holds a control character. Only
writing is strict: a new op is refused (``validate_data``), and so is a push to a server.
"""

from collections.abc import Callable

import msgspec
from msgspec import Meta

# C0 but tab, line feed and carriage return; DEL; C1.
_TEXT_REFUSED = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
# Every C0, DEL, C1; line and paragraph separators; bidi embeddings, overrides, isolates.
_LINE_REFUSED = "\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069"
TEXT_PATTERN = f"^[^{_TEXT_REFUSED}]*\\Z"
LINE_PATTERN = f"^[^{_LINE_REFUSED}]*\\Z"

REPLACEMENT = "\ufffd"
_TEXT_TABLE = {
    code: REPLACEMENT for code in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20))
} | {code: REPLACEMENT for code in range(0x7F, 0xA0)}
_LINE_TABLE = (
    _TEXT_TABLE
    | {code: REPLACEMENT for code in (0x09, 0x0A, 0x0D, 0x2028, 0x2029)}
    | {code: REPLACEMENT for code in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}
)


def free_text(max_length: int, min_length: int = 0) -> Meta:
    """The rule for free text, line breaks and tabs allowed: ``Annotated[str, free_text(...)]``
    (a type written out, so a type checker reads it)."""
    return Meta(min_length=min_length, max_length=max_length, pattern=TEXT_PATTERN)


def one_line(max_length: int, min_length: int = 0) -> Meta:
    """The rule for one line of text (a name, a title, an answer):
    ``Annotated[str, one_line(...)]``."""
    return Meta(min_length=min_length, max_length=max_length, pattern=LINE_PATTERN)


# How msgspec shows each pattern in an error ("Expected `str` matching regex '...'").
_SHOWN = {kind: repr(pattern) for kind, pattern in (("text", TEXT_PATTERN), ("line", LINE_PATTERN))}


def refused_kind(error: str) -> str | None:
    """ "text" or "line" when a msgspec error is one of these patterns refusing a string."""
    for kind, shown in _SHOWN.items():
        if f"matching regex {shown}" in error:
            return kind
    return None


def explain(error: str) -> str:
    """The sentence for a refused string, keeping msgspec's " - at `$.path`" ending."""
    where = error.rsplit(" - at ", 1)[-1]
    if refused_kind(error) == "line":
        what = "a control character, line break or direction override (not allowed on one line)"
    else:
        what = "a control character (not allowed in text)"
    return f"contains {what} - at {where}"


def _clean_all(value: object, table: dict[int, str]) -> object:
    if isinstance(value, str):
        return value.translate(table)
    if isinstance(value, list):
        return [_clean_all(item, table) for item in value]
    if isinstance(value, dict):
        return {key: _clean_all(item, table) for key, item in value.items()}
    return value


def _path_of(error: str) -> list[str | int]:
    """``$.data.questions[0].name`` as ["data", "questions", 0, "name"]."""
    path = error.rsplit(" - at `$", 1)[-1].rstrip("`")
    steps: list[str | int] = []
    for part in path.replace("[", ".[").split("."):
        if part.startswith("["):
            steps.append(int(part[1:-1]))
        elif part:
            steps.append(part)
    return steps


def repaired(raw: bytes | str, decode: Callable[[bytes], object]) -> object:
    """Decode an op whose strings break these rules, each refused character as U+FFFD.

    ``decode`` is the strict decoder. Raises its msgspec error when the op is wrong in
    some other way too (it is then refused as before).
    """
    document = _clean_all(msgspec.json.decode(raw), _TEXT_TABLE)  # what no string holds
    while True:
        try:
            return decode(msgspec.json.encode(document))
        except msgspec.ValidationError as error:
            # Then what a one-line field may not hold, field by field as the errors name
            # them (a post keeps its line breaks). Each round cleans one string for good.
            if refused_kind(str(error)) != "line":
                raise
            *steps, last = _path_of(str(error))
            holder = document
            for step in steps:
                holder = holder[step]  # type: ignore[index]
            cleaned = holder[last].translate(_LINE_TABLE)  # type: ignore[index]
            if cleaned == holder[last]:  # type: ignore[index]
                raise
            holder[last] = cleaned  # type: ignore[index]
