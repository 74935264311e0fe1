"""Opening the notes pane does no work twice: no stylesheet parsed again, no screen
restyled because a class was set after its widgets mounted, no restyle per footer key;
the circle, folded before the app starts, is out of the collector's sight from the
start; and a big text's first piece is small. Each was measured on a 1 MB note
(bench/notes.py, about 410 → 300 ms of the app's CPU); here is what each does."""

import gc

import pytest
from note_helpers import demo_with_ayu, make_app, until

from studycircle_tui.tui import compat
from studycircle_tui.tui.screens.notes import NotesScreen
from studycircle_tui.tui.widgets.note_render import FIRST_PIECE, PIECE, text_strips

SIZE = (120, 40)


@pytest.fixture
def rina(tmp_path, monkeypatch):
    return demo_with_ayu(tmp_path, monkeypatch)[0]


def test_the_app_puts_the_folded_circle_out_of_the_collector_s_sight(rina):
    gc.unfreeze()
    gc.set_threshold(700, 10, 10)
    try:
        notes = rina.state.notes
        assert any(thing is notes for thing in gc.get_objects())
        make_app(rina)
        assert gc.get_threshold() == (5_000, 10, 1_000)
        assert not any(thing is notes for thing in gc.get_objects())  # frozen: not scanned
    finally:
        gc.unfreeze()


async def open_notes_watching(pilot) -> tuple[NotesScreen, list[tuple[object, bool]], list[int]]:
    """Press N, and note every restyle asked for meanwhile (the node, and whether it had
    widgets in it) and every re-read of the app's stylesheets."""
    app = pilot.app
    restyled: list[tuple[object, bool]] = []
    reparsed: list[int] = []
    update_styles, reparse = app.update_styles, app.stylesheet.reparse

    def restyle(node, animate: bool = True) -> None:
        restyled.append((node, bool(node.children)))
        update_styles(node, animate)

    def read_again() -> None:
        reparsed.append(1)
        reparse()

    app.update_styles = restyle
    app.stylesheet.reparse = read_again
    await pilot.press("N")
    await until(pilot, lambda: isinstance(app.screen, NotesScreen))
    screen = app.screen
    await until(pilot, lambda: screen.focused is screen.query_one("#notes-list"))
    return screen, restyled, reparsed


async def test_opening_the_notes_pane_reads_no_stylesheet_again(rina):
    async with make_app(rina).run_test(size=SIZE) as pilot:
        await pilot.pause()
        _, _, reparsed = await open_notes_watching(pilot)
        assert reparsed == []  # notes.tcss was read with the app's own


async def test_a_footer_s_keys_mount_compact_without_a_restyle_each(rina):
    async with make_app(rina).run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen, restyled, _ = await open_notes_watching(pilot)
        keys = [key for key in screen.query("Footer *") if compat.is_footer_key(key)]
        assert keys and all(key.has_class("-compact") for key in keys)  # as Textual sets it
        assert not [node for node, _ in restyled if compat.is_footer_key(node)]


async def test_the_notes_screen_is_restyled_whole_once_as_textual_shows_it(rina):
    async with make_app(rina).run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen, restyled, _ = await open_notes_watching(pilot)
        whole = [node for node, filled in restyled if node is screen and filled]
        # Textual's own, as the screen resumes: its width and pane classes came before
        # its widgets did.
        assert len(whole) == 1
        assert screen.has_class("-wide") and screen.has_class("-pane-list")


def test_a_big_text_s_first_piece_is_a_tall_screenful_and_the_rest_come_bigger():
    text = "".join(f"line {n}\n" for n in range(1_000))
    pieces = [len(piece) for piece in text_strips(text, 80)]
    assert pieces[0] == FIRST_PIECE < PIECE == pieces[1]
    assert sum(pieces) == 1_000
