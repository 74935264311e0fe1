"""How a note's changes are drawn (tui/widgets/note_render.py)."""

from rich.text import Text

from studycircle_tui.tui.widgets.note_render import (
    NotePalette,
    _render,
    diff_strips,
    text_strips,
    visible,
)

PALETTE = NotePalette.from_variables({})  # no theme colours: what a monochrome screen shows


def test_every_row_of_a_wrapped_added_line_keeps_its_mark():
    old = "Tuple itu tetap.\n"
    new = old + "- Tuple itu tidak bisa diubah: " + "kalimat yang sangat panjang " * 4 + "\n"
    rows = [strip.text.rstrip() for piece in diff_strips(old, new, 40, PALETTE) for strip in piece]
    added = [row for row in rows if "kalimat" in row or "Tuple itu tidak" in row]
    assert len(added) > 2  # it wraps at 40 columns
    assert all(row.startswith("+ ") for row in added)
    assert "  Tuple itu tetap." in rows  # context rows stay unmarked


def test_a_big_text_is_drawn_in_pieces_that_add_up_to_the_whole():
    text = "".join(f"line {n} " + "word " * (n % 30) + "\n" for n in range(1_000)) + "\n\nend"
    pieces = list(text_strips(text, 50))
    assert len(pieces) > 3 and len(pieces[0]) >= 100  # the first is a tall screenful
    whole = _render(Text(visible(text), end=""), 50)
    assert [strip.text for piece in pieces for strip in piece] == [strip.text for strip in whole]
    for ending in ("a\nb\n", "a\n\n\nb\n\n", "\n", ""):
        drawn = [strip.text for piece in text_strips(ending, 10) for strip in piece]
        assert drawn == [strip.text for strip in _render(Text(ending, end=""), 10)]
