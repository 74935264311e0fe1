"""Text from ops made safe to draw: the TUI's second line of defence against terminal
escapes.

The schema already refuses control characters in every string a member writes, and
reads older ops with them replaced (core/text.py). But anything the TUI draws may one
day come from somewhere that check did not cover (a struct built in code, a new field,
a file name in a notice), and Rich and Textual pass ESC and the C1 controls through to
the terminal untouched (they drop only BEL, BS, VT, FF and CR). So:

- every string from a circle's state is drawn through ``visible`` (text laid out in
  lines: tabs and line breaks kept) or ``visible_line`` (a label on one row: names,
  titles, answers in a chart); each control character becomes U+FFFD, so a reader sees
  that something was there;
- ``ControlFilter`` drops any control character still left in a line the app draws,
  whatever widget drew it (dropped, not replaced: Rich measured it as zero cells wide,
  and a wider line would push the row's end out of place).
"""

import re

from rich.segment import Segment
from textual.color import Color
from textual.filter import LineFilter

from ..core.state import CircleState

REPLACEMENT = "\ufffd"
TAB_SIZE = 4
# C0 but tab and line feed (CR is handled first), DEL, C1.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# On one row also line breaks, tabs, and the bidi controls that reorder what follows
# them (core/text.py says why names never need them).
_NOT_ON_A_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_ANY_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def visible(text: str) -> str:
    """Text safe to lay out in lines: CRLF as LF, tabs as spaces, control characters as
    U+FFFD."""
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    if "\t" in text:
        text = text.expandtabs(TAB_SIZE)
    return _CONTROL.sub(REPLACEMENT, text)


def visible_line(text: str) -> str:
    """A label safe to draw on one row: every control character, line break and bidi
    override as U+FFFD."""
    return _NOT_ON_A_LINE.sub(REPLACEMENT, text)


def markup_line(text: str) -> str:
    """``visible_line`` for a place inside Textual markup, every "[" taken as text.
    (Textual's ``escape`` leaves "[2" or "a [x" alone, and the markup parser then fails
    on the line's own tags: one player's answer would stop every screen at the reveal.)"""
    return visible_line(text).replace("[", "\\[")


def markup_text(text: str) -> str:
    """``visible`` for a place inside Textual markup (see ``markup_line``)."""
    return visible(text).replace("[", "\\[")


def name_of(state: CircleState, member_id: str | None, missing: str = "someone") -> str:
    """A member's display name, safe to draw, or ``missing`` for someone unknown."""
    member = state.members.get(member_id) if member_id else None
    return visible_line(member.name) if member is not None else missing


def names_of(state: CircleState) -> dict[str, str]:
    """Every member's display name, safe to draw, by member id."""
    return {member.id: visible_line(member.name) for member in state.members.values()}


class ControlFilter(LineFilter):
    """Drops control characters from every line drawn (see the module's doc)."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        if not any(not control and _ANY_CONTROL.search(text) for text, _, control in segments):
            return segments
        return [
            segment
            if segment.control
            else Segment(_ANY_CONTROL.sub("", segment.text), *segment[1:])
            for segment in segments
        ]
