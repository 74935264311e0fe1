"""A checkbox and a radio button that show their mark only when on.

Textual's draw the mark (X, ●) either way and tell on from off by colour alone: on a
monochrome terminal (``--color-depth 1``) or a dim theme, an unticked box reads as ticked.
These keep Textual's look and draw a blank when off."""

from textual.widgets import Checkbox, RadioButton


class Tick(Checkbox):
    @property
    def BUTTON_INNER(self) -> str:
        return "X" if self.value else " "


class Choice(RadioButton):
    @property
    def BUTTON_INNER(self) -> str:
        return "●" if self.value else " "
