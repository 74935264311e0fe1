"""The note editor: a TextArea with Markdown highlighting, ``ctrl+s`` saves, ``esc``
leaves (the screen asks first when there are unsaved changes).

Highlighting needs tree-sitter and its Markdown grammar (``textual[syntax]``); without
them the editor is plain text, and ``highlighting`` says so. A note past
``HIGHLIGHT_LIMIT`` is edited as plain text too: Textual re-highlights the whole
document on each keystroke, about 0.18 s per key on a 1 MB note (measured here).
"""

from textual.message import Message
from textual.widgets import TextArea

from ..actions import bindings_for, key_for
from ..compat import tree_sitter_language

HIGHLIGHT_LIMIT = 100_000  # characters


def markdown_language() -> str | None:
    """The language name Markdown highlighting needs, or None (plain text)."""
    return "markdown" if tree_sitter_language("markdown") is not None else None


class NoteEditor(TextArea):
    BINDINGS = bindings_for("editor")

    class SaveAsked(Message):
        """ctrl+s: save the text as a new revision."""

    class LeaveAsked(Message):
        """esc: leave the editor (asking first if there are unsaved changes)."""

    def __init__(self, *, id: str | None = None) -> None:
        language = markdown_language()
        super().__init__(
            id=id,
            language=language,
            soft_wrap=True,
            show_line_numbers=False,
            tab_behavior="indent",
            theme="css",
        )
        self._language = language
        self.highlighting = language is not None

    def on_mount(self) -> None:
        save, leave = key_for(self, "editor", "save"), key_for(self, "editor", "leave")
        self.placeholder = f"Write the note in Markdown… ({save} saves, {leave} leaves)"

    def load_note(self, text: str) -> None:
        """Load ``text`` to edit, highlighted unless it is too big (or cannot be)."""
        language = self._language if len(text) <= HIGHLIGHT_LIMIT else None
        if language != self.language:
            self.language = language
        self.highlighting = language is not None
        self.load_text(text)
        self.move_cursor(self.document.end)

    def action_save(self) -> None:
        self.post_message(self.SaveAsked())

    def action_leave(self) -> None:
        self.post_message(self.LeaveAsked())
