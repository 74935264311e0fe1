"""Each private Textual (or Rich) API that ``tui/compat.py`` wraps still behaves as the
app relies on. A Textual upgrade that changes one of them fails here, by name.

The end-to-end checks live beside the features: the changed-cells layer in a real
terminal (test_low_bandwidth.py: the same screen as Textual's own full redraws, for a
fraction of the bytes), the link probe there too (the terminal receives ``ESC [6n``).
"""

import inspect
import io
import os
import signal
import sys
import threading

import pyte
import pytest
from rich.color import ColorSystem
from rich.console import Console
from rich.style import Style
from textual._compositor import Compositor
from textual.app import App, ComposeResult, InvalidThemeError
from textual.dom import DOMNode
from textual.drivers._writer_thread import WriterThread
from textual.drivers.linux_driver import LinuxDriver
from textual.geometry import Size
from textual.notifications import Notification, Notify
from textual.reactive import reactive
from textual.screen import ModalScreen, Screen
from textual.scroll_view import ScrollView
from textual.widget import Widget
from textual.widgets import Footer, Static

from ptyterm import cells
from studycircle_tui.tui import compat
from studycircle_tui.tui.changed_cells import ShadowScreen
from studycircle_tui.tui.widgets.footer import AppFooter

SIZE = (30, 8)


class Board(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("one", id="one")
        yield Static("two", id="two")


async def test_textual_displays_each_screen_update_through_app_display_as_we_read_it():
    """Screens hand every update to ``app._display`` (looked up on the instance, so one
    put there sees them), as a LayoutUpdate or ChopsUpdate; ``screen_update`` reads the
    cells out of each exactly as Textual would write them."""
    app = Board()
    updates = []
    async with app.run_test(size=SIZE) as pilot:
        display = app._display

        def recording(screen, renderable) -> None:
            updates.append(renderable)
            display(screen, renderable)

        app._display = recording
        app.refresh(layout=True)  # a full redraw
        await pilot.pause()
        app.query_one("#two", Static).update("three")  # a change to one widget
        await pilot.pause()
    kinds = {type(update) for update in updates}
    assert {compat.LayoutUpdate, compat.ChopsUpdate} <= kinds
    console = Console(color_system="256", force_terminal=True, file=io.StringIO())
    textual, ours = pyte.Screen(*SIZE), pyte.Screen(*SIZE)
    textual_stream, ours_stream = pyte.ByteStream(textual), pyte.ByteStream(ours)
    shadow = ShadowScreen()
    shadow.resize(*SIZE)
    for update in updates:
        textual_stream.feed(update.render_segments(console).encode())
        ours_stream.feed(shadow.render(compat.screen_update(update), console).encode())
        assert cells(ours) == cells(textual)
    assert "three" in "\n".join(textual.display)


def test_app_display_writes_only_when_the_conditions_we_mirror_hold():
    """``replace_screen_updates`` must not count as drawn what ``App._display`` drops:
    the checks it mirrors are the ones Textual makes, on attributes that exist."""
    source = inspect.getsource(App._display)
    for condition in (
        "self._batch_count",
        "self._running",
        "not self._closed",
        "not self.is_headless",
        "self._driver is not None",
        "renderable.render_segments(console)",
    ):
        assert condition in source, condition
    app = Board()
    assert (app._running, app._closed, app._driver, app._batch_count) == (False, False, None, 0)
    assert not compat._will_write(app)
    with app.batch_update():
        assert app._batch_count == 1


def test_sgr_parameters_are_what_rich_writes():
    console = Console(color_system="256", force_terminal=True, file=io.StringIO())
    style = Style(bold=True, color="#ff8800", bgcolor="blue", underline=True)
    parameters = compat.sgr_parameters(style, console)
    assert parameters
    written = style.render("x", color_system=ColorSystem.EIGHT_BIT)
    assert written == f"\x1b[{parameters}mx\x1b[0m"
    no_colour = Console(color_system=None, force_terminal=True, file=io.StringIO())
    assert compat.sgr_parameters(style, no_colour) == ""


async def test_nothing_is_written_to_a_terminal_that_is_not_there():
    app = Board()
    assert not compat.write_to_terminal(app, "\x1b[6n")  # not started: no driver
    async with app.run_test(size=SIZE):
        assert app._driver is not None
        assert not compat.write_to_terminal(app, "\x1b[6n")  # headless


async def test_a_linux_driver_s_writes_to_a_terminal_gone_are_dropped_and_its_writer_ends():
    """The Linux driver writes the screen to ``_file`` (the process's stderr) through its
    writer thread; wrapped, writes to a hung-up terminal fail quietly, so the thread takes
    every one and stops when told (unwrapped it dies on the first, and the app's next
    writes block once its queue is full)."""
    handlers = {number: signal.getsignal(number) for number in (signal.SIGTSTP, signal.SIGCONT)}
    try:
        driver = LinuxDriver(Board())
    finally:
        for number, handler in handlers.items():
            signal.signal(number, handler)
    assert driver._file is sys.__stderr__
    leader, follower = os.openpty()
    os.close(leader)  # the terminal hangs up: writing to it fails (EIO)
    with os.fdopen(follower, "w") as gone:
        driver._file = gone
        compat.outlive_the_terminal(driver)
        writer = WriterThread(driver._file)
        writer.start()

        def frames() -> None:
            for _ in range(100):
                writer.write("a frame\n")
            writer.stop()

        drawing = threading.Thread(target=frames, daemon=True)
        drawing.start()
        drawing.join(30)
        assert not drawing.is_alive() and not writer.is_alive()
        assert driver._file.gone


def toasts_on_screen(app: App) -> list[str]:
    return [str(toast.render()) for toast in app.screen.query("Toast")]


async def test_a_withdrawn_toast_is_gone_once_the_next_one_shows():
    """``withdraw_notification`` takes a toast out of the app's notifications, as
    Textual's own Toast does when clicked away; the rack drops it with the next toast."""
    async with Board().run_test(size=(60, 16), notifications=True) as pilot:
        app = pilot.app
        first = Notification("first", "", "information", 60)
        app.post_message(Notify(first))  # what App.notify posts, keeping the Notification
        await pilot.pause()
        assert [text for text in toasts_on_screen(app) if "first" in text]
        compat.withdraw_notification(app, first)
        assert first not in app._notifications
        compat.withdraw_notification(app, first)  # already gone: nothing to do
        app.notify("second", timeout=60)
        await pilot.pause()
        await pilot.pause()
        shown = toasts_on_screen(app)
    assert len(shown) == 1 and "second" in shown[0], shown


class Lines(ScrollView):
    DEFAULT_CSS = "Lines { height: 1fr; overflow-y: scroll; }"


async def test_scrollbars_follow_a_virtual_size_set_without_a_relayout():
    """A line-API view that sets its virtual size quietly (``set_reactive``, no
    relayout) has its scrollbar sized by ``update_scrollbars``."""

    class Host(App[None]):
        def compose(self) -> ComposeResult:
            yield Lines()

    async with Host().run_test(size=SIZE) as pilot:
        view = pilot.app.query_one(Lines)
        size = Size(10, 100)
        view.set_reactive(ScrollView.virtual_size, size)
        assert view.vertical_scrollbar.window_virtual_size != 100  # not yet: the control
        compat.update_scrollbars(view, size)
        assert view.vertical_scrollbar.window_virtual_size == 100
        assert view.vertical_scrollbar.window_size == view.container_size.height


class Source(Widget):
    value = reactive(0)

    def compose(self) -> ComposeResult:
        yield Target().data_bind(Source.value)


class Target(Widget):
    value = reactive(0)


async def test_watchers_of_a_removed_widget_can_be_dropped():
    """``data_bind`` keeps a watcher on the source for each bound widget, under the
    attribute ``__watchers``; removing the widget does not drop it."""

    class Host(App[None]):
        def compose(self) -> ComposeResult:
            yield Source()

    async with Host().run_test(size=SIZE) as pilot:
        source = pilot.app.query_one(Source)
        watchers = getattr(source, "__watchers")
        assert [node for node, _ in watchers["value"]] == [source.query_one(Target)]
        await source.query_one(Target).remove()
        assert len(watchers["value"]) == 1  # still there: what the footer works around
        compat.drop_watchers_on_detached(source)
        assert watchers["value"] == []


async def test_a_theme_set_before_start_is_as_textual_sets_it_without_reading_the_css_again():
    """``theme_before_start`` leaves an app as setting ``app.theme`` would (its classes,
    its ANSI colours' filter, its styles), without the second reading of all the CSS."""

    class Themed(App[None]):
        CSS = "Static { background: $primary; color: $text; }"
        refreshed = 0

        def compose(self) -> ComposeResult:
            yield Static("x")

        def refresh_css(self, animate: bool = True) -> None:
            self.refreshed += 1
            super().refresh_css(animate)

    async def started(set_theme) -> tuple:
        app = Themed()
        set_theme(app)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            ansi = [f._terminal_theme for f in app._filters if hasattr(f, "_terminal_theme")]
            styles = pilot.app.query_one(Static).styles
            look = (styles.background, styles.color, app.current_theme.name)
            return app.refreshed, sorted(app.classes), ansi, look

    by_textual = await started(lambda app: setattr(app, "theme", "textual-light"))
    ours = await started(lambda app: compat.theme_before_start(app, "textual-light"))
    assert by_textual[0] == 1 and ours[0] == 0  # the refresh Textual's watcher queues
    assert ours[1:] == by_textual[1:] and "-light-mode" in ours[1]
    with pytest.raises(InvalidThemeError):
        compat.theme_before_start(Themed(), "no-such-theme")


def test_tree_sitter_loads_markdown_and_nothing_that_is_not_there():
    assert compat.tree_sitter_language("markdown") is not None  # textual[syntax]
    assert compat.tree_sitter_language("no-such-language") is None


async def test_footer_keys_made_compact_before_they_mount_are_styled_once(monkeypatch):
    """``is_footer_key`` finds the footer's keys (and nothing else), whose ``compact``
    watcher only adds ``-compact`` once mounted, restyling each key alone: Textual's own
    compact footer restyles its keys so, the app's (given the class before mounting)
    does not, and its keys end with the same classes."""
    restyled: list[DOMNode] = []
    original = DOMNode.update_node_styles

    def counted(node: DOMNode, animate: bool = True) -> None:
        if compat.is_footer_key(node):
            restyled.append(node)
        original(node, animate)

    monkeypatch.setattr(DOMNode, "update_node_styles", counted)

    class WithFooter(App[None]):
        BINDINGS = [("a", "bell", "Ring"), ("b", "bell", "Again")]

        def __init__(self, footer_type: type[Footer]) -> None:
            super().__init__()
            self.footer_type = footer_type

        def compose(self) -> ComposeResult:
            yield Static("text")
            yield self.footer_type(compact=True)

    async def keys_shown(footer_type: type[Footer]) -> list[frozenset[str]]:
        async with WithFooter(footer_type).run_test(size=(60, 8)) as pilot:
            await pilot.pause()
            footer = pilot.app.query_one(footer_type)
            keys = [node for node in footer.children if compat.is_footer_key(node)]
            assert len(keys) == 2 and not compat.is_footer_key(pilot.app.query_one(Static))
            return [frozenset(key.classes) for key in keys]

    textuals = await keys_shown(Footer)
    assert restyled  # the control: Textual's own keys are restyled one by one
    restyled.clear()
    ours = await keys_shown(AppFooter)
    assert not restyled
    assert ours == textuals and all("-compact" in classes for classes in ours)


class Under(Screen[None]):
    def compose(self) -> ComposeResult:
        yield Static("under")

    def on_notify(self, message: Notify) -> None:
        """Any message it handles: a circle change reaches every screen of the stack."""


class Over(Screen[None]):
    def compose(self) -> ComposeResult:
        yield Static("over")


class Dialog(ModalScreen[None]):
    def compose(self) -> ComposeResult:
        yield Static("dialog")


async def _full_renders_of_the_top_while_the_one_under_handles_messages(
    app: App[None], top: Screen[None], monkeypatch
) -> int:
    renders: list[int] = []
    original = Compositor.render_full_update

    def counted(self, *args, **options):
        renders.append(1)
        return original(self, *args, **options)

    async with app.run_test(size=SIZE) as pilot:
        under = Under()
        await app.push_screen(under)
        await app.push_screen(top)
        await pilot.pause()
        monkeypatch.setattr(Compositor, "render_full_update", counted)
        for _ in range(3):
            under.post_message(Notify(Notification("news")))
            await pilot.pause()
        monkeypatch.undo()
        return len(renders)


async def test_textual_redraws_the_whole_top_screen_when_the_screen_under_it_is_idle(
    monkeypatch,
):
    """What ``ShowsOnlyWhatIsSeen`` is for: in Textual the screen under an opaque one is
    'current', and each message it handles repaints the whole top screen."""
    drawn = await _full_renders_of_the_top_while_the_one_under_handles_messages(
        Board(), Over(), monkeypatch
    )
    assert drawn >= 2


async def test_a_screen_under_an_opaque_one_is_not_drawn_and_under_a_dialog_it_shows(
    monkeypatch,
):
    class Quiet(compat.ShowsOnlyWhatIsSeen[None]):
        pass

    drawn = await _full_renders_of_the_top_while_the_one_under_handles_messages(
        Quiet(), Over(), monkeypatch
    )
    assert drawn == 0
    async with Quiet().run_test(size=SIZE) as pilot:
        under = Under()
        await pilot.app.push_screen(under)
        await pilot.app.push_screen(Dialog())
        await pilot.pause()
        assert under.is_current  # seen through the dialog's translucent background
        await pilot.app.push_screen(Over())
        await pilot.pause()
        assert not under.is_current


class Growing(App[None]):
    def __init__(self, text: type[Static]) -> None:
        super().__init__()
        self.text = text

    def compose(self) -> ComposeResult:
        yield self.text("one line", id="grows")


class OnceText(Static, compat.LaidOutOnce):
    pass


async def _layouts_when_a_text_grows(text: type[Static], monkeypatch) -> int:
    layouts: list[int] = []
    original = Screen._refresh_layout

    def counted(screen, *args, **options):
        layouts.append(1)
        return original(screen, *args, **options)

    async with Growing(text).run_test(size=SIZE) as pilot:
        await pilot.pause()
        monkeypatch.setattr(Screen, "_refresh_layout", counted)
        pilot.app.query_one("#grows", Static).update("one\ntwo\nthree")
        for _ in range(5):
            await pilot.pause()
        monkeypatch.undo()
        assert pilot.app.query_one("#grows").size.height == 3
    return len(layouts)


async def test_a_size_a_layout_found_asks_for_another_layout_but_not_in_a_laid_out_once(
    monkeypatch,
):
    """What ``LaidOutOnce`` is for: Textual lays the screen out again after a layout
    that changed a widget's size; a ``LaidOutOnce`` widget takes its size as it is."""
    assert await _layouts_when_a_text_grows(Static, monkeypatch) == 2
    assert await _layouts_when_a_text_grows(OnceText, monkeypatch) == 1
