"""A modal to start a thread: title, kind (discussion or question) and the first post.

It asks for the thread itself and closes only once the thread is on disk: a "no" (too
long, the channel archived meanwhile) is said on its own line and everything typed
stays. A member who has not accepted the circle's rules is shown them first, and the
thread is sent once they accept: what they wrote is never lost on the way."""

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, RadioSet

from ...core.ops import Op
from ...sync.engine import CircleService
from ..actions import bindings_for, key_for
from ..intents import MESSAGE_LINE, ask
from ..visible import visible_line
from ..widgets.composer import PostArea
from ..widgets.toggles import Choice
from .rules import rules_first


class NewThreadScreen(ModalScreen[Op | None]):
    """Dismisses with the thread's first op once it is stored, or None on escape."""

    BINDINGS = bindings_for("new-thread")
    KEY_SCOPES = ("new-thread",)

    def __init__(self, service: CircleService, channel_id: str) -> None:
        super().__init__()
        self.service = service
        self.channel_id = channel_id
        self._sending = False

    def compose(self) -> ComposeResult:
        channel = self.service.state.channels[self.channel_id]
        with Vertical(id="new-thread"):
            yield Label(f"New thread in #{visible_line(channel.name)}", classes="title")
            yield Input(placeholder="Title", id="title", max_length=200)
            with RadioSet(id="kind"):
                yield Choice("Discussion", value=True, id="discussion")
                yield Choice("Question (answers can be accepted)", id="question")
            yield PostArea(id="text", soft_wrap=True)
            yield Label("", id="error", classes=MESSAGE_LINE)
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
        text = self.query_one("#text", PostArea).text.strip()
        if not title or not text:
            self.query_one("#error", Label).update("A thread needs a title and a first post.")
            return
        if self._sending or rules_first(self, self.service, then=self.action_create):
            return  # sent once the rules are accepted; the dialog keeps it meanwhile
        pressed = self.query_one("#kind", RadioSet).pressed_button
        kind = pressed.id if pressed is not None and pressed.id else "discussion"
        self._sending = True
        start = self.service.start_thread, self.channel_id, title, kind, text
        ask(self, *start, done=self.dismiss, refused=self._refused)

    def _refused(self, reason: str) -> None:
        self._sending = False  # the reason shows on the error line; the text stays

    def action_cancel(self) -> None:
        self.dismiss(None)
