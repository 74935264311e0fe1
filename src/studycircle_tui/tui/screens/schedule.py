"""The circle's recurring sessions, shown in this member's local time, with an editor for
moderators and the lead, and export as an iCalendar (.ics) file."""

from datetime import datetime

from msgspec import structs
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Label, OptionList, Select
from textual.widgets.option_list import Option

from ...core.ops import OpError
from ...core.schedule import is_running, occurrence_around
from ...localzone import local_zone_name
from ...sync.engine import CircleService, Refused
from ..visible import visible_line

DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def describe_next(service: CircleService) -> str:
    """ "next: Weekly session Wed 19:00" for the status line; empty with no schedule."""
    from ...core.schedule import next_occurrence

    now = service.now_ms()
    upcoming = next_occurrence(service.state.schedule, now)
    if upcoming is None:
        return ""
    local = datetime.fromtimestamp(upcoming.start_ms / 1000)
    title = visible_line(upcoming.session.title)
    if is_running(upcoming, now):
        return f"now: {title}"
    return f"next: {title} {local:%a %H:%M}"


class ScheduleScreen(ModalScreen[None]):
    CSS_PATH = "circle_life.tcss"
    BINDINGS = [
        Binding("a", "add", "Add session"),
        Binding("d", "remove", "Remove"),
        Binding("x", "export", "Export .ics"),
        Binding("escape", "dismiss(None)", "Close"),
    ]

    def __init__(self, service: CircleService) -> None:
        super().__init__()
        self.service = service

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="schedule-box"):
            yield Label("Schedule", classes="title")
            yield Label(f"Times in your zone ({datetime.now().astimezone():%Z})", classes="hint")
            yield OptionList(id="sessions")
            with Vertical(id="session-form"):
                yield Input(placeholder="Title, e.g. Weekly book discussion", id="title")
                with Horizontal():
                    yield Select(
                        [(day, index) for index, day in enumerate(DAYS)],
                        value=2,
                        id="weekday",
                        allow_blank=False,
                    )
                    yield Input("19:00", placeholder="HH:MM", id="time")
                    yield Input(local_zone_name(), placeholder="Time zone", id="tz")
                    yield Input("60", placeholder="minutes", id="minutes")
                yield Button("Add session", id="add", variant="primary")
            yield Label("", id="schedule-message")
        yield Footer()

    def _file_stem(self) -> str:
        return "".join(c if c.isalnum() else "-" for c in self.service.state.name).strip("-")

    def on_mount(self) -> None:
        may_edit = self.service.state.is_at_least(self.service.me, "moderator")
        self.query_one("#session-form").display = may_edit
        self._show()

    def _show(self) -> None:
        now = self.service.now_ms()
        options = []
        for index, session in enumerate(self.service.state.schedule):
            upcoming = occurrence_around(session, now)
            local = datetime.fromtimestamp(upcoming.start_ms / 1000)
            when = "on now" if is_running(upcoming, now) else f"next {local:%a %d %b %H:%M}"
            options.append(
                Option(
                    f"{visible_line(session.title)} — {DAYS[session.weekday]}s {session.time} "
                    f"({visible_line(session.tz)}, {session.minutes} min) · {when}",
                    id=str(index),
                )
            )
        sessions = self.query_one("#sessions", OptionList)
        sessions.set_options(options or [Option("No sessions yet.", disabled=True)])

    def _say(self, text: str) -> None:
        message = self.query_one("#schedule-message", Label)
        message.update(text)
        message.scroll_visible()  # below the fold on a 24-row terminal

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "add":
            self.action_add()

    def action_add(self) -> None:
        if not self.service.state.is_at_least(self.service.me, "moderator"):
            self._say("Only moderators and the lead change the schedule.")
            return
        try:
            minutes = int(self.query_one("#minutes", Input).value or "60")
        except ValueError:
            self._say("Minutes must be a whole number.")
            return
        session = {
            "title": self.query_one("#title", Input).value.strip(),
            "weekday": self.query_one("#weekday", Select).value,
            "time": self.query_one("#time", Input).value.strip(),
            "tz": self.query_one("#tz", Input).value.strip(),
            "minutes": minutes,
        }
        current = [structs.asdict(s) for s in self.service.state.schedule]
        self._set([*current, session])

    def action_remove(self) -> None:
        highlighted = self.query_one("#sessions", OptionList).highlighted
        schedule = self.service.state.schedule
        if highlighted is None or highlighted >= len(schedule):
            return
        self._set([structs.asdict(s) for i, s in enumerate(schedule) if i != highlighted])

    def _set(self, sessions: list[dict]) -> None:
        try:
            self.service.submit("schedule.set", {"sessions": sessions})
        except (Refused, OpError) as error:
            self._say(f"Not saved: {error}")
            return
        self._say("Schedule saved.")
        self._show()

    def action_export(self) -> None:
        from .export import Export, offer_export

        export = Export(
            "the schedule as iCalendar (.ics)",
            f"{self._file_stem() or 'schedule'}.ics",
            self.service.schedule_ics(),
        )
        offer_export(self, export)
