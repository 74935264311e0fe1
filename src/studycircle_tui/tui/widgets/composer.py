"""The reply box: multi-line Markdown, sent with ctrl+s (or the member's key; the footer
shows it).

What a sent text does (a reply, a reply to a post, an edit) is the screen's business;
the composer says it was sent or left.
"""

from textual.message import Message
from textual.widgets import TextArea

from ..actions import bindings_for, key_for


class Composer(TextArea):
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
