"""The circle's goal and rules: shown on joining (and once after each change) until the
member accepts them, and one key away afterwards."""

from collections.abc import Callable

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Footer, Label

from ...sync.engine import CircleService
from ..actions import bindings_for, key_for
from ..intents import ask, may
from ..messages import CircleChanged
from ..visible import visible, visible_line
from .circle_settings import CircleSettingsScreen
from .help import HelpScreen


def needs_acceptance(service: CircleService) -> bool:
    """True while this member has not accepted the circle's current rules."""
    state = service.state
    member = state.members.get(service.me)
    if member is None or not state.rules.strip():
        return False  # a goal alone is shown, not something to accept
    return member.rules_accepted < state.rules_version


def rules_first(node: Widget, service: CircleService, then: Callable[[], object]) -> bool:
    """True when this member must accept the rules before posting: they are shown, and
    ``then`` runs once they are accepted (so what was written is sent, not lost)."""
    if not needs_acceptance(service):
        return False
    node.notify("Please accept the circle's rules first: what you wrote is sent once you do.")

    def answered(accepted: bool | None) -> None:
        if accepted and not needs_acceptance(service):
            then()

    node.app.push_screen(RulesScreen(service), answered)
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
        # Textual's Markdown (and its parser) loads when the rules are first shown: the
        # main screen imports this module, and its first frame needs none of it.
        from textual.widgets import Markdown

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
            if not (state.goal or state.rules):
                yield Label("No goal or rules yet.", classes="hint")
            with Horizontal(classes="buttons"):
                if pending:
                    accept = key_for(self, "rules", "accept")
                    yield Button(f"Accept  {accept}", variant="primary", id="accept")
                if self._may_change():
                    change = key_for(self, "rules", "settings")
                    yield Button(f"Change them  {change}", id="settings")
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
        if action == "accept":
            return needs_acceptance(self.service)
        return self._may_change() if action == "settings" else True

    def _may_change(self) -> bool:
        """The lead may change the goal and rules (moderators only channels: they use S)."""
        return bool(may(self.service, "circle.update"))

    def _accepted_before(self) -> bool:
        member = self.service.state.members.get(self.service.me)
        return member is not None and member.rules_accepted >= 0

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "accept":
            self.action_accept()
        elif event.button.id == "settings":
            self.action_settings()
        else:
            self.action_later()

    def action_accept(self) -> None:
        if needs_acceptance(self.service):
            # Closed once accepted, so what waited for it (a post) finds it done.
            ask(self, self.service.accept_rules, done=lambda _: self.dismiss(True))
        else:
            self.dismiss(True)

    def action_settings(self) -> None:
        self.app.push_screen(CircleSettingsScreen(self.service))

    def action_later(self) -> None:
        self.dismiss(not needs_acceptance(self.service))

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen.of(self))
