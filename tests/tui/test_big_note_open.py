"""Opening a big note does its work once: it is built at the width it is shown (not at a
width the screen passes through while it lays itself out), it is not built again when
the screen asks for the same note at the same width, and the rest of it is built only
once its top is on screen (a build beside it would slow the drawing of that top)."""

import pytest
from note_helpers import demo_with_ayu, make_app, open_notes, settle, shown_text

from studycircle_tui.tui.screens import notes as notes_screen
from studycircle_tui.tui.widgets import note_render
from studycircle_tui.tui.widgets.note_lines import NoteLines


@pytest.fixture
def big(tmp_path, monkeypatch):
    """Rina, with a note past the Markdown limit (drawn as text, in pieces), and what
    each build of it does: the width asked for, and, as each piece after the first is
    made, whether the first was on screen by then."""
    rina, _, _ = demo_with_ayu(tmp_path, monkeypatch)
    lines = [f"baris {n}: sel membran mitosis enzim protein ribosom" for n in range(5000)]
    text = "# Kamus\n" + "\n".join(lines) + "\n"
    assert len(text) > note_render.MARKDOWN_LIMIT
    rina.submit("note.create", {"title": "Kamus", "text": text})
    builds: list[int] = []
    top_drawn: list[bool] = []
    views: list[NoteLines] = []

    def markdown_strips(text: str, width: int):
        builds.append(width)
        made = note_render.markdown_strips(text, width)
        for number, piece in enumerate(made):
            if number and views:
                top_drawn.append(any("# Kamus" in strip.text for strip in views[0]._strips))
            yield piece

    show = NoteLines.show

    def showing(view: NoteLines, *args, **kwargs) -> None:
        views[:] = [view]  # the view the note is built for
        show(view, *args, **kwargs)

    monkeypatch.setattr(notes_screen, "markdown_strips", markdown_strips)
    monkeypatch.setattr(NoteLines, "show", showing)
    return rina, builds, top_drawn


async def test_a_big_note_is_built_once_at_the_width_it_is_shown(big):
    rina, builds, _ = big
    async with make_app(rina).run_test(size=(120, 40)) as pilot:
        screen = await open_notes(pilot)
        assert screen.note.title == "Kamus"
        screen.refresh_view()  # the same note asked for again while it is being built
        await settle(pilot)
        view = screen.query_one(NoteLines)
        assert builds == [view.scrollable_content_region.width]
        assert "baris 4999" in shown_text(screen) and "Preparing" not in shown_text(screen)
        await pilot.resize_terminal(110, 40)  # a new width builds anew, at that width
        await settle(pilot)
        assert builds[1:] == [view.scrollable_content_region.width] != builds[:1]


async def test_the_rest_of_a_big_note_is_built_once_its_top_is_drawn(big):
    rina, _, top_drawn = big
    async with make_app(rina).run_test(size=(120, 40)) as pilot:
        screen = await open_notes(pilot)
        await settle(pilot)
        assert "baris 4999" in shown_text(screen)
    assert len(top_drawn) > 10 and all(top_drawn)
