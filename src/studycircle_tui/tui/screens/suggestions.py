"""The suggestion box: members suggest (optionally anonymously), the lead marks each
planned, done or declined, with a reply."""

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Label, OptionList, Select
from textual.widgets.option_list import Option

from ...core.ops import OpError
from ...core.state import Suggestion
from ...sync.engine import CircleService, Refused
from ..visible import name_of, visible, visible_line
from ..widgets.toggles import Tick

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
    BINDINGS = [Binding("escape", "dismiss(None)", "Close")]

    def __init__(self, service: CircleService) -> None:
        super().__init__()
        self.service = service

    def compose(self) -> ComposeResult:
        is_lead = self.service.state.role_of(self.service.me) == "lead"
        with VerticalScroll(id="suggestion-box"):
            yield Label("Suggestion box", classes="title")
            yield OptionList(id="suggestions")
            yield Input(placeholder="Your suggestion for the circle", id="suggestion-text")
            with Horizontal(classes="row"):
                yield Tick("Anonymous to other members", id="anonymous")
                yield Button("Suggest", id="suggest", variant="primary")
            if self.service.transport.kind == "local file":
                yield Label(FILE_CIRCLE_WARNING, id="anonymous-warning", classes="hint")
            if is_lead:
                with Horizontal(classes="row", id="resolve-row"):
                    yield Select(
                        [("Planned", "planned"), ("Done", "done"), ("Declined", "declined")],
                        value="planned",
                        allow_blank=False,
                        id="suggestion-status",
                    )
                    yield Input(placeholder="Reply to the selected suggestion", id="reply")
                    yield Button("Mark", id="resolve")
            yield Label("", id="suggestion-message")
        yield Footer()

    def on_mount(self) -> None:
        self._show()
        self.query_one("#suggestion-text", Input).focus()  # most come here to suggest

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "suggestion-text":
            self.query_one("#suggest", Button).press()

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
        listed.set_options(options or [Option("No suggestions yet: be the first.", disabled=True)])
        if options and listed.highlighted is None:
            listed.highlighted = 0  # what the lead's Mark applies to is always shown

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "suggest":
            text = self.query_one("#suggestion-text", Input).value.strip()
            anonymous = self.query_one("#anonymous", Tick).value
            if text and self._submit("suggestion.create", {"text": text, "anonymous": anonymous}):
                self.query_one("#suggestion-text", Input).value = ""
        elif event.button.id == "resolve":
            suggestions = self.query_one("#suggestions", OptionList)
            option = suggestions.highlighted_option
            if option is None or option.id is None:
                self._say("Pick a suggestion first.")
                return
            self._submit(
                "suggestion.resolve",
                {
                    "suggestion": option.id,
                    "status": self.query_one("#suggestion-status", Select).value,
                    "reply": self.query_one("#reply", Input).value.strip(),
                },
            )

    def _submit(self, type_name: str, data: dict) -> bool:
        try:
            self.service.submit(type_name, data)
        except (Refused, OpError) as error:
            self._say(f"Not done: {error}")
            return False
        self._say("Saved.")
        self._show()
        return True

    def _say(self, text: str) -> None:
        message = self.query_one("#suggestion-message", Label)
        message.update(text)
        message.scroll_visible()
