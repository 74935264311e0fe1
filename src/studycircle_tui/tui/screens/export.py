"""Exports, one way on every screen (a live quiz's results as CSV, the schedule as .ics).

Where the export goes depends on who is at the keyboard, which the app knows from one
setting, ``StudyCircleApp.remote`` (given by ``ssh-serve`` and ``web`` when they start it):

- **Local**: the person chooses a file (a name in the current folder, or any path: it is
  their machine, ``..`` included). It is written through ``sync.exports``; a file that is
  already there is replaced only after a yes, and left untouched on a no.
- **Served over SSH or the web**: a path typed there would name a file of the host's
  account, so nothing is written. The export is shown in a read-only text view the player
  can scroll, select and copy; ``c`` copies all of it to their own clipboard (OSC 52: the
  terminal on the player's side receives it).
"""

from dataclasses import dataclass
from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Input, Label, TextArea

from ...sync import exports
from .dialogs import ConfirmScreen


@dataclass(frozen=True, slots=True)
class Export:
    what: str  # "the results as CSV": said in the dialog's title
    name: str  # the file name offered
    data: bytes


def offer_export(screen: Screen, export: Export) -> None:
    """Hand ``export`` to whoever is at the keyboard: a file they choose, or the screen."""
    app = screen.app
    if app.remote:  # type: ignore[attr-defined]
        app.push_screen(ExportTextScreen(export))
        return

    def chosen(typed: str | None) -> None:
        if typed:
            _write(screen, export, exports.target(Path(typed), export.name))

    app.push_screen(ExportPathScreen(export), chosen)


def _write(screen: Screen, export: Export, path: Path) -> None:
    try:
        written = exports.write_new(path, export.data)
    except FileExistsError:
        _ask_to_replace(screen, export, path)
        return
    except OSError as error:
        screen.notify(f"Could not write {path}: {error.strerror or error}", severity="error")
        return
    screen.notify(f"Written to {written.resolve()}")


def _ask_to_replace(screen: Screen, export: Export, path: Path) -> None:
    def answered(yes: bool | None) -> None:
        if not yes:
            screen.notify(f"Not written: {path} is left as it was.")
            return
        try:
            exports.replace(path, export.data)
        except OSError as error:
            screen.notify(f"Could not write {path}: {error.strerror or error}", severity="error")
            return
        screen.notify(f"Replaced {path.resolve()}")

    question = f"{path} already exists. Replace it with {export.what}?"
    screen.app.push_screen(ConfirmScreen(question, "Replace"), answered)


class ExportPathScreen(ModalScreen[str | None]):
    """Where to write an export: a file name (in the current folder) or a path."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, export: Export) -> None:
        super().__init__()
        self.export = export

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-wide"):
            yield Label(f"Export {self.export.what}", classes="dialog-title")
            yield Label("A file name (written in the current folder) or a path:")
            yield Input(self.export.name, id="export-path")
            with Horizontal(classes="buttons"):
                yield Button("Write", variant="primary", id="export-write")
                yield Button("Cancel", id="export-cancel")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "export-cancel":
            self.dismiss(None)
        else:
            self.dismiss(self.query_one(Input).value.strip() or None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ExportTextScreen(ModalScreen[None]):
    """An export shown instead of written: select and copy it, or ``c`` to copy it all."""

    BINDINGS = [
        Binding("c", "copy_all", "Copy all", tooltip="Copy it all to your clipboard"),
        Binding("escape", "close", "Close"),
    ]

    def __init__(self, export: Export) -> None:
        super().__init__()
        self.export = export
        self.text = export.data.decode("utf-8", errors="replace")

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-wide"):
            yield Label(f"Export {self.export.what}", classes="dialog-title")
            yield Label(
                "This app runs on another machine, so nothing is saved there. Copy it (c, or "
                f"select and ctrl+c) and save it as {self.export.name} on yours.",
                classes="dialog-text",
                markup=False,
            )
            yield TextArea(
                self.text, read_only=True, show_cursor=False, soft_wrap=False, id="export-text"
            )
            with Horizontal(classes="buttons"):
                yield Button("Copy all  c", variant="primary", id="export-copy")
                yield Button("Close  esc", id="export-close")

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "export-copy":
            self.action_copy_all()
        else:
            self.dismiss(None)

    def action_copy_all(self) -> None:
        self.app.copy_to_clipboard(self.text)
        lines = self.text.count("\n") or 1
        self.notify(f"Copied {lines} line{'s' * (lines != 1)} to your clipboard.")

    def action_close(self) -> None:
        self.dismiss(None)
