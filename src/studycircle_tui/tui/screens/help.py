"""``?``: the keys of the screen it was asked on, read from the same table that makes the
bindings, with the member's own keys where they remapped one."""

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Label, Static

from ..actions import SCOPES, bindings_for, key_for, key_label, keymap_of, scope_actions

SEARCH_HELP = (
    "Search finds words anywhere in a word, ignoring case and accents "
    "(cafe finds Café; pergi finds bepergian). Filters: author:NAME (or author:me), "
    "in:CHANNEL, is:question, is:unanswered, is:discussion, is:answered. "
    'Quotes keep words together: "default list".'
)


def help_table(scopes: tuple[str, ...], keymap: dict[str, str] | None = None) -> Group:
    """One short table per place, keys on the left, what they do on the right."""
    parts: list[RenderableType] = []
    shown_title = ""
    table = Table.grid()
    for scope in scopes:
        title = SCOPES[scope].title
        if title != shown_title:  # scopes of one place share its table
            shown_title = title
            table = Table.grid(padding=(0, 2))
            table.add_column(style="bold", no_wrap=True, width=8)
            table.add_column()
            parts += [Text(title, style="bold underline"), table, Text()]
        for action in scope_actions(scope):
            if action.listed:
                table.add_row(key_label(action, keymap), action.help)
    return Group(*parts)


class HelpScreen(ModalScreen[None]):
    BINDINGS = bindings_for("help")
    KEY_SCOPES = ("help",)

    def __init__(self, scopes: tuple[str, ...]) -> None:
        super().__init__()
        self.scopes = scopes

    @classmethod
    def of(cls, screen: Screen) -> "HelpScreen":
        """The keys of ``screen`` (its ``KEY_SCOPES``)."""
        return cls(getattr(screen, "KEY_SCOPES", ()))

    def compose(self) -> ComposeResult:
        with Vertical(id="help", classes="dialog dialog-wide"):
            yield Label("Keys", classes="dialog-title")
            with VerticalScroll():
                yield Static(help_table(self.scopes, keymap_of(self)), id="help-keys")
                if "screen" in self.scopes:
                    yield Static(Text(SEARCH_HELP, style="italic"), classes="dialog-text")
            yield Label(f"{key_for(self, 'help', 'close')} closes", classes="dialog-hint")

    def action_close(self) -> None:
        self.dismiss(None)
