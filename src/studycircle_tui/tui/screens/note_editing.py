"""Editing a note, for the notes screen: ``e`` edits the note shown, ``n`` starts a new
one, ``ctrl+s`` saves, ``esc`` leaves (asking first when there are unsaved changes).

An edit starts from a revision and is saved as a revision of that base (``note.revise``),
so edits others saved meanwhile are merged, not overwritten. Until saved it is kept as a
draft (debounced), so a crash or a closed terminal loses nothing.
"""

from textual import on
from textual.timer import Timer
from textual.widgets import Label

from ...core.ops import Op
from ...core.state import Note
from ...i18n import N_, _, ngettext
from ...sync.engine import CircleService
from .. import note_drafts
from ..intents import ask
from ..note_drafts import NoteDraft
from ..visible import visible
from ..widgets.note_editor import NoteEditor
from ..widgets.note_lines import NoteLines
from ..widgets.note_rows import member_name, revision_numbers
from .note_base import NoteScreenBase
from .note_dialogs import NewNote, NewNoteScreen, UnsavedScreen

DRAFT_DELAY = 0.5  # seconds of quiet typing before the draft is written


class NoteEditing(NoteScreenBase):
    """The notes screen's editing half; the screen provides ``note``, ``note_id``,
    ``channel_id``, ``view``, ``_show_pane``, ``_banner`` and ``refresh_view``."""

    note_id: str | None
    channel_id: str | None
    view: str

    def __init__(self, service: CircleService) -> None:
        super().__init__(service)
        self.editing: NoteDraft | None = None
        self._start_text = ""  # what the editor held when the edit began
        self._draft_timer: Timer | None = None
        self._saving = False  # a save is being written
        # Kept: on unmount (quitting) the draft is written after the widgets are gone.
        self._editor = NoteEditor(id="note-editor")

    @property
    def note(self) -> Note | None:
        return self.service.state.notes.get(self.note_id or "")

    def _show_pane(self, pane: str) -> None:
        raise NotImplementedError

    def _banner(self, text: str, warning: bool = False) -> None:
        raise NotImplementedError

    def action_edit(self) -> None:
        note = self.note
        if note is None:
            return
        draft = note_drafts.load(self.service, note.id)
        if draft is not None and draft.base in note.revisions:
            self.notify(_("Your unsaved draft is back."), markup=False)
        else:
            draft = NoteDraft(note.id, note.head, note.text, note.title, note.channel_id)
        self._begin_edit(draft, note.text_of(draft.base or note.head))

    def action_new_note(self) -> None:
        draft = note_drafts.load(self.service, None)
        if draft is not None:
            back = _("Your unsaved new note “{title}” is back.").format(title=draft.title)
            self.notify(back, markup=False)
            self._begin_edit(draft, "")
            return
        channel = self.service.state.channels.get(self.channel_id or "")

        def chosen(new: NewNote | None) -> None:
            if new is not None:
                text = f"# {new.title}\n\n"
                self._begin_edit(NoteDraft(None, None, text, new.title, new.channel), text)

        self.app.push_screen(
            NewNoteScreen(channel.id if channel else None, channel.name if channel else None),
            chosen,
        )

    def _begin_edit(self, draft: NoteDraft, start_text: str) -> None:
        self.editing, self._start_text = draft, start_text
        editor = self._editor
        editor.load_note(draft.text)
        self.set_class(True, "-editing")
        self._show_pane("note")
        self._refresh_editing_labels()
        self.refresh_bindings()
        editor.focus()

    def _refresh_editing_labels(self) -> None:
        draft = self.editing
        assert draft is not None
        back = "‹ " if self.has_class("-narrow") else ""
        editing = _("Editing: {title}").format(title=draft.title)
        self.query_one("#note-title", Label).update(visible(back + editing))
        note = self.service.state.notes.get(draft.note_id or "")
        keys = _("ctrl+s saves · esc leaves")
        if not self._editor.highlighting:
            keys += " · " + _("no highlighting")
        if note is None:
            self.query_one("#note-meta", Label).update(_("new note") + f" · {keys}")
            self._banner("")
            return
        number = revision_numbers(note).get(draft.base or "", 0)
        since = _("from r{number}").format(number=number)
        self.query_one("#note-meta", Label).update(f"{since} · {keys}")
        base = note.revisions.get(draft.base or "")
        if draft.base != note.head:
            newer = note.last
            newer_text = _(
                "{name} saved a newer revision while you were editing: saving merges your "
                "changes with it."
            )
            name = member_name(self.service.state, newer.author)
            self._banner(newer_text.format(name=name), warning=True)
        elif base is not None and base.conflicts:
            self._banner(
                _(
                    "Resolving the merge: keep what is right, delete the <<<<<<<, ======= and "
                    ">>>>>>> lines, then ctrl+s."
                ),
                warning=True,
            )
        else:
            self._banner("")

    def _unsaved(self) -> bool:
        return self.editing is not None and self._editor.text != self._start_text

    @on(NoteEditor.Changed, "#note-editor")
    def _editor_changed(self, event: NoteEditor.Changed) -> None:
        if self.editing is None:
            return
        if self._draft_timer is not None:
            self._draft_timer.stop()
        self._draft_timer = self.set_timer(DRAFT_DELAY, self.save_draft)

    def save_draft(self) -> None:
        """Write the editor's text as the draft now (or forget it if nothing changed)."""
        if self._draft_timer is not None:
            self._draft_timer.stop()
            self._draft_timer = None
        draft = self.editing
        if draft is None:
            return
        draft.text = self._editor.text
        if draft.text != self._start_text:
            note_drafts.save(self.service, draft)
        else:
            note_drafts.clear(self.service, draft.note_id)

    @on(NoteEditor.SaveAsked)
    def _save_asked(self) -> None:
        self._save()

    @on(NoteEditor.LeaveAsked)
    def _leave_asked(self) -> None:
        self._ask_to_leave()

    def _ask_to_leave(self) -> None:
        draft = self.editing
        if draft is None:
            return
        if not self._unsaved():
            self._stop_editing()
            return

        def answered(answer: str | None) -> None:
            if answer == "save":
                self._save()
            elif answer == "discard":
                self._stop_editing()
                self.notify(_("Changes thrown away."), markup=False)
            else:
                self._editor.focus()

        self.app.push_screen(UnsavedScreen(draft.title), answered)

    def _save(self) -> None:
        draft = self.editing
        if draft is None or self._saving:
            return  # a second ctrl+s while the first is being written saves nothing twice
        text = self._editor.text
        if draft.note_id is None:
            save = self.service.create_note, draft.title, text, draft.channel
        elif (
            text == self._start_text and draft.base == self.service.state.notes[draft.note_id].head
        ):
            self._stop_editing()
            self.notify(_("No changes to save."), markup=False)
            return
        else:
            save = self.service.revise_note, draft.note_id, draft.base, text
        self._saving = True
        ask(
            self,
            *save,
            done=lambda op: self._saved(draft, text, op),
            refused=lambda _: setattr(self, "_saving", False),
            heading=N_("Not saved"),
        )

    def _saved(self, draft: NoteDraft, text: str, op: Op) -> None:
        """The revision is on disk. Typed on meanwhile: go on editing from it."""
        self._saving = False
        note_id = draft.note_id or op.id
        note = self.service.state.notes[note_id]
        said = (
            self._saved_message(note, op.id)
            if draft.note_id
            else _("Saved “{title}”.").format(title=draft.title)
        )
        self.note_id = note_id
        if self.editing is draft and self._editor.text != text:
            note_drafts.clear(self.service, draft.note_id)
            self.editing = NoteDraft(note_id, op.id, self._editor.text, draft.title, draft.channel)
            self._start_text = text
            self._refresh_editing_labels()
            self.notify(said, markup=False)
            return
        self._stop_editing()
        self.notify(said, severity="warning" if note.needs_merge else "information", markup=False)

    def _saved_message(self, note: Note, op_id: str) -> str:
        number = revision_numbers(note)
        head = note.last
        if head.is_merge and op_id in head.parents:
            other = member_name(self.service.state, note.revisions[head.parents[0]].author)
            if head.conflicts:
                overlap = _(
                    "Saved. Your changes overlap {name}'s: the note needs merging (both "
                    "versions are kept between markers)."
                )
                return overlap.format(name=other)
            merged = _("Saved as r{number} and merged with {name}'s changes.")
            return merged.format(number=number[op_id], name=other)
        if head.conflicts:
            count = head.conflicts
            remain = ngettext(
                "Saved as r{number}; {count} conflict remains.",
                "Saved as r{number}; {count} conflicts remain.",
                count,
            )
            return remain.format(number=number[op_id], count=count)
        return _("Saved as r{number}.").format(number=number[op_id])

    def _stop_editing(self) -> None:
        """Leave the editor; its draft is saved or thrown away by now, so forget it."""
        if self._draft_timer is not None:
            self._draft_timer.stop()
            self._draft_timer = None
        draft = self.editing
        if draft is not None:
            note_drafts.clear(self.service, draft.note_id)
        self.editing = None
        self.set_class(False, "-editing")
        self.view = "note"
        self.refresh_view()
        self.query_one(NoteLines).focus()

    def on_unmount(self) -> None:
        self.save_draft()  # the debounced save may not have run yet (quit, crash-free exit)
