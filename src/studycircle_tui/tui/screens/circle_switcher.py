"""Your circles on this device, to switch between them, and your name in this one.

Choosing another circle closes the app with that circle's id as its return value; the
command that started the app opens it next (a circle's service, its store and its sync
loop are made there, never inside a running app). Your name is asked of the service,
so the core's rule (and length) applies."""

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Label, OptionList
from textual.widgets.option_list import Option

from ...sync.engine import CircleRecord, CircleService  # the TUI reads no store itself
from ..actions import bindings_for, key_for
from ..intents import MESSAGE_LINE, ask
from ..visible import visible_line
from .help import HelpScreen


class CircleSwitcherScreen(ModalScreen[str | None]):
    """Dismisses with the id of the circle to open, or None to stay."""

    CSS_PATH = "circle_life.tcss"
    BINDINGS = bindings_for("circles")
    KEY_SCOPES = ("circles",)

    def __init__(self, service: CircleService) -> None:
        super().__init__()
        self.service = service

    def compose(self) -> ComposeResult:
        state = self.service.state
        me = state.members.get(self.service.me)
        with Vertical(id="switcher-box"):
            yield Label("Your circles", classes="title")
            yield OptionList(Option("Looking…", disabled=True), id="circles")
            stay = key_for(self, "circles", "dismiss(None)")
            yield Label(f"enter opens the circle · {stay} stays here", classes="hint")
            with Horizontal(classes="row"):
                name = visible_line(state.name)
                yield Label(f"Your name in {name} (tab, type, enter):", id="you-label")
                yield Input(me.name if me else "", id="my-name", max_length=80, compact=True)
            yield Label("", id="switcher-message", classes=MESSAGE_LINE)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#circles").focus()
        ask(self, self.service.my_circles, done=self._show)

    def _show(self, circles: list[CircleRecord]) -> None:
        here = self.service.record.id
        options = []
        for record in circles:
            where = "server" if record.transport == "server" else "shared file"
            label = Text(visible_line(record.name), style="bold" if record.id == here else "")
            label.append(f"  {where}", style="dim")
            if record.id == here:
                label.append("  (open now)", style="italic")
            options.append(Option(label, id=record.id))
        listed = self.query_one("#circles", OptionList)
        listed.set_options(options)
        listed.highlighted = next((i for i, record in enumerate(circles) if record.id != here), 0)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        chosen = event.option.id
        self.dismiss(None if chosen == self.service.record.id else chosen)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        name = event.value.strip()
        me = self.service.state.members.get(self.service.me)
        if me is not None and name == me.name:
            self._say("That is your name already.")
            return
        said = f"You are {visible_line(name)} in {visible_line(self.service.state.name)} now."
        ask(self, self.service.rename_me, name, done=lambda _: self._say(said))

    def _say(self, text: str) -> None:
        self.query_one("#switcher-message", Label).update(text)

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen.of(self))
