"""A checkbox and a radio button that show their mark only when on, and a set of radio
buttons whose arrow keys pick.

Textual's draw the mark (X, ●) either way and tell on from off by colour alone: on a
monochrome terminal (``--color-depth 1``) or a dim theme, an unticked box reads as ticked.
These keep Textual's look and draw a blank when off."""

from textual.widgets import Checkbox, RadioButton, RadioSet


class Tick(Checkbox):
    @property
    def BUTTON_INNER(self) -> str:
        return "X" if self.value else " "


class Choice(RadioButton):
    @property
    def BUTTON_INNER(self) -> str:
        return "●" if self.value else " "


class Choices(RadioSet):
    """Arrows pick the choice they move to, as in a form's radio group elsewhere.
    Textual's only move a highlight that enter or space then picks: a new member who
    pressed ↓ to "Question" and went on to write started a discussion."""

    def action_next_button(self) -> None:
        super().action_next_button()
        self._pick()

    def action_previous_button(self) -> None:
        super().action_previous_button()
        self._pick()

    def _pick(self) -> None:
        if self.has_focus:  # not the highlight Textual sets as the set mounts
            self.action_toggle_button()
