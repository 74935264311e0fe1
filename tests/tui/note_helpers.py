"""Circles with shared notes for the notes pane's tests: the fixed demo circle (Rina leads
it; Ayu wrote its note "Week 1 summary"), op ids drawn from a seeded generator so that
revisions fold in the same order on every run, and helpers to drive the pane."""

import asyncio
import os
import random

from circles import as_member, fixed_demo_service
from studycircle_tui.sync import engine
from studycircle_tui.sync.engine import CircleService
from studycircle_tui.tui.app import StudyCircleApp
from studycircle_tui.tui.screens.notes import NotesScreen
from studycircle_tui.tui.widgets.note_editor import NoteEditor
from studycircle_tui.tui.widgets.note_lines import NoteLines

RICH_TEXT = (
    "# Week 1: lists and dicts\n\n"
    "- A list keeps order; a dict maps keys to values.\n"
    "- Never use a **mutable** default argument.\n"
    "- `len()` counts items.\n\n"
    "## Example\n\n"
    "```python\n"
    "def add(item, items=None):\n"
    "    items = [] if items is None else items\n"
    "    items.append(item)\n"
    "    return items\n"
    "```\n\n"
    "> Ask in #python-basics when stuck.\n"
)


class _SeededOs:
    """``os`` for the engine, with ``urandom`` from a seeded generator (op ids)."""

    def __init__(self, seed: int) -> None:
        self._random = random.Random(seed)

    def urandom(self, size: int) -> bytes:
        return self._random.randbytes(size)

    def __getattr__(self, name: str) -> object:
        return getattr(os, name)


def seed_op_ids(monkeypatch, seed: int = 5) -> None:
    monkeypatch.setattr(engine, "os", _SeededOs(seed))


def sync(*services: CircleService) -> None:
    """Two rounds through the circle file: what each pushed reaches all the others."""
    for _ in range(2):
        for service in services:
            asyncio.run(service.sync_once())


async def sync_now(*services: CircleService) -> None:
    """``sync`` from inside a running event loop (an async test)."""
    for _ in range(2):
        for service in services:
            await service.sync_once()


def week1(service: CircleService) -> str:
    return next(n.id for n in service.state.notes.values() if n.title == "Week 1 summary")


def revise(service: CircleService, note_id: str, text: str, base: str | None = None) -> None:
    note = service.state.notes[note_id]
    service.submit("note.revise", {"note": note_id, "base": base or note.head, "text": text})


def demo_with_ayu(tmp_path, monkeypatch) -> tuple[CircleService, CircleService, str]:
    """Rina (the lead, whose screen is shown) and Ayu, on one circle file."""
    seed_op_ids(monkeypatch)
    rina = fixed_demo_service(tmp_path)
    ayu = as_member(rina, "Ayu")
    sync(ayu)
    # Ayu has read the rules: her app would otherwise show them over the notes.
    ayu.submit("rules.accept", {"version": ayu.state.rules_version})
    sync(ayu, rina)
    return rina, ayu, week1(rina)


def conflicted(tmp_path, monkeypatch) -> tuple[CircleService, CircleService, str]:
    """Rina and Ayu changed the same line from the same revision: the note needs merge."""
    rina, ayu, note_id = demo_with_ayu(tmp_path, monkeypatch)
    base = rina.state.notes[note_id].head
    text = rina.state.notes[note_id].text
    revise(ayu, note_id, text.replace("counts items.", "counts the items in a list."), base)
    revise(rina, note_id, text.replace("counts items.", "returns how many items."), base)
    sync(rina, ayu)
    return rina, ayu, note_id


def make_app(service: CircleService) -> StudyCircleApp:
    return StudyCircleApp(service, sync=False)


async def open_notes(pilot) -> NotesScreen:
    pilot.app.theme = "textual-dark"
    await pilot.pause()
    await pilot.press("N")
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, NotesScreen)
    # The list takes the focus once the screen is up (Widget.focus is deferred): a key
    # pressed before then can be handled first, and the list would then take the focus
    # back from, say, the editor. Seen on a busy machine; wait for it.
    notes_list = screen.query_one("#notes-list")
    await until(pilot, lambda: screen.focused is notes_list)
    return screen


async def settle(pilot) -> None:
    """Let thread workers (big renders, blame) finish and their results land."""
    await pilot.pause()
    # The screens' workers; the app's own (the quiz pacer) run as long as the app does.
    app = pilot.app
    screens = [w for w in app.workers if w.node is not app]
    if screens:  # an empty list would mean every worker to Textual
        await app.workers.wait_for_complete(screens)
    await app.intents.settled()  # what the keys asked of the circle is done
    await pilot.pause()
    for editor in pilot.app.screen.query(NoteEditor):
        editor.cursor_blink = False
    await pilot.pause()


async def until(pilot, condition, tries: int = 100) -> None:
    """Let the app work until ``condition()`` holds (what arrives from a sync is
    handled in the app's own time); fails the test if it never does."""
    for _ in range(tries):
        if condition():
            return
        await pilot.pause(0.02)
    assert condition()


def shown_text(screen) -> str:
    """Everything the note view holds, as plain text (all lines, not only those on screen)."""
    return screen.query_one(NoteLines).text


def edited_twice(tmp_path, monkeypatch) -> CircleService:
    """Rina rewrote the demo note with more Markdown (r2); Ayu then fixed a line (r3)."""
    rina, ayu, note_id = demo_with_ayu(tmp_path, monkeypatch)
    revise(rina, note_id, RICH_TEXT)
    sync(rina, ayu)
    text = ayu.state.notes[note_id].text
    revise(ayu, note_id, text.replace("- `len()` counts items.\n", "- `len(x)` counts x.\n"))
    sync(ayu, rina)
    return rina
