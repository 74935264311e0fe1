"""How a note's changes are drawn (tui/widgets/note_render.py)."""

from studycircle_tui.tui.widgets.note_render import NotePalette, diff_strips

PALETTE = NotePalette.from_variables({})  # no theme colours: what a monochrome screen shows


def test_every_row_of_a_wrapped_added_line_keeps_its_mark():
    old = "Tuple itu tetap.\n"
    new = old + "- Tuple itu tidak bisa diubah: " + "kalimat yang sangat panjang " * 4 + "\n"
    rows = [strip.text.rstrip() for strip in diff_strips(old, new, 40, PALETTE)]
    added = [row for row in rows if "kalimat" in row or "Tuple itu tidak" in row]
    assert len(added) > 2  # it wraps at 40 columns
    assert all(row.startswith("+ ") for row in added)
    assert "  Tuple itu tetap." in rows  # context rows stay unmarked
