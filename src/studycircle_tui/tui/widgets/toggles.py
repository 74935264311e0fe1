"""A checkbox and a radio button that show their mark only when on.

Textual's draw the mark (X, ●) either way and tell on from off by colour alone: on a
monochrome terminal (``--color-depth 1``) or a dim theme, an unticked box reads as ticked.
These keep Textual's look and draw a blank when off. Their edges follow the app's
border mode ("[X]" with ASCII borders)."""

from textual.widgets import Checkbox, RadioButton

from ..display import checkbox_edges


class _Edges:
    @property
    def BUTTON_LEFT(self) -> str:
        return checkbox_edges()[0]

    @property
    def BUTTON_RIGHT(self) -> str:
        return checkbox_edges()[1]


class Tick(_Edges, Checkbox):
    @property
    def BUTTON_INNER(self) -> str:
        return "X" if self.value else " "


class Choice(_Edges, RadioButton):
    @property
    def BUTTON_INNER(self) -> str:
        return "●" if self.value else " "
