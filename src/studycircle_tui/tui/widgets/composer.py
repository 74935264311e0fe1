"""The reply box: multi-line Markdown, sent with ctrl+s (shown in the footer)."""

from textual.binding import Binding
from textual.message import Message
from textual.widgets import TextArea


class Composer(TextArea):
    BINDINGS = [Binding("ctrl+s", "send", "Send", priority=True)]

    class Sent(Message):
        def __init__(self, text: str) -> None:
            self.text = text
            super().__init__()

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, soft_wrap=True, show_line_numbers=False)
        self.placeholder = "Write a reply… (Markdown; ctrl+s sends)"

    def action_send(self) -> None:
        text = self.text.strip()
        if text:
            self.post_message(self.Sent(text))
