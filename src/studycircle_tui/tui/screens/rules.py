"""The circle's goal and rules: shown on joining (and once after each change) until the
member accepts them, and one key away afterwards."""

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Footer, Label, Markdown

from ...sync.engine import CircleService
from ..actions import bindings_for, key_for
from ..intents import ask
from ..messages import CircleChanged
from ..visible import visible, visible_line
from .help import HelpScreen


def needs_acceptance(service: CircleService) -> bool:
    """True while this member has not accepted the circle's current rules."""
    state = service.state
    member = state.members.get(service.me)
    if member is None or not state.rules.strip():
        return False  # a goal alone is shown, not something to accept
    return member.rules_accepted < state.rules_version


def rules_first(node: Widget, service: CircleService) -> bool:
    """True, and the rules shown, when this member must accept them before posting."""
    if not needs_acceptance(service):
        return False
    node.notify("Please read and accept the circle's rules before your first post.")
    node.app.push_screen(RulesScreen(service))
    return True


class RulesScreen(ModalScreen[bool]):
    """Dismisses with True once accepted (or when there was nothing to accept)."""

    CSS_PATH = "circle_life.tcss"
    BINDINGS = bindings_for("rules")
    KEY_SCOPES = ("rules",)

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
                    accept = key_for(self, "rules", "accept")
                    yield Button(f"Accept  {accept}", variant="primary", id="accept")
                yield Button(f"Close  {key_for(self, 'rules', 'later')}", id="later")
        yield Footer()

    def _shown(self) -> tuple[object, ...]:
        state = self.service.state
        return (state.name, state.goal, state.rules, needs_acceptance(self.service))

    def on_mount(self) -> None:
        self._was = self._shown()

    async def on_circle_changed(self, message: CircleChanged) -> None:
        if self._shown() != self._was:  # the rules changed while read, or were accepted
            self._was = self._shown()
            await self.recompose()
            self.refresh_bindings()

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
            ask(self, self.service.accept_rules)  # a "no" shows on the screen below
        self.dismiss(True)

    def action_later(self) -> None:
        self.dismiss(not needs_acceptance(self.service))

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen.of(self))
