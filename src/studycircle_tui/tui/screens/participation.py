"""Participation over the last 7 or 30 days: a table with small bars, who only reads,
questions waiting too long, and (for the lead) nudges."""

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Label, Static

from ...core import permissions
from ...core.participation import Report, report, visible_to
from ...sync.engine import CircleService
from ..actions import bindings_for
from ..messages import CircleChanged
from ..visible import visible_line
from .help import HelpScreen

BAR_WIDTH = 12
UNANSWERED_DAYS = 3


def bar(value: int, largest: int, width: int = BAR_WIDTH) -> str:
    """A bar of eighth-blocks, so small differences still show."""
    if largest <= 0 or value <= 0:
        return ""
    eighths = max(1, round(value / largest * width * 8))
    full, rest = divmod(eighths, 8)
    return "█" * full + ("▏▎▍▌▋▊▉"[rest - 1] if rest else "")


class ParticipationScreen(ModalScreen[None]):
    CSS_PATH = "circle_life.tcss"
    BINDINGS = bindings_for("participation")
    KEY_SCOPES = ("participation",)

    def __init__(self, service: CircleService, days: int = 7) -> None:
        super().__init__()
        self.service = service
        self.days = days

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="participation-box"):
            yield Label("", id="participation-title", classes="title")
            yield DataTable(id="participation-table", cursor_type="row", zebra_stripes=True)
            yield Static(id="participation-summary")
            yield Static(id="participation-nudges")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(
            "Member", "Posts", "Answers", "Accepted", "Verified", "Quizzes", "Notes", "Activity"
        )
        self._show()

    def on_circle_changed(self, message: CircleChanged) -> None:
        self._show()

    def action_days(self, days: int) -> None:
        self.days = days
        self._show()

    def _show(self) -> None:
        service = self.service
        full = report(service.state, service.now_ms(), self.days, UNANSWERED_DAYS)
        shown = visible_to(full, service.state, service.me)
        self.query_one("#participation-title", Label).update(
            f"Participation · last {self.days} days"
            + ("" if shown is full else " · your own numbers and the circle's")
        )
        self._fill_table(shown)
        self._fill_summary(shown)

    def _fill_table(self, shown: Report) -> None:
        table = self.query_one(DataTable)
        table.clear()
        largest = max((entry.total for entry in shown.members), default=0)
        for entry in [*shown.members, shown.totals]:
            is_total = entry is shown.totals
            name = Text(
                "Circle total" if is_total else visible_line(entry.name),
                style="bold" if is_total else "",
            )
            table.add_row(
                name,
                entry.posts,
                entry.answers,
                entry.accepted,
                entry.verified,
                entry.quizzes,
                entry.notes_edited,
                Text("" if is_total else bar(entry.total, largest), style="green"),
            )

    def _fill_summary(self, shown: Report) -> None:
        lines = [
            f"Members who only read: {shown.readers_only}",
            f"Open questions: {len(shown.unanswered)}; waiting more than "
            f"{UNANSWERED_DAYS} days: {len(shown.waiting_long)}",
        ]
        lines += [f"  · {visible_line(thread.title)}" for thread in shown.waiting_long[:5]]
        self.query_one("#participation-summary", Static).update("\n".join(lines))
        service = self.service
        leads = permissions.leads(service.state, service.me, service.now_ms())
        nudges = "\n".join(f"→ {nudge}" for nudge in shown.nudges) if leads else ""
        self.query_one("#participation-nudges", Static).update(
            f"Nudges\n{nudges}" if nudges else ""
        )

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen.of(self))
