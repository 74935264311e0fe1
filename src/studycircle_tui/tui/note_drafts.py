"""Unsaved note edits, kept in the store's drafts (place ``note:<id>``, or ``note:new`` for
a note not yet created) so they survive a crash or a closed terminal.

A draft remembers the revision its edit started from: saved later, it is still a
revision of that base, so edits others made meanwhile are merged, not overwritten.
"""

import json
from dataclasses import asdict, dataclass

from ..sync.engine import CircleService

NEW = "new"


@dataclass(slots=True)
class NoteDraft:
    note_id: str | None  # None: a note not created yet
    base: str | None  # the revision the edit started from
    text: str
    title: str
    channel: str | None = None  # where a new note goes (None: the whole circle)


def place(note_id: str | None) -> str:
    return f"note:{note_id or NEW}"


def load(service: CircleService, note_id: str | None) -> NoteDraft | None:
    raw = service.draft(place(note_id))
    if not raw:
        return None
    try:
        data = json.loads(raw)
        draft = NoteDraft(**data)
    except (ValueError, TypeError):
        return None  # not ours, or from a future version: ignore rather than fail
    if draft.note_id != note_id or not isinstance(draft.text, str):
        return None
    return draft


def save(service: CircleService, draft: NoteDraft) -> None:
    service.save_draft(place(draft.note_id), json.dumps(asdict(draft), ensure_ascii=False))


def clear(service: CircleService, note_id: str | None) -> None:
    service.save_draft(place(note_id), "")


def drafted(service: CircleService, note_ids: list[str]) -> set[str]:
    """Which of these notes have an unsaved draft."""
    return {note_id for note_id in note_ids if service.draft(place(note_id))}
