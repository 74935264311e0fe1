"""The notes pane driven by its keys, as a member would: edit and save, escape asks
first, a draft survives a crash, restore, blame, a new note, and two members editing
the same note at once (through one circle file, and through the server)."""

import pytest
from note_helpers import (
    conflicted,
    demo_with_ayu,
    make_app,
    open_notes,
    settle,
    shown_text,
    sync_now,
    until,
)

from studycircle_tui.core import notemerge
from studycircle_tui.tui import note_drafts
from studycircle_tui.tui.screens.note_dialogs import NewNoteScreen, UnsavedScreen
from studycircle_tui.tui.screens.note_editing import DRAFT_DELAY
from studycircle_tui.tui.screens.note_history import NoteHistoryScreen
from studycircle_tui.tui.screens.notes import NotesScreen
from studycircle_tui.tui.widgets.note_editor import NoteEditor

SIZE = (100, 30)


@pytest.fixture
def demo(tmp_path, monkeypatch):
    """Rina, Ayu and the note (built outside the test's event loop)."""
    return demo_with_ayu(tmp_path, monkeypatch)


@pytest.fixture
def conflict(tmp_path, monkeypatch):
    return conflicted(tmp_path, monkeypatch)


async def edit(pilot, *keys: str) -> NoteEditor:
    """Open the editor on the note shown and type ``keys`` at the end of its text."""
    await pilot.press("e")
    await settle(pilot)
    editor = pilot.app.screen.query_one(NoteEditor)
    assert editor.has_focus
    await pilot.press(*keys)
    return editor


async def test_edit_and_save_makes_a_revision_of_the_base(demo):
    rina, _, note_id = demo
    first = rina.state.notes[note_id].head
    async with make_app(rina).run_test(size=SIZE) as pilot:
        screen = await open_notes(pilot)
        assert screen.note_id == note_id
        await edit(pilot, *"- Tuples are immutable.")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert screen.editing is None
        note = rina.state.notes[note_id]
        assert len(note.order) == 2 and note.last.parents == (first,)
        assert note.text.endswith("- Tuples are immutable.")
        assert note.last.author == rina.me
        # It travels as a patch: the line added, not the note again.
        saved = next(op for op in rina.replica.ops() if op.id == note.head)
        assert saved.v == 2 and [text for _, _, text in saved.data.patch] == [
            "- Tuples are immutable."
        ]
        assert "Tuples are immutable." in shown_text(screen)
        assert rina.draft(note_drafts.place(note_id)) == ""


async def test_escape_asks_before_throwing_changes_away(demo):
    rina, _, note_id = demo
    async with make_app(rina).run_test(size=SIZE) as pilot:
        screen = await open_notes(pilot)
        editor = await edit(pilot, *"more")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(pilot.app.screen, UnsavedScreen)
        await pilot.press("escape")  # keep editing
        await settle(pilot)
        assert pilot.app.screen is screen and screen.editing is not None
        assert editor.text.endswith("more")
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("d")  # discard
        await settle(pilot)
        assert pilot.app.screen is screen and screen.editing is None
        assert len(rina.state.notes[note_id].order) == 1
        assert rina.draft(note_drafts.place(note_id)) == ""
        # Nothing changed: escape leaves at once, without asking.
        await edit(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert pilot.app.screen is screen and screen.editing is None


async def test_escape_then_save_saves(demo):
    rina, _, note_id = demo
    async with make_app(rina).run_test(size=SIZE) as pilot:
        await open_notes(pilot)
        await edit(pilot, *"saved on the way out")
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        assert rina.state.notes[note_id].text.endswith("saved on the way out")


async def test_a_draft_survives_a_crash_and_is_saved_from_its_base(demo):
    rina, ayu, note_id = demo
    base = rina.state.notes[note_id].head
    async with make_app(rina).run_test(size=SIZE) as pilot:
        await open_notes(pilot)
        await edit(pilot, *"- Dicts keep insertion order.")
        await pilot.pause(DRAFT_DELAY + 0.3)  # the debounced draft write
        # The terminal closes: no save, no leaving the editor.
        draft = note_drafts.load(rina, note_id)
        assert draft is not None and draft.base == base
        assert draft.text.endswith("- Dicts keep insertion order.")
    # Meanwhile Ayu fixes the heading.
    text = ayu.state.notes[note_id].text
    ayu.submit(
        "note.revise",
        {"note": note_id, "base": base, "text": text.replace("# Week 1", "# Week one")},
    )
    await sync_now(ayu, rina)
    async with make_app(rina).run_test(size=SIZE) as pilot:
        screen = await open_notes(pilot)
        banner = str(screen.query_one("#note-banner").render())
        assert "unsaved draft" in banner
        await pilot.press("e")
        await settle(pilot)
        editor = screen.query_one(NoteEditor)
        assert editor.text.endswith("- Dicts keep insertion order.")
        assert screen.editing.base == base  # the draft's base, not Ayu's newer head
        await pilot.press("ctrl+s")
        await settle(pilot)
        note = rina.state.notes[note_id]
        assert note.last.is_merge and not note.needs_merge
        assert note.text.startswith("# Week one")  # Ayu's change kept
        assert note.text.endswith("- Dicts keep insertion order.")  # and the draft's


async def test_quitting_while_editing_keeps_the_draft(demo):
    rina, _, note_id = demo
    async with make_app(rina).run_test(size=SIZE) as pilot:
        await open_notes(pilot)
        await edit(pilot, *"typed just before ctrl+q")
        await pilot.press("ctrl+q")  # before the debounce has run
        await settle(pilot)
    draft = note_drafts.load(rina, note_id)
    assert draft is not None and draft.text.endswith("typed just before ctrl+q")


async def test_restore_an_old_revision_as_a_new_one(demo):
    rina, _, note_id = demo
    original = rina.state.notes[note_id].text
    async with make_app(rina).run_test(size=SIZE) as pilot:
        await open_notes(pilot)
        await edit(pilot, *"a mistake")
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("h")
        await settle(pilot)
        history = pilot.app.screen
        assert isinstance(history, NoteHistoryScreen)
        await pilot.press("j")  # r1, below the newest
        await pilot.press("r")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        note = rina.state.notes[note_id]
        assert note.text == original
        assert len(note.order) == 3  # nothing erased: r1, the mistake, the restore
        assert note.last.restored_from == note.order[0]
        assert history.revision_id == note.head
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(pilot.app.screen, NotesScreen)
        assert "a mistake" not in shown_text(pilot.app.screen)


async def test_history_compares_any_two_revisions_and_shows_who_wrote(demo):
    rina, _, _ = demo
    async with make_app(rina).run_test(size=SIZE) as pilot:
        await open_notes(pilot)
        for line in ("one", "two"):
            await edit(pilot, "enter", *line)
            await pilot.press("ctrl+s")
            await settle(pilot)
        await pilot.press("h")
        await settle(pilot)
        history = pilot.app.screen
        assert "Changes from r2 to r3" in str(history.query_one("#history-view-title").render())
        await pilot.press("G", "c", "g")  # mark r1, back to r3: r1 → r3
        await settle(pilot)
        shown = shown_text(history)
        assert "+ one" in shown and "+ two" in shown
        await pilot.press("b")
        await settle(pilot)
        shown = shown_text(history)
        assert "Ayu" in shown and "Rina" in shown and "│ two" in shown


async def test_blame_of_the_note(demo):
    rina, _, _ = demo
    async with make_app(rina).run_test(size=SIZE) as pilot:
        screen = await open_notes(pilot)
        await pilot.press("b")
        await settle(pilot)
        assert screen.view == "blame"
        assert "Ayu" in shown_text(screen) and "│ # Week 1" in shown_text(screen)
        await pilot.press("escape")
        await settle(pilot)
        assert screen.view == "note" and pilot.app.screen is screen


async def test_a_new_note(demo):
    rina, _, _ = demo
    async with make_app(rina).run_test(size=SIZE) as pilot:
        screen = await open_notes(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(pilot.app.screen, NewNoteScreen)
        await pilot.press(*"Kosakata minggu 2", "enter")
        await settle(pilot)
        assert screen.query_one(NoteEditor).has_focus
        await pilot.press(*"- pergi: to go")
        await pilot.press("ctrl+s")
        await settle(pilot)
        note = next(n for n in rina.state.notes.values() if n.title == "Kosakata minggu 2")
        assert note.text == "# Kosakata minggu 2\n\n- pergi: to go"
        assert note.channel_id == screen.channel_id
        assert screen.note_id == note.id


async def test_saving_a_resolution_clears_needs_merge(conflict):
    rina, _, note_id = conflict
    assert rina.state.notes[note_id].needs_merge
    async with make_app(rina).run_test(size=SIZE) as pilot:
        screen = await open_notes(pilot)
        assert "Needs merge" in str(screen.query_one("#note-banner").render())
        assert "<<<<<<< " in shown_text(screen) and ">>>>>>> " in shown_text(screen)
        await pilot.press("e")
        await settle(pilot)
        editor = screen.query_one(NoteEditor)
        resolved = "".join(
            line
            for line in notemerge.split_lines(editor.text)
            if not line.startswith(("<<<<<<< ", "=======", ">>>>>>> ", "- `len()` counts the"))
        )
        editor.load_text(resolved)
        await pilot.press("ctrl+s")
        await settle(pilot)
        note = rina.state.notes[note_id]
        assert not note.needs_merge and "returns how many items." in note.text
        assert "Needs merge" not in str(screen.query_one("#note-banner").render())


# --- two members at once ----------------------------------------------------------------


async def concurrent_edit(rina, ayu, note_id: str, sync_all) -> None:
    """Rina and Ayu each open the editor on the same revision; Ayu saves first, Rina
    sees it arrive while still editing, then saves: both changes end up on both."""
    base = rina.state.notes[note_id].head
    assert ayu.state.notes[note_id].head == base
    rina_app, ayu_app = make_app(rina), make_app(ayu)
    async with rina_app.run_test(size=SIZE) as rina_pilot:
        rina_screen = await open_notes(rina_pilot)
        await rina_pilot.press("e")
        await settle(rina_pilot)
        editor = rina_screen.query_one(NoteEditor)
        editor.load_text(editor.text.replace("# Week 1: lists and dicts", "# Week 1: lists"))
        async with ayu_app.run_test(size=SIZE) as ayu_pilot:
            ayu_screen = await open_notes(ayu_pilot)
            await edit(ayu_pilot, *"- Sets drop duplicates.")
            await ayu_pilot.press("ctrl+s")
            await settle(ayu_pilot)
            assert ayu_screen.editing is None
            await sync_all()

            def banner() -> str:
                return str(rina_screen.query_one("#note-banner").render())

            await until(rina_pilot, lambda: "Ayu saved a newer revision" in banner())
            assert rina_screen.editing.base == base
            await rina_pilot.press("ctrl+s")
            await settle(rina_pilot)
            await sync_all()
            mine, theirs = rina.state.notes[note_id], ayu.state.notes[note_id]
            assert mine.head == theirs.head and mine.text == theirs.text
            assert mine.last.is_merge and not mine.needs_merge  # merged, no conflict
            assert mine.text.startswith("# Week 1: lists\n")
            assert mine.text.endswith("- Sets drop duplicates.")

            def merged_on(screen) -> bool:
                shown = shown_text(screen)
                return "Sets drop duplicates." in shown and "dicts" not in shown.split("\n")[0]

            for pilot, screen in ((rina_pilot, rina_screen), (ayu_pilot, ayu_screen)):
                await until(pilot, lambda s=screen: merged_on(s))
                assert "Week 1: lists" in shown_text(screen)


async def test_two_members_edit_one_note_through_a_circle_file(demo):
    rina, ayu, note_id = demo

    await concurrent_edit(rina, ayu, note_id, lambda: sync_now(ayu, rina))


async def test_two_members_edit_one_note_through_the_server(tmp_path, monkeypatch):
    from quiz_helpers import Clock, server_clock, server_member
    from server_helpers import Site, now_ms

    clock = Clock(now_ms())  # the server's circle.create is stamped with the real time
    server_clock(monkeypatch, clock)
    site = await Site.start(tmp_path / "server", None)
    try:
        circle_id, code = await site.new_circle("Python Club")
        rina, _ = await server_member(site, tmp_path, code, "Rina", clock)
        ayu, _ = await server_member(site, tmp_path, await site.invite(circle_id), "Ayu", clock)
        clock.advance(1000)
        note = ayu.submit(
            "note.create",
            {
                "title": "Week 1 summary",
                "text": "# Week 1: lists and dicts\n\n- A list keeps order.\n",
            },
        )

        async def sync_all() -> None:
            clock.advance(1000)
            await sync_now(ayu, rina)

        await sync_all()
        assert not ayu.notices and not rina.notices
        await concurrent_edit(rina, ayu, note.id, sync_all)
    finally:
        await site.close()


async def test_a_big_note_is_drawn_in_a_worker(demo):
    rina, _, _ = demo
    lines = [f"- line {n}: {'word ' * 8}" for n in range(800)]  # ~40 KB, past BIG_TEXT
    rina.submit("note.create", {"title": "Big", "text": "# Big\n\n" + "\n".join(lines)})
    async with make_app(rina).run_test(size=SIZE) as pilot:
        screen = await open_notes(pilot)
        assert screen.note.title == "Big"  # the newest first
        await settle(pilot)
        shown = shown_text(screen)
        assert "Preparing" not in shown and "line 799" in shown
        await pilot.press("b")
        await settle(pilot)
        assert "│ - line 799" in shown_text(screen)
