"""The app's footer (widgets/footer.py) is rebuilt only when the keys it shows change:
a focus move between widgets offering the same keys keeps its keys, one that offers
another key shows it. Textual's own footer, the control, rebuilds on every move."""

from textual.app import App, ComposeResult
from textual.widget import Widget
from textual.widgets import Footer

from studycircle_tui.tui import compat
from studycircle_tui.tui.widgets.footer import AppFooter


class Plain(Widget, can_focus=True):
    DEFAULT_CSS = "Plain { height: 1; }"


class WithMore(Plain):
    BINDINGS = [("m", "bell", "More")]


class Moves(App[None]):
    BINDINGS = [("a", "bell", "Ring")]

    def __init__(self, footer_type: type[Footer]) -> None:
        super().__init__()
        self.footer_type = footer_type

    def compose(self) -> ComposeResult:
        yield Plain(id="one")
        yield Plain(id="two")
        yield WithMore(id="more")
        yield self.footer_type()


def keys(app: App) -> list[Widget]:
    return [node for node in app.query_one(Footer).children if compat.is_footer_key(node)]


async def moved(footer_type: type[Footer]) -> tuple[list[Widget], list[Widget], list[str]]:
    """The footer's keys on #one, then on #two (same keys), then what #more shows."""
    async with Moves(footer_type).run_test(size=(60, 6)) as pilot:
        app = pilot.app
        app.query_one("#one").focus()
        await pilot.pause()
        await pilot.pause()
        on_one = keys(app)
        app.query_one("#two").focus()
        await pilot.pause()
        await pilot.pause()
        on_two = keys(app)
        app.query_one("#more").focus()
        await pilot.pause()
        await pilot.pause()
        shown = [key.description for key in keys(app)]  # type: ignore[attr-defined]
    return on_one, on_two, shown


async def test_the_footer_is_rebuilt_only_when_its_keys_change():
    textuals_one, textuals_two, textuals_shown = await moved(Footer)
    assert textuals_one and not set(textuals_one) & set(textuals_two)  # the control
    on_one, on_two, shown = await moved(AppFooter)
    assert on_one and on_two == on_one  # the same key widgets: not rebuilt
    assert "More" in shown and shown == textuals_shown  # rebuilt when the keys change
