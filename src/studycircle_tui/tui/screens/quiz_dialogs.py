"""A small quiz dialog: how to score and pace a live run before its lobby opens. It
dismisses with its answer, or None on escape. (Exporting the results is in export.py.)"""

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, RadioSet

from ..visible import visible_line
from ..widgets.toggles import Choice, Tick
from .dialogs import Dialog

HANDS_FREE_SECONDS = 8  # the leaderboard's time between questions, unless changed


@dataclass(frozen=True, slots=True)
class LiveSettings:
    scoring: str  # "accuracy" | "speed"
    streak: bool
    top_n: int
    hands_free: int = 0  # seconds of leaderboard between questions; 0: the lead goes on


def _number(text: str, low: int, high: int) -> int | None:
    text = text.strip()
    return int(text) if text.isdigit() and low <= int(text) <= high else None


class LiveSettingsScreen(Dialog[LiveSettings | None]):
    CSS_PATH = "quiz.tcss"

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
            yield Tick(
                "Hands-free: reveal each answer, then go on by itself",
                id="quiz-hands-free",
            )
            with Horizontal(classes="quiz-row", id="quiz-hands-free-row"):
                yield Label("Leaderboard between questions for ", classes="quiz-inline")
                yield Input(
                    str(HANDS_FREE_SECONDS), id="quiz-hands-free-s", type="integer", max_length=3
                )
                yield Label(" s", classes="quiz-inline")
            yield Label("", id="quiz-dialog-error", classes="quiz-warning")
            with Horizontal(classes="quiz-buttons"):
                yield Button("Open lobby", variant="primary", id="quiz-ok")
                yield Button("Cancel", id="quiz-cancel")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "quiz-cancel":
            self.dismiss(None)
            return
        self._done()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._done()

    def on_mount(self) -> None:
        # On the first choice to make, not on "Open lobby": an early enter would open a
        # lobby with settings never looked at. Enter on the top-N field opens it.
        self.query_one("#quiz-scoring", RadioSet).focus()
        self._show_hands_free(False)

    def on_checkbox_changed(self, event: Tick.Changed) -> None:
        if event.checkbox.id == "quiz-hands-free":
            self._show_hands_free(event.value)

    def _show_hands_free(self, on: bool) -> None:
        self.query_one("#quiz-hands-free-row").display = on

    def _done(self) -> None:
        error = self.query_one("#quiz-dialog-error", Label)
        top_n = _number(self.query_one("#quiz-top-n", Input).value, 1, 100)
        if top_n is None:
            error.update("Top N is a number from 1 to 100.")
            return
        hands_free = 0
        if self.query_one("#quiz-hands-free", Tick).value:
            seconds = _number(self.query_one("#quiz-hands-free-s", Input).value, 1, 600)
            if seconds is None:
                error.update("The leaderboard shows for 1 to 600 seconds.")
                return
            hands_free = seconds
        scoring = "speed" if self.query_one(RadioSet).pressed_index == 1 else "accuracy"
        streak = self.query_one("#quiz-streak", Tick).value
        self.dismiss(LiveSettings(scoring, streak, top_n, hands_free))
