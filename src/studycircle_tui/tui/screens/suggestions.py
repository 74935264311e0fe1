"""The suggestion box: members suggest (optionally anonymously), the lead marks each
planned, done or declined, with a reply."""

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Label, OptionList, Select
from textual.widgets.option_list import Option

from ...core.state import Suggestion
from ...sync.engine import CircleService
from ..actions import bindings_for
from ..intents import MESSAGE_LINE, ask, may
from ..messages import CircleChanged
from ..visible import name_of, visible, visible_line
from ..widgets.toggles import Tick
from .help import HelpScreen

STATUS_STYLE = {"open": "yellow", "planned": "cyan", "done": "green", "declined": "dim"}
FILE_CIRCLE_WARNING = (
    "In a file circle everyone who has the file can read who wrote what: "
    "'anonymous' cannot hide your name here."
)


def author_label(service: CircleService, suggestion: Suggestion) -> str:
    """Who wrote it, as this viewer may see it: anonymous ones show no name to members."""
    if suggestion.anonymous and suggestion.author != service.me:
        return "anonymous"
    name = name_of(service.state, suggestion.author)
    return f"{name} (anonymous to others)" if suggestion.anonymous else name


class SuggestionScreen(ModalScreen[None]):
    CSS_PATH = "circle_life.tcss"
    BINDINGS = bindings_for("suggestions")
    KEY_SCOPES = ("suggestions",)

    def __init__(self, service: CircleService) -> None:
        super().__init__()
        self.service = service

    def compose(self) -> ComposeResult:
        resolves = may(self.service, "suggestion.resolve")
        with VerticalScroll(id="suggestion-box"):
            yield Label("Suggestion box", classes="title")
            yield OptionList(id="suggestions")
            yield Input(placeholder="Your suggestion for the circle", id="suggestion-text")
            with Horizontal(classes="row"):
                yield Tick("Anonymous to other members", id="anonymous")
                yield Button("Suggest", id="suggest", variant="primary")
            if not self.service.can_hide_authors:
                yield Label(FILE_CIRCLE_WARNING, id="anonymous-warning", classes="hint")
            if resolves:
                with Horizontal(classes="row", id="resolve-row"):
                    yield Select(
                        [("Planned", "planned"), ("Done", "done"), ("Declined", "declined")],
                        value="planned",
                        allow_blank=False,
                        id="suggestion-status",
                    )
                    yield Input(placeholder="Reply to the selected suggestion", id="reply")
                    yield Button("Mark", id="resolve")
            yield Label("", id="suggestion-message", classes=MESSAGE_LINE)
        yield Footer()

    def on_mount(self) -> None:
        self._show()
        self.query_one("#suggestion-text", Input).focus()  # most come here to suggest

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "suggestion-text":
            self.query_one("#suggest", Button).press()

    def on_circle_changed(self, message: CircleChanged) -> None:
        self._show()  # suggestions and replies by others show at once

    def _show(self) -> None:
        options = []
        for suggestion in sorted(
            self.service.state.suggestions.values(), key=lambda s: s.created_ms, reverse=True
        ):
            label = Text.assemble(
                (f"[{suggestion.status}] ", STATUS_STYLE[suggestion.status]),
                visible(suggestion.text),
                (f"  — {author_label(self.service, suggestion)}", "dim"),
            )
            if suggestion.reply:
                label.append(f"\n    lead: {visible_line(suggestion.reply)}", style="italic")
            options.append(Option(label, id=suggestion.id))
        listed = self.query_one("#suggestions", OptionList)
        chosen = listed.highlighted_option.id if listed.highlighted_option else None
        listed.set_options(options or [Option("No suggestions yet: be the first.", disabled=True)])
        ids = [option.id for option in options]
        if chosen in ids:
            listed.highlighted = ids.index(chosen)  # Mark still applies to what it did
        elif options:
            listed.highlighted = 0  # what the lead's Mark applies to is always shown

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "suggest":
            text = self.query_one("#suggestion-text", Input).value.strip()
            anonymous = self.query_one("#anonymous", Tick).value
            if text:
                ask(
                    self,
                    self.service.suggest,
                    text,
                    anonymous,
                    done=lambda _: self._suggested(text),
                )
        elif event.button.id == "resolve":
            suggestions = self.query_one("#suggestions", OptionList)
            option = suggestions.highlighted_option
            if option is None or option.id is None:
                self._say("Pick a suggestion first.")
                return
            ask(
                self,
                self.service.resolve_suggestion,
                option.id,
                self.query_one("#suggestion-status", Select).value,
                self.query_one("#reply", Input).value.strip(),
                done=self._saved,
            )

    def _suggested(self, text: str) -> None:
        box = self.query_one("#suggestion-text", Input)
        if box.value.strip() == text:  # not what was typed since
            box.value = ""
        self._saved(None)

    def _saved(self, _op: object) -> None:
        self._say("Saved.")
        self._show()

    def _say(self, text: str) -> None:
        message = self.query_one("#suggestion-message", Label)
        message.update(text)
        message.scroll_visible()

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen.of(self))
