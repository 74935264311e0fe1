"""Exports, one way on every screen (a live quiz's results as CSV, the schedule as .ics).

Where the export goes depends on who is at the keyboard, which the app knows from one
setting, ``StudyCircleApp.remote`` (given by ``ssh-serve`` and ``web`` when they start it):

- **Local**: the person chooses a file: the dialog offers the export's name in their
  Downloads folder (else their home, ``exports.default_folder``), where a bare name lands
  too, never in the folder the app was started from; or any path (it is their machine,
  ``..`` included). It is written through ``sync.exports``; a file that is already there
  is replaced only after a yes, and left untouched on a no.
- **Served over SSH or the web**: a path typed there would name a file of the host's
  account, so nothing is written. The export is shown in a read-only text view the player
  can scroll, select and copy; ``c`` copies all of it to their own clipboard (OSC 52: the
  terminal on the player's side receives it).

Files are written in a thread (a slow USB stick waits there, not the keys); a file that
could not be written is said through the one presenter (``intents.say_no``).
"""

import asyncio
import contextlib
from dataclasses import dataclass
from pathlib import Path

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Input, Label, TextArea

from ...i18n import N_
from ...sync import exports
from ...sync.intents import Refused
from ..actions import bindings_for, key_for
from ..intents import ask
from .dialogs import ConfirmScreen, Dialog


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

    folder = exports.default_folder()  # Downloads, else home: never the current folder

    def chosen(typed: str | None) -> None:
        if typed:
            _write(screen, export, exports.target(Path(typed), export.name, folder))

    app.push_screen(ExportPathScreen(export, folder), chosen)


async def _in_thread(write, path: Path, data: bytes) -> Path | None:
    """``write(path, data)`` off the event loop; None if the file is already there."""
    try:
        return await asyncio.to_thread(write, path, data)
    except FileExistsError:
        return None
    except OSError as error:
        raise Refused(f"could not write {path}: {error.strerror or error}") from None


def _write(screen: Screen, export: Export, path: Path) -> None:
    def done(written: Path | None) -> None:
        if written is None:
            _ask_to_replace(screen, export, path)
        else:
            screen.notify(f"Written to {written.resolve()}")

    ask(
        screen,
        _in_thread,
        exports.write_new,
        path,
        export.data,
        done=done,
        heading=N_("Not written"),
    )


def _ask_to_replace(screen: Screen, export: Export, path: Path) -> None:
    def answered(yes: bool | None) -> None:
        if not yes:
            screen.notify(f"Not written: {path} is left as it was.")
            return

        def replaced(_: object) -> None:
            screen.notify(f"Replaced {path.resolve()}")

        ask(screen, _in_thread, exports.replace, path, export.data, done=replaced)

    question = f"{path} already exists. Replace it with {export.what}?"
    screen.app.push_screen(ConfirmScreen(question, "Replace"), answered)


def _as_typed(path: Path) -> str:
    """``path`` with the home folder as ``~``: shorter, and what its user would type."""
    with contextlib.suppress(ValueError):
        return str(Path("~") / path.relative_to(Path.home()))
    return str(path)


class ExportPathScreen(Dialog[str | None]):
    """Where to write an export: a file name (in ``folder``) or a path; it offers the
    export's name in ``folder``, said the way its user would type it (``~/…``)."""

    def __init__(self, export: Export, folder: Path | None = None) -> None:
        super().__init__()
        self.export = export
        self.folder = folder if folder is not None else exports.default_folder()

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-wide"):
            yield Label(f"Export {self.export.what}", classes="dialog-title")
            folder = _as_typed(self.folder)
            yield Label(f"A file name (written in {folder}) or a path:", markup=False)
            yield Input(_as_typed(self.folder / self.export.name), id="export-path")
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


class ExportTextScreen(ModalScreen[None]):
    """An export shown instead of written: select and copy it, or ``c`` to copy it all."""

    BINDINGS = bindings_for("export-text")
    KEY_SCOPES = ("export-text",)

    def __init__(self, export: Export) -> None:
        super().__init__()
        self.export = export
        self.text = export.data.decode("utf-8", errors="replace")

    def compose(self) -> ComposeResult:
        copy = key_for(self, "export-text", "copy_all")
        close = key_for(self, "export-text", "close")
        with Vertical(classes="dialog dialog-wide"):
            yield Label(f"Export {self.export.what}", classes="dialog-title")
            yield Label(
                f"This app runs on another machine, so nothing is saved there. Copy it ({copy}, "
                f"or select and ctrl+c) and save it as {self.export.name} on yours.",
                classes="dialog-text",
                markup=False,
            )
            yield TextArea(
                self.text, read_only=True, show_cursor=False, soft_wrap=False, id="export-text"
            )
            with Horizontal(classes="buttons"):
                yield Button(f"Copy all  {copy}", variant="primary", id="export-copy")
                yield Button(f"Close  {close}", id="export-close")

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
