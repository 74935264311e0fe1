"""A note's history: every revision (author, time, merge and restore markers) | what the
selected one changed, its text, or who wrote each of its lines.

``c`` marks a revision; the changes shown are then from the marked one to the selected
one, so any two can be compared. ``r`` restores the selected revision as a new revision
(``note.restore``): nothing is ever erased. Diffs of big notes and every blame run in a
thread worker (``NoteLines``), so the list stays responsive.
"""

from functools import partial

from rich.style import Style
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label

from ...core.noteblame import blame
from ...core.state import Note
from ...i18n import N_, _, ngettext
from ...sync.engine import CircleService
from ..actions import bindings_for
from ..intents import ask
from ..timefmt import absolute
from ..visible import visible
from ..widgets.footer import AppFooter
from ..widgets.note_lines import NoteLines
from ..widgets.note_render import blame_strips, diff_strips, text_strips
from ..widgets.note_rows import RevisionRows, revision_numbers
from ..widgets.row_list import RowList
from ..widgets.status_line import StatusLine
from .dialogs import ConfirmScreen
from .note_base import BIG_TEXT, NoteScreenBase, member_names


class NoteHistoryScreen(NoteScreenBase):
    BINDINGS = bindings_for("history")
    KEY_SCOPES = ("history",)
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]

    def __init__(self, service: CircleService, note_id: str) -> None:
        super().__init__(service)
        self.note_id = note_id
        self.revision_id: str | None = None  # the selected revision
        self.marked: str | None = None  # compare from this one
        self.view = "diff"

    def compose(self) -> ComposeResult:
        self._width_class_now()
        with Horizontal(id="history-body"):
            with Vertical(id="history-list-pane", classes="notes-pane"):
                yield Label("", id="history-title", classes="notes-pane-title", markup=False)
                yield RowList(id="history-list")
            with Vertical(id="history-view-pane", classes="notes-pane"):
                yield Label("", id="history-view-title", classes="notes-pane-title", markup=False)
                yield NoteLines(id="history-view")
        yield StatusLine(self.service, quiz_only=True)
        yield AppFooter(compact=True)

    def on_mount(self) -> None:
        super().on_mount()
        note = self.note
        if note is not None:
            self.revision_id = note.head
        self.refresh_view()
        self.query_one(RowList).focus()

    @property
    def note(self) -> Note | None:
        return self.service.state.notes.get(self.note_id)

    # --- showing ----------------------------------------------------------------------

    def refresh_view(self) -> None:
        note = self.note
        if not self.is_mounted or note is None:
            return
        count = len(note.order)
        self.query_one("#history-title", Label).update(
            visible(
                ngettext("{title}: {count} revision", "{title}: {count} revisions", count).format(
                    title=note.title, count=count
                )
            )
        )
        accent = Style(color=self.palette.hunk.color, bold=True)
        rows = RevisionRows(
            self.service.state, note, self.service.now_ms(), self.warning, accent, self.marked
        )
        # Newest first: the current text is where one starts looking.
        self.query_one(RowList).show(list(reversed(note.order)), rows, self.revision_id)
        self._refresh_right()

    def _refresh_right(self) -> None:
        note = self.note
        if note is None or self.revision_id not in note.revisions:
            return
        numbers = revision_numbers(note)
        revision = note.revisions[self.revision_id]
        lines = self.query_one(NoteLines)
        title = self.query_one("#history-view-title", Label)
        number = numbers[revision.id]
        palette = self.palette
        if self.view == "text":
            title.update(_("Text of r{number}").format(number=number))
            text = note.text_of(revision.id)
            lines.show(("text", revision.id), partial(text_strips, text), big=len(text) > BIG_TEXT)
        elif self.view == "blame":
            title.update(_("Who wrote each line of r{number}").format(number=number))
            copy = note.snapshot()
            names, now = member_names(self.service), self.service.now_ms()
            blamed: list = []
            revision_id = revision.id

            def build(width: int) -> list:
                if not blamed:
                    blamed.extend(blame(copy, revision_id))
                return blame_strips(
                    blamed, names, numbers, width, palette, partial(absolute, now_ms=now)
                )

            lines.show(("blame", revision.id, id(palette)), build, big=True)
        else:
            base_id = self.marked if self.marked in note.revisions else None
            if base_id is None and revision.parents:
                base_id = revision.parents[0]
            old = note.text_of(base_id) if base_id else ""
            new = note.text_of(revision.id)
            if base_id is None:
                title.update(_("Changes in r{number}, the first version").format(number=number))
            elif base_id == self.marked:
                changes = _("Changes from r{base} (marked) to r{number}")
                title.update(changes.format(base=numbers[base_id], number=number))
            else:
                changes = _("Changes from r{base} to r{number}")
                title.update(changes.format(base=numbers[base_id], number=number))
            lines.show(
                ("diff", base_id, revision.id, id(palette)),
                partial(diff_strips, old, new, palette=palette),
                big=max(len(old), len(new)) > BIG_TEXT,
            )

    @on(RowList.Highlighted, "#history-list")
    def _highlighted(self, event: RowList.Highlighted) -> None:
        if event.row_id != self.revision_id:
            self.revision_id = event.row_id
            self._refresh_right()

    @on(RowList.Chosen, "#history-list")
    def _chosen(self, event: RowList.Chosen) -> None:
        self.revision_id = event.row_id
        self._refresh_right()
        self.query_one(NoteLines).focus()

    # --- acting -----------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "show":
            return parameters[0] != self.view if parameters else True
        return True

    def action_show(self, view: str) -> None:
        self.view = view
        self._refresh_right()
        self.refresh_bindings()

    def action_mark(self) -> None:
        if self.revision_id is None:
            return
        self.marked = None if self.marked == self.revision_id else self.revision_id
        self.view = "diff"
        self.refresh_view()
        self.refresh_bindings()
        if self.marked is not None:
            self.notify(
                _("Marked: move to another revision to see the changes from this one."),
                markup=False,
            )

    def action_restore(self) -> None:
        note = self.note
        if note is None or self.revision_id not in note.revisions:
            return
        number = revision_numbers(note)[self.revision_id]
        if note.text_of(self.revision_id) == note.text:
            already = _("r{number} has the note's current text already.")
            self.notify(already.format(number=number), markup=False)
            return

        def restored(_op: object) -> None:
            current = self.note
            if current is not None:
                self.revision_id = current.head
            self.marked = None
            self.refresh_view()
            done = _("Restored r{number} as a new revision; the history keeps every one.")
            self.notify(done.format(number=number), markup=False)

        def confirmed(yes: bool | None) -> None:
            if yes:
                restore = self.service.restore_note, self.note_id, self.revision_id
                ask(self, *restore, done=restored, heading=N_("Not restored"))

        self.app.push_screen(
            ConfirmScreen(
                _("Make r{number} the note's text again? It becomes a new revision.").format(
                    number=number
                ),
                _("Restore"),
            ),
            confirmed,
        )

    def action_back(self) -> None:
        self.dismiss()
