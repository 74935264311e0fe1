"""The circle's goal and rules: shown on joining (and once after each change) until the
member accepts them, and one key away afterwards."""

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Label, Markdown

from ...sync.engine import CircleService
from ..visible import visible, visible_line


def needs_acceptance(service: CircleService) -> bool:
    """True while this member has not accepted the circle's current rules."""
    state = service.state
    member = state.members.get(service.me)
    if member is None or not state.rules.strip():
        return False  # a goal alone is shown, not something to accept
    return member.rules_accepted < state.rules_version


class RulesScreen(ModalScreen[bool]):
    """Dismisses with True once accepted (or when there was nothing to accept)."""

    CSS_PATH = "circle_life.tcss"
    BINDINGS = [
        Binding("a", "accept", "Accept", show=True),
        Binding("escape", "later", "Close"),
    ]

    def __init__(self, service: CircleService) -> None:
        super().__init__()
        self.service = service

    def compose(self) -> ComposeResult:
        state = self.service.state
        pending = needs_acceptance(self.service)
        with VerticalScroll(id="rules-box"):
            yield Label(f"Welcome to {visible_line(state.name)}", classes="title")
            if state.goal:
                yield Label("Our goal", classes="heading")
                yield Markdown(visible(state.goal), id="goal")
            if state.rules:
                heading = (
                    "Our rules (changed since you last read them)"
                    if (pending and self._accepted_before())
                    else "Our rules"
                )
                yield Label(heading, classes="heading")
                yield Markdown(visible(state.rules), id="rules")
            if pending:
                yield Label("Please accept them before your first post.", id="ask")
            with Horizontal(classes="buttons"):
                if pending:
                    yield Button("Accept  a", variant="primary", id="accept")
                yield Button("Close  esc", id="later")
        yield Footer()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # "a Accept" in the footer only while there is something to accept.
        return needs_acceptance(self.service) if action == "accept" else True

    def _accepted_before(self) -> bool:
        member = self.service.state.members.get(self.service.me)
        return member is not None and member.rules_accepted >= 0

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "accept":
            self.action_accept()
        else:
            self.action_later()

    def action_accept(self) -> None:
        if needs_acceptance(self.service):
            self.service.submit("rules.accept", {"version": self.service.state.rules_version})
        self.dismiss(True)

    def action_later(self) -> None:
        self.dismiss(not needs_acceptance(self.service))
