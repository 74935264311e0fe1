"""The notes pane's questions: a new note's title and place, what to do with unsaved
changes. Each dismisses with the answer, or None on escape."""

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, RadioSet, Static

from ..actions import bindings_for, key_for
from ..visible import visible
from ..widgets.toggles import Choice
from .dialogs import Dialog


@dataclass(frozen=True, slots=True)
class NewNote:
    title: str
    channel: str | None  # None: the whole circle


class NewNoteScreen(Dialog[NewNote | None]):
    def __init__(self, channel_id: str | None, channel_name: str | None) -> None:
        super().__init__()
        self.channel_id, self.channel_name = channel_id, channel_name

    def compose(self) -> ComposeResult:
        with Vertical(classes="note-dialog"):
            yield Label("New note", classes="note-dialog-title")
            yield Input(placeholder="Title", max_length=200, id="note-new-title")
            if self.channel_id is not None:
                with RadioSet(id="note-new-where"):
                    yield Choice(
                        Text(visible(f"In #{self.channel_name}")), value=True, id="in-channel"
                    )
                    yield Choice("For the whole circle", id="in-circle")
            yield Label("", id="note-new-error")
            with Horizontal(classes="note-buttons"):
                yield Button("Write it", variant="primary", id="create")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def _create(self) -> None:
        title = " ".join(self.query_one(Input).value.split())
        if not title:
            self.query_one("#note-new-error", Label).update("A note needs a title.")
            self.query_one(Input).focus()
            return
        channel = self.channel_id
        if channel is not None and self.query_one("#in-circle", Choice).value:
            channel = None
        self.dismiss(NewNote(title, channel))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._create()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "create":
            self._create()
        else:
            self.dismiss(None)


class UnsavedScreen(ModalScreen[str | None]):
    """Unsaved changes: "save", "discard", or None (keep editing)."""

    BINDINGS = bindings_for("unsaved")
    KEY_SCOPES = ("unsaved",)

    def __init__(self, title: str) -> None:
        super().__init__()
        self.note_title = title

    def compose(self) -> ComposeResult:
        with Vertical(classes="note-dialog"):
            yield Label(
                visible(f"Unsaved changes to “{self.note_title}”"),
                classes="note-dialog-title",
                markup=False,
            )
            yield Static(
                "Save them as a new revision, or throw them away?",
                classes="note-dialog-text",
            )
            with Horizontal(classes="note-buttons"):
                save, discard = (
                    key_for(self, "unsaved", f"answer('{a}')") for a in ("save", "discard")
                )
                keep = key_for(self, "unsaved", "answer(None)")
                yield Button(f"Save  {save}", variant="primary", id="save")
                yield Button(f"Discard  {discard}", variant="error", id="discard")
                yield Button(f"Keep editing  {keep}", id="keep")

    def on_mount(self) -> None:
        self.query_one("#save", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(None if event.button.id == "keep" else event.button.id)

    def action_answer(self, answer: str | None) -> None:
        self.dismiss(answer)
