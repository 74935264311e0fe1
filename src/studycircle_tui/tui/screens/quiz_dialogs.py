"""A small quiz dialog: how to score a live run before its lobby opens. It dismisses with
its answer, or None on escape. (Exporting the results is in export.py.)"""

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, RadioSet

from ..visible import visible_line
from ..widgets.toggles import Choice, Tick


@dataclass(frozen=True, slots=True)
class LiveSettings:
    scoring: str  # "accuracy" | "speed"
    streak: bool
    top_n: int


class LiveSettingsScreen(ModalScreen[LiveSettings | None]):
    CSS_PATH = "quiz.tcss"
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, open_keys: bool) -> None:
        super().__init__()
        self.quiz_title = title
        self.open_keys = open_keys

    def compose(self) -> ComposeResult:
        with Vertical(classes="quiz-dialog"):
            yield Label(f"Run “{visible_line(self.quiz_title)}” live", classes="quiz-title")
            if self.open_keys:
                yield Label(
                    "Its answers are already in the circle's log (it was shared for "
                    "practice): anyone could look them up.",
                    classes="quiz-warning",
                )
            with RadioSet(id="quiz-scoring"):
                yield Choice("Accuracy: points for right answers", value=True, id="quiz-accuracy")
                yield Choice(
                    "Speed: full points within 0.5 s, half at the deadline", id="quiz-speed"
                )
            yield Tick("Streak bonus: +10% for each right answer in a row", id="quiz-streak")
            with Horizontal(classes="quiz-row"):
                yield Label("Leaderboard shows the top ", classes="quiz-inline")
                yield Input("5", id="quiz-top-n", type="integer", max_length=3)
            yield Label("", id="quiz-dialog-error", classes="quiz-warning")
            with Horizontal(classes="quiz-buttons"):
                yield Button("Open lobby", variant="primary", id="quiz-ok")
                yield Button("Cancel", id="quiz-cancel")

    def on_mount(self) -> None:
        self.query_one("#quiz-ok", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "quiz-cancel":
            self.dismiss(None)
            return
        self._done()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._done()

    def _done(self) -> None:
        text = self.query_one("#quiz-top-n", Input).value.strip()
        if not text.isdigit() or not 1 <= int(text) <= 100:
            self.query_one("#quiz-dialog-error", Label).update("Top N is a number from 1 to 100.")
            return
        scoring = "speed" if self.query_one(RadioSet).pressed_index == 1 else "accuracy"
        streak = self.query_one("#quiz-streak", Tick).value
        self.dismiss(LiveSettings(scoring, streak, int(text)))

    def action_cancel(self) -> None:
        self.dismiss(None)
