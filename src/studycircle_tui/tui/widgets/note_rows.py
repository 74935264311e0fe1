"""How one row of the notes list and of a note's history reads (two lines each, for
``RowList``): a note's title, where it lives, who changed it last and when, and whether
it needs merging; a revision's number, author and time, and what kind it is."""

from rich.style import Style
from rich.text import Text

from ...core.state import CircleState, Note, Revision
from ..timefmt import relative
from ..visible import visible

NEEDS_MERGE = "⚠ needs merge"


def member_name(state: CircleState, member_id: str) -> str:
    member = state.members.get(member_id)
    return visible(member.name) if member else "someone"


def where(state: CircleState, note: Note) -> str:
    channel = state.channels.get(note.channel_id or "")
    return f"#{visible(channel.name)}" if channel else "whole circle"


def notes_in_order(state: CircleState) -> list[str]:
    """Every note, the most recently changed first (title, then id, on a tie)."""
    notes = state.notes.values()
    return [
        note.id for note in sorted(notes, key=lambda n: (-n.last.at_ms, n.title.casefold(), n.id))
    ]


def revision_numbers(note: Note) -> dict[str, int]:
    """r1, r2, … in the order revisions were folded (the same on every replica)."""
    return {revision_id: number for number, revision_id in enumerate(note.order, 1)}


def kind_of(note: Note, revision: Revision, numbers: dict[str, int]) -> str:
    """What a revision is, in a few words: "first version", "edit of r3", …"""
    if revision.restored_from is not None:
        return f"restore of r{numbers.get(revision.restored_from, 0)}"
    if revision.is_merge:
        first, second = (numbers.get(parent, 0) for parent in revision.parents)
        return f"merge of r{first} and r{second}"
    if not revision.parents:
        return "first version"
    return f"edit of r{numbers.get(revision.parents[0], 0)}"


SCROLLBAR = 2  # RowList passes its full width, the vertical scrollbar's cells included


def _fit(first: Text, badge: Text, width: int) -> Text:
    """``first`` with ``badge`` at the right edge, shortening ``first`` to make room."""
    width -= SCROLLBAR
    if not badge:
        return first
    room = width - badge.cell_len - 1
    if first.cell_len > room:
        first.truncate(max(1, room), overflow="ellipsis")
    first.append(" " * max(1, width - first.cell_len - badge.cell_len))
    first.append_text(badge)
    return first


class NoteRows:
    """``Week 1 summary      ⚠ needs merge`` over ``#python-basics · Ayu · 3d``."""

    def __init__(self, state: CircleState, now_ms: int, warning: Style, drafts: set[str]) -> None:
        self.state, self.now_ms, self.warning, self.drafts = state, now_ms, warning, drafts

    def __call__(self, note_id: str, width: int) -> tuple[Text, Text]:
        state = self.state
        note = state.notes[note_id]
        first = Text(visible(note.title), style="bold")
        badge = Text()
        if note.needs_merge:
            badge.append(NEEDS_MERGE, style=self.warning)
        elif note_id in self.drafts:
            badge.append("✎ draft", style=Style(italic=True))
        last = note.last
        second = Text(
            f"{where(state, note)} · {member_name(state, last.author)} · "
            f"{relative(last.at_ms, self.now_ms)}",
            style=Style(dim=True),
        )
        return _fit(first, badge, width), second


class RevisionRows:
    """``r4  Ayu · Tue 14:05        current`` over ``edit of r3 · 1.2 KB``."""

    def __init__(
        self,
        state: CircleState,
        note: Note,
        now_ms: int,
        warning: Style,
        accent: Style,
        marked: str | None,
    ) -> None:
        self.state, self.note, self.now_ms = state, note, now_ms
        self.warning, self.accent, self.marked = warning, accent, marked
        self.numbers = revision_numbers(note)

    def __call__(self, revision_id: str, width: int) -> tuple[Text, Text]:
        note = self.note
        revision = note.revisions[revision_id]
        first = Text(f"r{self.numbers[revision_id]}", style="bold")
        first.append(f"  {member_name(self.state, revision.author)}")
        first.append(f" · {relative(revision.at_ms, self.now_ms)}", style=Style(dim=True))
        badge = Text()
        if revision_id == self.marked:
            badge.append("◆ compare from", style=self.accent)
        elif revision_id == note.head:
            badge.append("● current", style=self.accent)
        second = Text(kind_of(note, revision, self.numbers), style=Style(dim=True))
        if revision.is_merge:
            second.stylize(Style(italic=True))
        if revision.conflicts:
            count = revision.conflicts
            second.append(f" · {count} conflict{'s' * (count != 1)}", style=self.warning)
        parent = note.revisions.get(revision.parents[0]) if revision.parents else None
        if parent is not None and parent.title != revision.title:
            second.append(f" · renamed “{visible(revision.title)}”", style=Style(dim=True))
        second.append(f" · {_size(revision.size)}", style=Style(dim=True))
        return _fit(first, badge, width), second


def _size(size: int) -> str:
    if size < 1000:
        return f"{size} B"
    if size < 1_000_000:
        return f"{size / 1000:.1f} KB"
    return f"{size / 1_000_000:.2f} MB"
