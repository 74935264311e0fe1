"""What the main screen does for the circle's health: rules shown on joining and after a
change, participation, schedule (with a notice when a session starts), the suggestion
box, members and the rota, new channels, and focus mode.

A mixin for MainScreen, like PostActions, so main.py stays about layout and navigation.
"""

from datetime import datetime

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from ...core.digest import Arrival, arrivals_since
from ...core.schedule import is_running, next_occurrence
from ...sync.engine import CircleService
from ..visible import visible_line
from .rules import RulesScreen, needs_acceptance
from .schedule import describe_next

MINUTE_MS = 60_000
FOCUS_CHOICES = (25, 50, 90)
TICK_SECONDS = 15.0


class CircleLifeActions:
    """Mixed into MainScreen: needs ``service``, ``channel_id``, ``notify``, ``app``."""

    service: CircleService
    channel_id: str | None

    def init_circle_life(self) -> None:
        self.focus_until_ms = 0
        self.focus_since_ms = 0
        self._rules_shown_version = -1
        self._announced_starts: set[int] = set()

    def start_circle_life(self) -> None:
        self.set_interval(TICK_SECONDS, self._circle_tick)
        # After the first refresh: a modal pushed before this screen has handled its first
        # Resize leaves it without its width class (-narrow, …) behind the modal, as
        # Textual applies breakpoints to the active screen only.
        self.call_after_refresh(self.offer_rules)

    # --- rules ------------------------------------------------------------------------

    def offer_rules(self) -> None:
        """Show the rules once per version while this member has not accepted them."""
        version = self.service.state.rules_version
        if needs_acceptance(self.service) and version != self._rules_shown_version:
            self._rules_shown_version = version
            self.app.push_screen(RulesScreen(self.service))

    def rules_block_posting(self) -> bool:
        """True (and the rules shown) when this member must accept the rules first."""
        if not needs_acceptance(self.service):
            return False
        self.notify("Please read and accept the circle's rules before your first post.")
        self.app.push_screen(RulesScreen(self.service))
        return True

    def action_rules(self) -> None:
        self.app.push_screen(RulesScreen(self.service))

    # --- the other circle screens ------------------------------------------------------

    def action_participation(self) -> None:
        from .participation import ParticipationScreen

        self.app.push_screen(ParticipationScreen(self.service))

    def action_schedule(self) -> None:
        from .schedule import ScheduleScreen

        self.app.push_screen(ScheduleScreen(self.service))

    def action_suggestions(self) -> None:
        from .suggestions import SuggestionScreen

        self.app.push_screen(SuggestionScreen(self.service))

    def action_members(self) -> None:
        from .members import MembersScreen

        self.app.push_screen(MembersScreen(self.service))

    def action_new_channel(self) -> None:
        def create(answer: tuple[str, str] | None) -> None:
            if answer is None:
                return
            name, goal = answer
            op = self._submit("channel.create", {"name": name, "goal": goal})
            if op is not None:
                self.notify(f"Channel #{name} created.")

        self.app.push_screen(NewChannelScreen(), create)

    # --- focus mode -------------------------------------------------------------------

    @property
    def focusing(self) -> bool:
        return self.service.now_ms() < self.focus_until_ms

    def action_focus(self) -> None:
        if self.focusing:
            self.leave_focus()
            return

        def chosen(minutes: int | None) -> None:
            if minutes:
                self.enter_focus(minutes)

        self.app.push_screen(FocusScreen(), chosen)

    def enter_focus(self, minutes: int) -> None:
        now = self.service.now_ms()
        self.focus_since_ms, self.focus_until_ms = now, now + minutes * MINUTE_MS
        self.refresh_after_focus_change()

    def leave_focus(self) -> None:
        since = self.focus_since_ms
        self.focus_until_ms = 0
        self.refresh_after_focus_change()
        arrivals = arrivals_since(self.service.state, self.service.me, since)
        self.app.push_screen(MeanwhileScreen(self.service, arrivals), self._open_arrival)

    def refresh_after_focus_change(self) -> None:
        """Overridden by the screen: redraw the channels and the status line."""

    def refresh_status_line(self) -> None:
        """Overridden by the screen: redraw the status line."""

    def _open_arrival(self, thread_id: str | None) -> None:
        if thread_id:
            self.channel_id = self.service.state.threads[thread_id].channel_id
            self.open_thread(thread_id)

    # --- every few seconds ------------------------------------------------------------

    def _circle_tick(self) -> None:
        if self.focus_until_ms and not self.focusing:
            self.leave_focus()
        now = self.service.now_ms()
        upcoming = next_occurrence(self.service.state.schedule, now)
        starting = upcoming is not None and is_running(upcoming, now)
        if starting and upcoming.start_ms not in self._announced_starts and not self.focusing:
            self._announced_starts.add(upcoming.start_ms)
            title = visible_line(upcoming.session.title)
            self.notify(f"{title} has started.", title="Session", timeout=20)
        self.refresh_status_line()  # the next session moves on; redrawn only if it changed

    def status_extra(self) -> str:
        """The status line's tail: focus mode, else the next session."""
        if self.focusing:
            until = datetime.fromtimestamp(self.focus_until_ms / 1000)
            return f"focus until {until:%H:%M}"
        return describe_next(self.service)


class FocusScreen(ModalScreen[int | None]):
    """How long to focus: a few common lengths, or any number of minutes."""

    CSS_PATH = "circle_life.tcss"
    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]

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


class MeanwhileScreen(ModalScreen[str | None]):
    """What arrived during focus: threads with new posts, mentions first; enter opens."""

    CSS_PATH = "circle_life.tcss"
    BINDINGS = [Binding("escape", "dismiss(None)", "Close")]

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
            yield OptionList(
                *(options or [Option("Nothing new arrived.", disabled=True)]), id="arrivals"
            )

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)


class NewChannelScreen(ModalScreen[tuple[str, str] | None]):
    """A channel's name and its goal line (moderators and the lead)."""

    CSS_PATH = "circle_life.tcss"
    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]

    def compose(self) -> ComposeResult:
        with Vertical(id="channel-box"):
            yield Label("New channel", classes="title")
            yield Input(placeholder="name, e.g. toefl-writing", id="channel-name", max_length=80)
            yield Input(placeholder="its goal, in one line", id="channel-goal", max_length=500)
            yield Label("enter goes on, then creates it · esc cancels", classes="hint")

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
