"""A list to pick several from, whose box says which are picked: ✓ in it, or empty.

Textual's SelectionList draws the same X in every box and tells picked from not picked
by colour alone, which is lost in monochrome, on 16 colours and to colour-blind eyes
(the rota's volunteers all read "X" picked or not). This draws the box as Textual does
and puts the mark in it; Textual is pinned to one version, and a test reads the boxes.
"""

from rich.segment import Segment
from textual.strip import Strip
from textual.widgets import SelectionList
from textual.widgets.option_list import OptionDoesNotExist

PICKED, NOT_PICKED = "✓", " "


class PickList(SelectionList[str]):
    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        try:
            option = self.get_option_at_index(self.scroll_offset.y + y)
        except OptionDoesNotExist:
            return strip  # below the last option: no box
        segments = list(strip)  # the box's left side, its inside, its right side, …
        inside = segments[1]
        mark = PICKED if option.value in self.selected else NOT_PICKED
        segments[1] = Segment(mark, inside.style, inside.control)
        return Strip(segments, strip.cell_length)
