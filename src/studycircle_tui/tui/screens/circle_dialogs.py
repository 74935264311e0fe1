"""Small dialogs of the circle's life on the main screen: how long to focus, what arrived
while focused, and a new channel. Each dismisses with its answer, or None on escape."""

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from ...core.digest import Arrival
from ...sync.engine import CircleService
from ..visible import visible_line
from .dialogs import Dialog

FOCUS_CHOICES = (25, 50, 90)


class FocusScreen(Dialog[int | None]):
    """How long to focus: a few common lengths, or any number of minutes."""

    CSS_PATH = "circle_life.tcss"

    def compose(self) -> ComposeResult:
        with Vertical(id="focus-box"):
            yield Label("Focus on this channel", classes="title")
            yield Label(
                "Other channels are hidden and bells and notices are silent until then.",
                classes="hint",
            )
            yield OptionList(
                *(Option(f"{m} minutes", id=str(m)) for m in FOCUS_CHOICES), id="focus-lengths"
            )
            yield Input(placeholder="or type minutes and press enter", id="focus-minutes")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(int(event.option.id or 0))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        try:
            minutes = int(event.value)
        except ValueError:
            minutes = 0
        if 1 <= minutes <= 24 * 60:
            self.dismiss(minutes)
        else:
            self.notify("Type a number of minutes from 1 to 1440.", severity="warning")


class MeanwhileScreen(Dialog[str | None]):
    """What arrived during focus: threads with new posts, mentions first; enter opens."""

    CSS_PATH = "circle_life.tcss"

    def __init__(self, service: CircleService, arrivals: list[Arrival]) -> None:
        super().__init__()
        self.service = service
        self.arrivals = arrivals

    def compose(self) -> ComposeResult:
        state = self.service.state
        with Vertical(id="meanwhile-box"):
            yield Label("While you were focused", classes="title")
            options = []
            for arrival in self.arrivals:
                thread = state.threads[arrival.thread_id]
                channel = state.channels[arrival.channel_id]
                where = f"#{visible_line(channel.name)} · {visible_line(thread.title)}"
                text = f"{where} · {arrival.posts} new"
                if arrival.mentions:
                    text += f" · {arrival.mentions} mention{'s' * (arrival.mentions > 1)}"
                options.append(Option(text, id=arrival.thread_id))
            # markup=False: the lines quote channel names and thread titles as written.
            yield OptionList(
                *(options or [Option("Nothing new arrived.", disabled=True)]),
                id="arrivals",
                markup=False,
            )

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)


class NewChannelScreen(Dialog[tuple[str, str] | None]):
    """A channel's name and its goal line (moderators and the lead)."""

    CSS_PATH = "circle_life.tcss"

    def compose(self) -> ComposeResult:
        with Vertical(id="channel-box"):
            yield Label("New channel", classes="title")
            yield Input(placeholder="name, e.g. toefl-writing", id="channel-name", max_length=80)
            yield Input(placeholder="its goal, in one line", id="channel-goal", max_length=500)
            hint = f"enter goes on, then creates it · {self.cancel_key()} cancels"
            yield Label(hint, classes="hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        goal = self.query_one("#channel-goal", Input)
        if event.input.id == "channel-name" and not goal.value.strip():
            goal.focus()  # enter after the name goes on to its goal, as the form reads
            return
        name = self.query_one("#channel-name", Input).value.strip().lstrip("#")
        if not name:
            self.query_one("#channel-name", Input).focus()
            return
        self.dismiss((name, self.query_one("#channel-goal", Input).value.strip()))
