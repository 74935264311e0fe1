"""What a user can do in the notes pane, as one table (the ``Action`` of ``actions.py``):
it makes the notes screens' key bindings (and so their footers), their ``?`` help and
their command palette entries.

Scopes: ``notes`` on the notes screen, ``editor`` while writing a note, ``history`` in a
note's history.
"""

from textual.binding import Binding

from .actions import Action, make_bindings

NOTE_ACTIONS: tuple[Action, ...] = (
    # --- the notes screen -------------------------------------------------------------
    Action("edit", "e", "Edit", "Edit the note (your unsaved draft is kept).", "notes"),
    Action("new_note", "n", "New note", "Start a new note in this channel or the circle.", "notes"),
    Action(
        "history",
        "h",
        "History",
        "Every revision: who, when, what changed; compare two, restore one.",
        "notes",
    ),
    Action("blame", "b", "Who wrote", "Show who wrote each line of the note.", "notes"),
    Action("help", "question_mark", "Help", "Show every key.", "notes", key_display="?"),
    Action(
        "back",
        "escape",
        "Back",
        "Back to the list, or to the discussion.",
        "notes",
        palette=False,
    ),
    # --- writing ----------------------------------------------------------------------
    Action(
        "save",
        "ctrl+s",
        "Save",
        "Save the note as a new revision; edits made meanwhile by others are merged.",
        "editor",
        target="",
        palette=False,
    ),
    Action(
        "leave",
        "escape",
        "Leave",
        "Leave the editor (asks first if there are unsaved changes).",
        "editor",
        target="",
        palette=False,
    ),
    # --- a note's history -------------------------------------------------------------
    Action(
        "show('diff')",
        "d",
        "Changes",
        "Show what the revision changed (or the changes since the marked one).",
        "history",
    ),
    Action("show('text')", "t", "Text", "Show the revision's text.", "history"),
    Action("show('blame')", "b", "Who wrote", "Show who wrote each line of it.", "history"),
    Action(
        "mark",
        "c",
        "Compare",
        "Mark this revision; the changes then shown are from it to the selected one.",
        "history",
    ),
    Action(
        "restore",
        "r",
        "Restore",
        "Make this revision's text the note's again, as a new revision.",
        "history",
    ),
    Action("help", "question_mark", "Help", "Show every key.", "history", key_display="?"),
    Action("back", "escape", "Back", "Back to the note.", "history", palette=False),
)

SCOPE_TITLES = {
    "notes": "Notes",
    "editor": "Writing a note",
    "history": "A note's history",
}


def note_bindings(scope: str) -> list[Binding]:
    """Bindings for one scope of the notes table; the editor's keys win over the
    TextArea's (it takes esc)."""
    return make_bindings(
        scope_actions(scope), priority=scope == "editor", id_prefix=f"note-{scope}-"
    )


def scope_actions(scope: str) -> list[Action]:
    return [action for action in NOTE_ACTIONS if action.scope == scope]
