"""The notes pane's questions: a new note's title and place, what to do with unsaved
changes, and the notes keys. Each dismisses with the answer, or None on escape."""

from dataclasses import dataclass

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, RadioSet, Static

from ..actions import key_label
from ..note_keys import SCOPE_TITLES, scope_actions
from ..visible import visible
from ..widgets.toggles import Choice


@dataclass(frozen=True, slots=True)
class NewNote:
    title: str
    channel: str | None  # None: the whole circle


class NewNoteScreen(ModalScreen[NewNote | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

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

    def action_cancel(self) -> None:
        self.dismiss(None)


class UnsavedScreen(ModalScreen[str | None]):
    """Unsaved changes: "save", "discard", or None (keep editing)."""

    BINDINGS = [
        Binding("s", "answer('save')", "Save"),
        Binding("d", "answer('discard')", "Discard"),
        Binding("escape,k", "answer(None)", "Keep editing"),
    ]

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
                yield Button("Save  s", variant="primary", id="save")
                yield Button("Discard  d", variant="error", id="discard")
                yield Button("Keep editing  esc", id="keep")

    def on_mount(self) -> None:
        self.query_one("#save", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(None if event.button.id == "keep" else event.button.id)

    def action_answer(self, answer: str | None) -> None:
        self.dismiss(answer)


def notes_help_table(scopes: tuple[str, ...]) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True, min_width=8)
    table.add_column()
    for scope in scopes:
        table.add_row(Text(SCOPE_TITLES[scope], style="bold underline"), "")
        for action in scope_actions(scope):
            table.add_row(key_label(action), action.help)
        if scope == "notes":
            table.add_row("↑↓/jk", "Move in the list; enter opens the note.")
            table.add_row("tab", "Move between the list and the note.")
        table.add_row("", "")
    return table


class NotesHelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "close", "Close")]

    def __init__(self, scopes: tuple[str, ...]) -> None:
        super().__init__()
        self.scopes = scopes

    def compose(self) -> ComposeResult:
        with Vertical(classes="note-dialog note-dialog-wide"):
            yield Label("Keys", classes="note-dialog-title")
            with VerticalScroll():
                yield Static(notes_help_table(self.scopes))
            yield Label("esc or ? closes", classes="note-dialog-hint")

    def action_close(self) -> None:
        self.dismiss(None)
