"""The notes pane: the circle's shared notes | the open note, rendered as Markdown, or
its editor (``note_editing.py``). From 100 columns the list and the note sit side by side;
narrower, one shows at a time and ``esc`` goes back from the note to the list.
"""

from functools import partial

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, Static

from ...core.noteblame import blame
from ...core.state import Note
from ...i18n import _, ngettext
from ...sync.engine import CircleService
from .. import note_drafts
from ..actions import bindings_for, key_for
from ..timefmt import absolute, relative
from ..visible import visible
from ..widgets.footer import AppFooter
from ..widgets.note_lines import NoteLines
from ..widgets.note_render import (
    MARKDOWN_LIMIT,
    blame_strips,
    conflict_strips,
    markdown_strips,
)
from ..widgets.note_rows import (
    NoteRows,
    member_name,
    notes_in_order,
    revision_numbers,
    where,
)
from ..widgets.row_list import RowList
from ..widgets.status_line import StatusLine
from .note_base import BIG_TEXT, member_names
from .note_editing import NoteEditing


class NotesScreen(NoteEditing):
    BINDINGS = bindings_for("notes")
    KEY_SCOPES = ("notes", "editor")
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]

    def __init__(
        self, service: CircleService, channel_id: str | None = None, note_id: str | None = None
    ) -> None:
        super().__init__(service)
        self.channel_id = channel_id
        self.note_id = note_id
        self.view = "note"  # or "blame": who wrote each line
        self.pane = "list"  # narrow screens: "list" or "note"

    def compose(self) -> ComposeResult:
        self._width_class_now()
        self._show_pane(self.pane)
        with Horizontal(id="notes-body"):
            with Vertical(id="notes-list-pane", classes="notes-pane"):
                yield Label(_("Notes"), id="notes-list-title", classes="notes-pane-title")
                yield RowList(id="notes-list")
            with Vertical(id="note-pane", classes="notes-pane"):
                yield Label("", id="note-title", classes="notes-pane-title", markup=False)
                yield Label("", id="note-meta", markup=False)
                yield Static("", id="note-banner", markup=False)
                yield NoteLines(id="note-view")
                yield self._editor
        yield StatusLine(self.service, quiz_only=True)
        yield AppFooter(compact=True)

    def on_mount(self) -> None:
        super().on_mount()
        state = self.service.state
        if self.note_id not in state.notes:
            ordered = notes_in_order(state)
            here = [n for n in ordered if state.notes[n].channel_id == self.channel_id]
            self.note_id = (here or ordered or [None])[0]
        self.refresh_view()
        self.query_one(RowList).focus()

    # --- showing ----------------------------------------------------------------------

    def refresh_view(self) -> None:
        if not self.is_mounted:
            return
        self._refresh_list()
        self._refresh_note()
        self.refresh_bindings()

    def _refresh_list(self) -> None:
        state = self.service.state
        ids = notes_in_order(state)
        rows = self.query_one(RowList)
        start = key_for(self, "notes", "new_note")
        rows.empty_text = (
            _("Still coming with the history.")  # fits beside the note; which explains it
            if self.service.catching_up
            else _("No notes yet: press {key} to start one.").format(key=start)
        )
        drafts = note_drafts.drafted(self.service, ids)
        render = NoteRows(state, self.service.now_ms(), self.warning, drafts)
        rows.show(ids, render, self.note_id)
        count = f" ({len(ids)})" if ids else ""
        self.query_one("#notes-list-title", Label).update(_("Notes") + count)

    def _refresh_note(self) -> None:
        note = self.note
        title = self.query_one("#note-title", Label)
        meta = self.query_one("#note-meta", Label)
        back = "‹ " if self.has_class("-narrow") else ""
        if self.editing is not None:
            self._refresh_editing_labels()
            return
        if note is None:
            meta.update("")
            if self.service.catching_up:  # not "no note yet": they may well be on their way
                title.update(back + _("Notes still coming"))
                self._banner(
                    _(
                        "The circle's notes come with its older history, still loading:"
                        " they show here once it has come."
                    )
                )
            else:
                title.update(back + _("No note yet"))
                start = key_for(self, "notes", "new_note")
                summaries = _("Notes are the circle's shared summaries: press {key} to start one.")
                self._banner(summaries.format(key=start))
            self.query_one(NoteLines).show(("none",), lambda width: [])
            return
        state = self.service.state
        last = note.last
        number = revision_numbers(note)[note.head]
        shown = _("who wrote each line") if self.view == "blame" else ""
        title.update(visible(f"{back}{note.title}" + (f" — {shown}" if shown else "")))
        plain = self.view == "note" and not note.needs_merge and len(note.text) > MARKDOWN_LIMIT
        by = _("r{number} by {name}").format(number=number, name=member_name(state, last.author))
        meta.update(
            visible(f"{where(state, note)} · {by} · {relative(last.at_ms, self.service.now_ms())}")
            + (" · " + _("shown as plain text: too big to render") if plain else "")
        )
        self._banner(self._banner_text(note))
        self._show_lines(note)

    def _banner_text(self, note: Note) -> str:
        if note.needs_merge:
            count = note.last.conflicts
            merge = ngettext(
                "Needs merge: edits made at the same time overlap in {count} place. Both "
                "versions are kept between the <<<<<<< and >>>>>>> lines: press {key}, keep "
                "what is right, delete the marker lines, save.",
                "Needs merge: edits made at the same time overlap in {count} places. Both "
                "versions are kept between the <<<<<<< and >>>>>>> lines: press {key}, keep "
                "what is right, delete the marker lines, save.",
                count,
            )
            return "⚠ " + merge.format(count=count, key=key_for(self, "notes", "edit"))
        draft = note_drafts.load(self.service, note.id)
        if draft is not None:
            base = revision_numbers(note).get(draft.base or "", 0)
            edit = key_for(self, "notes", "edit")
            if base:
                draft_text = _(
                    "You have an unsaved draft of this note (started from r{number}): press "
                    "{key} to go on with it."
                )
            else:
                draft_text = _(
                    "You have an unsaved draft of this note: press {key} to go on with it."
                )
            return "✎ " + draft_text.format(number=base, key=edit)
        return ""

    def _banner(self, text: str, warning: bool = False) -> None:
        banner = self.query_one("#note-banner", Static)
        banner.update(visible(text))
        banner.set_class(bool(text), "-shown")
        note = self.note
        banner.set_class(warning or (note is not None and note.needs_merge), "-warning")

    def _show_lines(self, note: Note) -> None:
        lines = self.query_one(NoteLines)
        palette = self.palette
        text = note.text
        # A new revision of the note being read keeps the reader's place.
        shown = lines.key
        top = not (isinstance(shown, tuple) and len(shown) > 1 and shown[1] == note.id)
        if self.view == "blame":
            copy = note.snapshot()
            names = member_names(self.service)
            numbers = revision_numbers(copy)
            now = self.service.now_ms()
            blamed: list = []

            def build(width: int) -> list:
                if not blamed:  # blame once; a new width only draws it again
                    blamed.extend(blame(copy))
                return blame_strips(
                    blamed, names, numbers, width, palette, partial(absolute, now_ms=now)
                )

            lines.show(("blame", note.id, note.head, id(palette)), build, big=True, top=top)
        elif note.needs_merge:
            lines.show(
                ("conflict", note.id, note.head, id(palette)),
                partial(conflict_strips, text, palette=palette),
                big=len(text) > BIG_TEXT,
                top=top,
            )
        else:
            lines.show(
                ("markdown", note.id, note.head),
                partial(markdown_strips, text),
                big=len(text) > BIG_TEXT,
                top=top,
            )

    # --- layout -----------------------------------------------------------------------

    def _show_pane(self, pane: str) -> None:
        self.pane = pane
        self.set_class(pane == "list", "-pane-list")
        self.set_class(pane == "note", "-pane-note")

    def on_resize(self) -> None:
        if self.is_mounted:
            # After the refresh: the width classes (-narrow, -wide) are set by then.
            self.call_after_refresh(self._refresh_note)

    @on(RowList.Highlighted, "#notes-list")
    def _note_highlighted(self, event: RowList.Highlighted) -> None:
        if self.editing is None and event.row_id != self.note_id:
            self.note_id = event.row_id
            self.view = "note"
            self._refresh_note()
            self.refresh_bindings()

    @on(RowList.Chosen, "#notes-list")
    def _note_chosen(self, event: RowList.Chosen) -> None:
        if self.editing is not None:
            return
        if event.row_id != self.note_id:
            self.note_id, self.view = event.row_id, "note"
        self._show_pane("note")
        self._refresh_note()
        self.query_one(NoteLines).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.editing is not None:
            return action not in ("edit", "new_note", "history", "blame", "help", "back")
        if action in ("edit", "history", "blame"):
            return self.note is not None
        return True

    def action_back(self) -> None:
        if self.editing is not None:
            self._ask_to_leave()
        elif self.view == "blame":
            self.view = "note"
            self._refresh_note()
        elif self.has_class("-narrow") and self.pane == "note":
            self._show_pane("list")
            self.query_one(RowList).focus()
        else:
            self.dismiss()

    def action_blame(self) -> None:
        if self.note is None:
            return
        self.view = "note" if self.view == "blame" else "blame"
        self._show_pane("note")
        self._refresh_note()

    def action_history(self) -> None:
        from .note_history import NoteHistoryScreen

        if self.note_id in self.service.state.notes:
            self.app.push_screen(NoteHistoryScreen(self.service, self.note_id))
