"""Every use of Textual's (and Rich's) private API, in one place.

The app needs a few things Textual does not offer publicly. Each is wrapped here in a
function that says what it is for, and tests/tui/test_compat.py checks, for each, that
the private thing still behaves as relied on: a Textual upgrade that changes one fails
there, in one place, rather than somewhere on screen. Textual is pinned exactly
(pyproject.toml), and bumping it means running that test first.

What is here, and who needs it:
- the screen updates Textual is about to write to the terminal, and a way to send
  other text instead (the changed-cells display layer, ``changed_cells.py``);
- the SGR codes Rich writes for a style (same);
- writing a query straight to the terminal (the slow-link probe in ``preferences.py``);
- the file Textual's Linux driver writes the screen to, so that a terminal gone away
  does not stop the app from ending (``terminal_driver.py``);
- withdrawing a toast, so one said again replaces it (``notices.py``);
- redrawing a line-API view's scrollbars without a relayout (``widgets/thread_view.py``);
- dropping a widget's reactive watchers on widgets gone from the DOM (``widgets/footer.py``);
- the footer's key widget, to give each key its compact look before it mounts (same);
- setting the theme of an app not yet running without the second reading of all its
  CSS that Textual's theme watcher queues (``preferences.py``);
- whether tree-sitter can load a grammar (``widgets/note_editor.py``);
- the app whose code is running now: one ssh-serve worker runs many players' apps in
  one process, and each draws times in its own format (``timefmt.py``);
- Textual's parser of what a terminal sends (keys, mouse, paste, focus, resize): the
  ssh-serve driver feeds it the bytes of each player's SSH channel
  (``remote/session_driver.py``);
- which screens under the top one can be seen: none under an opaque screen (the app,
  ``ShowsOnlyWhatIsSeen``);
- a widget's size, found by a layout, taken without asking for another layout (the
  quiz screens' widgets, ``LaidOutOnce``).
"""

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO, TypeGuard

from rich.console import Console
from rich.style import Style
from textual._compositor import ChopsUpdate, CompositorUpdate, LayoutUpdate
from textual._context import active_app
from textual._xterm_parser import XTermParser
from textual.app import App, InvalidThemeError, ReturnType
from textual.dom import DOMNode
from textual.geometry import Size
from textual.notifications import Notification
from textual.screen import Screen
from textual.strip import Strip
from textual.widget import Widget

if TYPE_CHECKING:
    from textual.widgets._footer import FooterKey

# --- the screen updates Textual writes --------------------------------------------------


@dataclass
class ScreenUpdate:
    """What one screen update draws: for each row it touches, the strips it places on
    that row from left to right (column, strip). ``size`` is set for a full layout
    (the whole screen redrawn): the width and height it covers."""

    rows: list[tuple[int, list[tuple[int, Strip]]]]
    size: tuple[int, int] | None = None


def screen_update(renderable: object) -> ScreenUpdate | None:
    """The cells a compositor update draws, or None for anything else Textual displays."""
    if isinstance(renderable, LayoutUpdate):
        region = renderable.region
        rows = []
        for y, line in enumerate(renderable.strips, region.y):
            pieces, x = [], region.x
            for strip in line:
                pieces.append((x, strip))
                x += strip.cell_length
            rows.append((y, pieces))
        return ScreenUpdate(rows, (region.right, region.bottom))
    if isinstance(renderable, ChopsUpdate):
        return ScreenUpdate(list(_chopped_rows(renderable)))
    return None


def _chopped_rows(update: ChopsUpdate) -> Iterator[tuple[int, list[tuple[int, Strip]]]]:
    """A partial update: each span (y, x1, x2) of the screen that changed, cut out of the
    chops (the strips of the widgets lying on that row)."""
    for y, x1, x2 in update.spans:
        pieces = []
        chops = update.chops[y].items()
        for end, (x, strip) in zip(update.chop_ends[y], chops, strict=False):
            if strip is None or x > x2 or end <= x1:
                continue
            if not (x2 > x >= x1 and end <= x2):
                strip = strip.crop(0, min(end, x2) - x)
            pieces.append((x, strip))
        yield y, pieces


class _Text(CompositorUpdate):
    """A compositor update whose terminal text is already worked out."""

    def __init__(self, text: str) -> None:
        self.text = text

    def render_segments(self, console: Console) -> str:
        return self.text


def replace_screen_updates(app: App, replace: Callable[[ScreenUpdate], str | None]) -> None:
    """From now on, each screen update Textual is about to write to ``app``'s terminal is
    given to ``replace``, which returns the text to write instead (empty: nothing), or
    None to let Textual write its own. Updates Textual would not write (the app not
    running, headless, inside a batch) are not shown to ``replace``: they never reach
    the terminal, so they must not count as drawn."""
    display = app._display

    def replaced(screen, renderable) -> None:
        update = screen_update(renderable) if _will_write(app) else None
        text = None if update is None else replace(update)
        if text == "":
            return
        display(screen, renderable if text is None else _Text(text))

    app._display = replaced  # an instance attribute, in front of App._display


def _will_write(app: App) -> bool:
    """The checks ``App._display`` makes before it writes."""
    return bool(
        app._running
        and not app._closed
        and not app.is_headless
        and app._driver is not None
        and not app._batch_count
    )


def sgr_parameters(style: Style, console: Console) -> str:
    """The parameters of the SGR sequence Rich writes for ``style`` on ``console`` (e.g.
    ``1;38;5;208``); empty for a plain style or a console without colour."""
    if console.color_system is None:
        return ""
    return style._make_ansi_codes(console._color_system)  # type: ignore[arg-type]


# --- the terminal itself ---------------------------------------------------------------


def write_to_terminal(app: App, text: str) -> bool:
    """Write ``text`` (a control sequence) straight to the terminal; False if there is
    none (headless, or not started)."""
    driver = app._driver
    if driver is None or app.is_headless:
        return False
    driver.write(text)
    driver.flush()
    return True


class _TerminalOutput:
    """The terminal's file, until writing to it fails (EIO: the terminal hung up); from
    then on its descriptor is pointed at /dev/null: there is no one left to see, and what
    the file still holds would fail again when Python flushes it at exit (exit status
    120)."""

    def __init__(self, file: TextIO) -> None:
        self._file = file
        self.gone = False

    def write(self, text: str) -> None:
        self._attempt(self._file.write, text)

    def flush(self) -> None:
        self._attempt(self._file.flush)

    def _attempt(self, action: Callable, *args: str) -> None:
        try:
            action(*args)
        except OSError:
            if self.gone:
                return
            self.gone = True
            nowhere = os.open(os.devnull, os.O_WRONLY)
            os.dup2(nowhere, self._file.fileno())
            os.close(nowhere)

    def fileno(self) -> int:
        return self._file.fileno()


def outlive_the_terminal(driver: object) -> None:
    """Let a Linux driver's screen writes fail quietly once its terminal is gone. Its
    writer thread writes ``driver._file`` and dies on the first error; the updates that
    follow then fill its queue, and the app's loop blocks on the next one, so the app
    never finishes ending."""
    driver._file = _TerminalOutput(driver._file)  # type: ignore[attr-defined]


# --- screens under another -----------------------------------------------------------


class ShowsOnlyWhatIsSeen(App[ReturnType]):
    """An app whose screens under an opaque one are not drawn.

    Textual counts the screen right under the top one as seen through it whatever the
    top screen's background (``App._background_screens``), so that screen stays
    "current": each message it handles (every circle change reaches every screen of the
    stack) ends in an idle that repaints it whole, and a covered screen's repaint
    refreshes the whole top screen, which then renders every cell again. In an
    ssh-serve worker that was a full render of each player's live quiz at each of the
    room's answers: about a third of the worker's drawing (bench/ssh_sessions.py).
    Under an opaque screen nothing shows (``Screen.render`` blends the screen below only
    into a translucent background), so none is drawn; a screen shown again is laid out
    and drawn whole (``Screen._on_screen_resume``). Dialogs, translucent, still show
    what is under them."""

    @property
    def _background_screens(self) -> list[Screen]:
        stack = self._screen_stack
        if stack and stack[-1].styles.background.a == 1:
            return []
        return super()._background_screens


# --- layout ---------------------------------------------------------------------------


class LaidOutOnce(Widget):
    """A widget that takes the size a layout found without asking for another layout.

    Textual hands a widget its new size through the ``virtual_size`` reactive, which
    asks for a layout: so every layout that changes a widget's size is followed by a
    second layout of the whole screen, which finds every widget where the first put it.
    A live quiz changes shape at each step (a question asked, an answer given, the
    close, the reveal) in every player's app; in an ssh-serve worker that second layout
    was paid fifteen times a step. Textual itself takes sizes this way when it only
    scrolls (``Screen._refresh_layout(scroll=True)``). A scrollbar that comes or goes
    still asks for its layout (it narrows what is beside it)."""

    def _size_updated(
        self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True
    ) -> bool:
        return super()._size_updated(size, virtual_size, container_size, layout=False)


# --- toasts ---------------------------------------------------------------------------


def withdraw_notification(app: App, notification: Notification) -> None:
    """Take ``notification`` off ``app``'s toasts, if it still shows (as Textual's own
    Toast does when clicked away); the rack is redrawn with the next toast."""
    if notification in app._notifications:
        app._unnotify(notification, refresh=False)


# --- scrolling ------------------------------------------------------------------------


def update_scrollbars(widget: Widget, virtual_size: Size) -> None:
    """Give ``widget``'s scrollbars a new virtual size, as a relayout would, without
    the screen-wide relayout that assigning ``virtual_size`` costs."""
    widget._scroll_update(virtual_size)


# --- reactives --------------------------------------------------------------------


def drop_watchers_on_detached(node: DOMNode) -> None:
    """Forget the reactive watchers ``node`` keeps for widgets no longer in the DOM
    (``data_bind`` adds one per bound widget and removes it only when the watched value
    itself changes)."""
    watchers = getattr(node, "__watchers", {})
    for name, watching in watchers.items():
        watchers[name] = [(other, callback) for other, callback in watching if other.is_attached]


def is_footer_key(widget: Widget) -> TypeGuard["FooterKey"]:
    """Whether ``widget`` is one of the footer's keys (``FooterKey``: its ``compact``
    watcher adds the ``-compact`` class once the key is mounted, restyling it alone; the
    footer translates its description and tooltip)."""
    from textual.widgets._footer import FooterKey

    return isinstance(widget, FooterKey)


# --- syntax highlighting ---------------------------------------------------------------


def theme_before_start(app: App, name: str) -> None:
    """Make ``name`` the theme of ``app``, which is not running yet, as its watcher
    (``App._watch_theme``) would, but for the ``refresh_css`` it queues: Textual reads the
    CSS at start with the theme then in force, and that refresh parsed every stylesheet
    again and restyled every widget once the first screen was up (~25 ms of a start)."""
    assert not app.is_running, "a running app's theme is set as app.theme"
    if app.get_theme(name) is None:
        raise InvalidThemeError(f"no theme {name!r}")  # as setting app.theme says
    app.set_reactive(App.theme, name)
    theme = app.current_theme
    classes = {cls: False for cls in app.classes if cls.startswith("-theme-")}
    classes |= {f"-theme-{theme.name}": True, "-dark-mode": theme.dark}
    app.update_classes(classes | {"-light-mode": not theme.dark}, update=False)
    app._refresh_truecolor_filter(app.ansi_theme)
    app.stylesheet.set_variables(app.get_css_variables())  # the theme's, for that reading


def tree_sitter_language(name: str) -> object | None:
    """The tree-sitter grammar Textual would load for ``name``, or None if it cannot
    (tree-sitter or the grammar missing, or built for another tree-sitter)."""
    try:
        from textual._tree_sitter import get_language
    except ImportError:  # pragma: no cover - a Textual without tree-sitter support
        return None
    try:
        return get_language(name)
    except Exception:  # a grammar built for another tree-sitter: plain text, not a crash
        return None


# --- many apps in one process (ssh-serve's workers) -------------------------------------


def drawing_app() -> App | None:
    """The app whose code (a render, a handler) is running now; None outside any app."""
    return active_app.get(None)


def terminal_parser() -> XTermParser:
    """A parser that turns what a terminal sends into Textual's events: ``feed(text)``
    yields them as they complete, ``tick()`` the ones a pause completes (a lone ESC)."""
    return XTermParser()
