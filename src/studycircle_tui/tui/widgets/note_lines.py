"""A scrolling view of a note's lines (rendered Markdown, a diff, who wrote each line),
drawn with the line API: only the lines on screen are drawn each frame.

What to show is a ``build(width)`` function and a key naming it: it returns the strips,
or yields them in pieces. Small texts are built at once; big ones in a thread worker (a
1 MB note renders in seconds), with "Preparing…" shown until the first piece is there
(the top of the note, in milliseconds) and the rest added as it comes; a build is
dropped if something newer was asked for, and the rest of a big build waits until its
top is on screen (built beside it, it would slow that drawing). A width change builds
again; the same key at the same width does not; the last few builds are kept for
going back. The vertical scrollbar is always there: one that came
and went with the length would change the width, and so the build, and so the length.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from functools import partial

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.worker import get_current_worker

from ... import i18n
from ...i18n import N_, Language, _

Build = Callable[[int], list[Strip] | Iterable[list[Strip]]]
CACHED_BUILDS = 6
# A big build's first piece is on screen within this, or the rest goes on regardless.
FIRST_PAINT_WAIT_S = 5.0


class NoteLines(ScrollView, can_focus=True):
    BINDINGS = [
        Binding("up,k", "scroll_up", N_("Scroll up"), show=False),
        Binding("down,j", "scroll_down", N_("Scroll down"), show=False),
        Binding("left", "scroll_left", N_("Scroll left"), show=False),
        Binding("right", "scroll_right", N_("Scroll right"), show=False),
        Binding("pageup", "page_up", N_("Page up"), show=False),
        Binding("pagedown,space", "page_down", N_("Page down"), show=False),
        Binding("home,g", "scroll_home", N_("To the top"), show=False),
        Binding("end,G", "scroll_end", N_("To the bottom"), show=False),
    ]

    DEFAULT_CSS = """
    NoteLines { background: $surface; padding: 0 1; overflow-y: scroll; overflow-x: auto; }
    NoteLines:focus { background-tint: $foreground 3%; }
    """

    class Built(Message):
        """A piece of a build made in the worker (posted to the view itself); ``done``
        with the last."""

        def __init__(self, build: int, strips: list[Strip], done: bool) -> None:
            self.build, self.strips, self.done = build, strips, done
            super().__init__()

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._key: Hashable = None
        self._build: Build | None = None
        self._big = False
        self._strips: list[Strip] = []
        self._shown: tuple[Hashable, int] | None = None  # (key, width) of what is shown
        self._widest = 0
        self._builds = 0  # builds started: pieces of any but the last are dropped
        self._place = 0  # the row to show at the top once a build has come that far
        self._cache: OrderedDict[tuple[Hashable, int], list[Strip]] = OrderedDict()
        self.waiting = False
        self._drawn = threading.Event()

    @property
    def key(self) -> Hashable:
        return self._key

    @property
    def text(self) -> str:
        """Every line the view holds (not only those on screen), as plain text."""
        return "\n".join(strip.text.rstrip() for strip in self._strips)

    def show(self, key: Hashable, build: Build, *, big: bool = False, top: bool = True) -> None:
        """Show what ``build`` makes; ``big`` builds it in a thread. The same key again
        keeps the place; a new one starts at the top (unless ``top`` is False). What is
        shown, or being built, at this width for the same key is not built again: the
        screen asks again as it lays itself out, and a 1 MB note would start over."""
        same = key == self._key
        self._key, self._build, self._big = key, build, big
        if same and self._shown == (key, self._content_width()):
            return
        if not same and top:
            self.scroll_to(0, 0, animate=False)
            self._place = 0
        else:
            self._hold_place()
        self._rebuild()

    def _hold_place(self) -> None:
        """Remember where the reader is, to come back there as a new build comes in
        (unless an earlier build has not reached the place it was to come back to)."""
        if self._place <= self.scroll_offset.y:
            self._place = self.scroll_offset.y

    def clear_cache(self) -> None:
        """Forget what was built (the theme changed): the next ``show`` builds again."""
        self._cache.clear()
        self._shown = None

    def _content_width(self) -> int:
        return max(10, self.scrollable_content_region.width)

    def _rebuild(self) -> None:
        if self._build is None or not self.is_mounted:
            return
        if not self.size.width:  # not laid out yet: on_resize builds at the real width
            return
        width = self._content_width()
        self._builds += 1  # what an earlier build still sends is dropped
        self.waiting = False
        cached = self._cache.get((self._key, width))
        if cached is not None:
            self._cache.move_to_end((self._key, width))
            self._set(cached, width)
        elif self._big:
            self.waiting = True
            self._drawn.set()  # an earlier build waiting for its top to be drawn: go on, and end
            self._drawn = threading.Event()  # set once this build's top is on screen
            self._set([Strip([Segment(_("Preparing…"), Style(dim=True, italic=True))])], width)
            build = partial(self._build_in_thread, self._builds, self._build, width, self._drawn)
            # On the app, where every worker's failure is said (app.py).
            self.app.run_worker(
                partial(build, i18n.current()),
                thread=True,
                group=f"note-lines-{id(self)}",
                exclusive=True,
                exit_on_error=False,
            )
        else:
            self._keep(self._key, width, _whole(self._build(width)))

    def _build_in_thread(
        self, number: int, build: Build, width: int, drawn: threading.Event, language: Language
    ) -> None:
        # The note is drawn in this session's language (the words and dates a build
        # writes, piece after piece), which the worker's thread would not have of itself.
        with i18n.speaking(language):
            self._build_pieces(number, build, width, drawn)

    def _build_pieces(self, number: int, build: Build, width: int, drawn: threading.Event) -> None:
        made = build(width)
        if isinstance(made, list):
            self.post_message(self.Built(number, made, done=True))
            return
        worker = get_current_worker()
        first = True
        for piece in made:
            if worker.is_cancelled:  # something newer was asked for
                return
            _measure(piece)
            self.post_message(self.Built(number, piece, done=False))
            if first:
                # The rest waits until the top is on screen: built beside it, it would
                # take the interpreter from the thread that draws it, piece after piece.
                first = False
                drawn.wait(FIRST_PAINT_WAIT_S)
        self.post_message(self.Built(number, [], done=True))

    def on_note_lines_built(self, message: Built) -> None:
        message.stop()
        if message.build != self._builds or self._shown is None:
            return
        key, width = self._shown
        if self.waiting:  # the first piece: it takes the place of "Preparing…"
            self.waiting = False
            self._set([], width)
            self.call_after_refresh(self._drawn.set)
        self._add(message.strips)
        if message.done:
            self._remember(key, width, self._strips)

    def _keep(self, key: Hashable, width: int, strips: list[Strip]) -> None:
        self._remember(key, width, strips)
        self._set(strips, width)

    def _remember(self, key: Hashable, width: int, strips: list[Strip]) -> None:
        self._cache[(key, width)] = strips
        while len(self._cache) > CACHED_BUILDS:
            self._cache.popitem(last=False)

    def _set(self, strips: list[Strip], width: int) -> None:
        self._strips, self._widest = [], width
        self._shown = (self._key, width)
        self._add(strips)

    def _add(self, strips: list[Strip]) -> None:
        """More rows at the end (a piece of a build); back at the reader's place once
        the build reaches it."""
        self._strips += strips
        self._widest = max([self._widest, *(strip.cell_length for strip in strips)])
        self.virtual_size = Size(self._widest, len(self._strips))
        if self._place and self.scroll_offset.y < self._place < len(self._strips):
            self.scroll_to(y=self._place, animate=False)
        self.refresh()

    def on_resize(self) -> None:
        # A new width, or shown again after what to show changed while it was hidden.
        if self._build is not None and (self._key, self._content_width()) != self._shown:
            self._hold_place()
            self._rebuild()

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.scrollable_content_region.width
        style = self.rich_style
        if index >= len(self._strips):
            return Strip.blank(width, style)
        strip = self._strips[index].crop_extend(scroll_x, scroll_x + width, None)
        return strip.apply_style(style)

    def action_page_up(self) -> None:
        self.scroll_page_up(animate=False)

    def action_page_down(self) -> None:
        self.scroll_page_down(animate=False)


def _measure(strips: list[Strip]) -> None:
    """Work out each strip's width in the builder's thread: Strip keeps it, so the app's
    thread reads it rather than measuring a 1 MB note's every line itself."""
    for strip in strips:
        strip.cell_length  # noqa: B018 (computed once, and kept by the strip)


def _whole(made: list[Strip] | Iterable[list[Strip]]) -> list[Strip]:
    return made if isinstance(made, list) else [strip for piece in made for strip in piece]
