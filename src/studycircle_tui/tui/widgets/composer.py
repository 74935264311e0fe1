"""Where posts are written: ``PostArea`` (any post: the reply box, a new thread's first
post) and the reply box itself, ``Composer``, multi-line Markdown sent with ctrl+s (or
the member's key; the footer shows it).

A post has a limit (``ops.POST_MAX`` characters): the area says how many are left once
it is near, and how far over it is, before the core would refuse it. What is pasted is
cleaned of terminal control characters (colour codes copied from a terminal, a stray
escape) that the circle would refuse anyway and that show as ``^[`` while writing.

What a sent text does (a reply, a reply to a post, an edit) is the screen's business;
the composer says it was sent or left.
"""

import re

from textual import events
from textual.message import Message
from textual.widgets import TextArea

from ...core.ops import POST_MAX
from ..actions import bindings_for, key_for

NEAR_LIMIT = 2_000  # from here on the area counts down
# Escape sequences as a whole (CSI "ESC [ … letter", OSC "ESC ] … BEL or ESC \\"), then
# any other control character but tab and line breaks.
_SEQUENCE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b.?")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def clean_pasted(text: str) -> str:
    """``text`` without terminal control characters; Windows line ends made plain."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", _SEQUENCE.sub("", text))


def limit_note(length: int, limit: int = POST_MAX) -> str:
    """What to say about a post of ``length`` characters: nothing until it is near."""
    left = limit - length
    if left < 0:
        return f"{-left:,} over the {limit:,}-character limit"
    return f"{left:,} characters left" if left <= NEAR_LIMIT else ""


class PostArea(TextArea):
    """A text area for a post: counts down near the limit, cleans what is pasted."""

    async def _on_paste(self, event: events.Paste) -> None:
        event.stop()
        event.prevent_default()  # TextArea's own handler would insert it as it came
        if self.read_only:
            return
        result = self.replace(clean_pasted(event.text), *self.selection)
        self.move_cursor(result.end_location)
        self.focus()

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        if event.text_area is self:
            note = limit_note(len(self.text.strip()))
            self.border_subtitle = note
            self.set_class(note.endswith("limit"), "-over-limit")


class Composer(PostArea):
    BINDINGS = bindings_for("composer")

    class Sent(Message):
        def __init__(self, text: str) -> None:
            self.text = text
            super().__init__()

    class Left(Message):
        """Escape: leave the composer (and drop an edit or a reply-to)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, soft_wrap=True, show_line_numbers=False, tab_behavior="focus")

    def on_mount(self) -> None:
        send = key_for(self, "composer", "send")  # the member's key, if they chose one
        self.placeholder = f"Write a reply… (Markdown; {send} sends)"

    def action_send(self) -> None:
        text = self.text.strip()
        if text:
            self.post_message(self.Sent(text))

    def action_cancel(self) -> None:
        self.post_message(self.Left())
