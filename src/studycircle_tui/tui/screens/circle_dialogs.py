"""Small dialogs of the circle's life on the main screen: how long to focus, what arrived
while focused, and a new channel. Each dismisses with its answer, or None on escape."""

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from ...core.digest import Arrival
from ...i18n import _, ngettext
from ...sync.engine import CircleService
from ..visible import visible_line
from .dialogs import Dialog

FOCUS_CHOICES = (25, 50, 90)


class FocusScreen(Dialog[int | None]):
    """How long to focus: a few common lengths, or any number of minutes."""

    CSS_PATH = "circle_life.tcss"

    def compose(self) -> ComposeResult:
        with Vertical(id="focus-box"):
            yield Label(_("Focus on this channel"), classes="title")
            yield Label(
                _("Other channels are hidden and bells and notices are silent until then."),
                classes="hint",
            )
            lengths = (
                Option(ngettext("{count} minute", "{count} minutes", m).format(count=m), id=str(m))
                for m in FOCUS_CHOICES
            )
            yield OptionList(*lengths, id="focus-lengths")
            yield Input(placeholder=_("or type minutes and press enter"), id="focus-minutes")

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
            self.notify(_("Type a number of minutes from 1 to 1440."), severity="warning")


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
            yield Label(_("While you were focused"), classes="title")
            options = []
            for arrival in self.arrivals:
                thread = state.threads[arrival.thread_id]
                channel = state.channels[arrival.channel_id]
                where = f"#{visible_line(channel.name)} · {visible_line(thread.title)}"
                text = f"{where} · " + _("{count} new").format(count=arrival.posts)
                if arrival.mentions:
                    count = arrival.mentions
                    mentions = ngettext("{count} mention", "{count} mentions", count)
                    text += " · " + mentions.format(count=count)
                options.append(Option(text, id=arrival.thread_id))
            # markup=False: the lines quote channel names and thread titles as written.
            yield OptionList(
                *(options or [Option(_("Nothing new arrived."), disabled=True)]),
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
            yield Label(_("New channel"), classes="title")
            name = _("name, e.g. toefl-writing")
            yield Input(placeholder=name, id="channel-name", max_length=80)
            goal = _("its goal, in one line")
            yield Input(placeholder=goal, id="channel-goal", max_length=500)
            hint = _("enter goes on, then creates it · {key} cancels").format(key=self.cancel_key())
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
