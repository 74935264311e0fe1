"""``?``: every key, read from the same table that makes the bindings."""

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from ..actions import ACTIONS, SCOPE_TITLES, key_label

SEARCH_HELP = (
    "Search finds words anywhere in a word, ignoring case and accents "
    "(cafe finds Café; pergi finds bepergian). Filters: author:NAME (or author:me), "
    "in:CHANNEL, is:question, is:unanswered, is:discussion, is:answered. "
    'Quotes keep words together: "default list".'
)


def help_table() -> Group:
    """One short table per place, keys on the left, what they do on the right."""
    parts: list[RenderableType] = []
    shown_title = ""
    for scope, title in SCOPE_TITLES.items():
        if title != shown_title:  # scopes of one place share its table
            shown_title = title
            table = Table.grid(padding=(0, 2))
            table.add_column(style="bold", no_wrap=True, width=8)
            table.add_column()
            parts += [Text(title, style="bold underline"), table, Text()]
        for action in ACTIONS:
            if action.scope == scope and action.listed:
                table.add_row(key_label(action), action.help)
        if scope == "lists":
            table.add_row("↑↓/jk", "Move in a list.")
            table.add_row("enter", "Open the channel, thread or result.")
        if scope == "screen":
            table.add_row("1-9", "Open the channel with that number in the list.")
            table.add_row("tab", "Move to the next pane.")
            table.add_row("^p", "Command palette: every action by name.")
            table.add_row("^q", "Quit (your draft is kept).")
    return Group(*parts)


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "close", "Close")]

    def compose(self) -> ComposeResult:
        with Vertical(id="help", classes="dialog dialog-wide"):
            yield Label("Keys", classes="dialog-title")
            with VerticalScroll():
                yield Static(help_table())
                yield Static(Text(SEARCH_HELP, style="italic"), classes="dialog-text")
            yield Label("esc or ? closes", classes="dialog-hint")

    def action_close(self) -> None:
        self.dismiss(None)
