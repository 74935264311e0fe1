"""The circle's recurring sessions, shown in this member's local time, with an editor for
moderators and the lead, and export as an iCalendar (.ics) file."""

from datetime import datetime

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.events import Key
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Label, OptionList, Select
from textual.widgets.option_list import Option

from ...core import permissions
from ...core.schedule import is_running, occurrence_around
from ...i18n import N_
from ...localzone import local_zone_name
from ...sync.engine import CircleService
from ..actions import bindings_for
from ..intents import MESSAGE_LINE, ask, may, say_no, say_why_not
from ..messages import CircleChanged
from ..visible import visible_line
from .help import HelpScreen

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
    BINDINGS = bindings_for("schedule")
    KEY_SCOPES = ("schedule",)

    def __init__(self, service: CircleService) -> None:
        super().__init__()
        self.service = service

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="schedule-box", can_focus=False):
            yield Label("Schedule", classes="title")
            yield Label(f"Times in your zone ({datetime.now().astimezone():%Z})", classes="hint")
            yield OptionList(id="sessions", markup=False)  # titles as their authors wrote them
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
            yield Label("", id="schedule-message", classes=MESSAGE_LINE)
        yield Footer()

    def _file_stem(self) -> str:
        return "".join(c if c.isalnum() else "-" for c in self.service.state.name).strip("-")

    def _may_edit(self) -> permissions.Verdict:
        return may(self.service, "schedule.set")

    def why_not(self, action: str) -> str | None:
        """Why changing the schedule is not offered (moderators and the lead do it)."""
        return self._may_edit().reason if action in ("add", "remove") else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.why_not(action) is None

    def on_key(self, event: Key) -> None:
        if say_why_not(self, event.key, self.KEY_SCOPES):
            event.stop()

    def on_mount(self) -> None:
        may_edit = bool(self._may_edit())
        self.query_one("#session-form").display = may_edit
        self._show()
        # Where the hands are: typing a session's title (the lead), else the list. Never
        # the scrolling box, where letters typed fall through to the hotkeys.
        self.query_one("#title" if may_edit else "#sessions").focus()

    def on_circle_changed(self, message: CircleChanged) -> None:
        self.query_one("#session-form").display = bool(self._may_edit())
        self._show()  # a session added or removed by someone else shows at once

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
        highlighted = sessions.highlighted
        sessions.set_options(options or [Option("No sessions yet.", disabled=True)])
        if options and highlighted is not None:
            sessions.highlighted = min(highlighted, len(options) - 1)

    def _say(self, text: str) -> None:
        message = self.query_one("#schedule-message", Label)
        message.update(text)
        message.scroll_visible()  # below the fold on a 24-row terminal

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "add":
            self.action_add()

    def action_add(self) -> None:
        verdict = self._may_edit()
        if not verdict:
            say_no(self, verdict.reason or "", N_("Not saved"))
            return
        try:
            minutes = int(self.query_one("#minutes", Input).value or "60")
        except ValueError:
            say_no(self, N_("minutes must be a whole number"), N_("Not saved"))
            return
        ask(
            self,
            self.service.add_session,
            self.query_one("#title", Input).value.strip(),
            self.query_one("#weekday", Select).value,
            self.query_one("#time", Input).value.strip(),
            self.query_one("#tz", Input).value.strip(),
            minutes,
            done=self._saved,
            heading=N_("Not saved"),
        )

    def action_remove(self) -> None:
        highlighted = self.query_one("#sessions", OptionList).highlighted
        if highlighted is None or highlighted >= len(self.service.state.schedule):
            return
        ask(
            self,
            self.service.remove_session,
            highlighted,
            done=self._saved,
            heading=N_("Not saved"),
        )

    def _saved(self, _op: object) -> None:
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

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen.of(self))
