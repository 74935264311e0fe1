"""A modal to start a thread: title, kind (discussion or question) and the first post."""

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, RadioSet, TextArea

from ..actions import bindings_for, key_for
from ..widgets.toggles import Choice


@dataclass
class NewThread:
    title: str
    kind: str
    text: str


class NewThreadScreen(ModalScreen[NewThread | None]):
    BINDINGS = bindings_for("new-thread")
    KEY_SCOPES = ("new-thread",)

    def __init__(self, channel_name: str) -> None:
        super().__init__()
        self.channel_name = channel_name

    def compose(self) -> ComposeResult:
        with Vertical(id="new-thread"):
            yield Label(f"New thread in #{self.channel_name}", classes="title")
            yield Input(placeholder="Title", id="title", max_length=200)
            with RadioSet(id="kind"):
                yield Choice("Discussion", value=True, id="discussion")
                yield Choice("Question (answers can be accepted)", id="question")
            yield TextArea(id="text", soft_wrap=True)
            yield Label("", id="error")
            with Horizontal(classes="buttons"):
                create = key_for(self, "new-thread", "create")
                yield Button(f"Create  {create}", variant="primary", id="create")
                yield Button(f"Cancel  {key_for(self, 'new-thread', 'cancel')}", id="cancel")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "create":
            self.action_create()
        else:
            self.action_cancel()

    def action_create(self) -> None:
        title = self.query_one("#title", Input).value.strip()
        text = self.query_one("#text", TextArea).text.strip()
        if not title or not text:
            self.query_one("#error", Label).update("A thread needs a title and a first post.")
            return
        pressed = self.query_one("#kind", RadioSet).pressed_button
        kind = pressed.id if pressed is not None and pressed.id else "discussion"
        self.dismiss(NewThread(title, kind, text))

    def action_cancel(self) -> None:
        self.dismiss(None)
