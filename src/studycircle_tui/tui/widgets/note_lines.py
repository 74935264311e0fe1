"""A scrolling view of a note's lines (rendered Markdown, a diff, who wrote each line),
drawn with the line API: only the lines on screen are drawn each frame.

What to show is a ``build(width) -> list[Strip]`` function and a key naming it. Small
texts are built at once; big ones in a thread worker (a 1 MB note renders in seconds),
with "Preparing…" shown meanwhile and the result dropped if something newer was asked
for. A width change builds again; the last few builds are kept for going back. The
vertical scrollbar is always there: one that came and went with the length would change
the width, and so the build, and so the length.
"""

from collections import OrderedDict
from collections.abc import Callable, Hashable
from functools import partial

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

Build = Callable[[int], list[Strip]]
CACHED_BUILDS = 6


class NoteLines(ScrollView, can_focus=True):
    BINDINGS = [
        Binding("up,k", "scroll_up", "Up", show=False),
        Binding("down,j", "scroll_down", "Down", show=False),
        Binding("left", "scroll_left", "Left", show=False),
        Binding("right", "scroll_right", "Right", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown,space", "page_down", "Page down", show=False),
        Binding("home,g", "scroll_home", "Top", show=False),
        Binding("end,G", "scroll_end", "Bottom", show=False),
    ]

    DEFAULT_CSS = """
    NoteLines { background: $surface; padding: 0 1; overflow-y: scroll; overflow-x: auto; }
    NoteLines:focus { background-tint: $foreground 3%; }
    """

    class Built(Message):
        """A build finished in the worker (posted to the view itself)."""

        def __init__(self, key: Hashable, width: int, strips: list[Strip]) -> None:
            self.key, self.width, self.strips = key, width, strips
            super().__init__()

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._key: Hashable = None
        self._build: Build | None = None
        self._big = False
        self._strips: list[Strip] = []
        self._shown: tuple[Hashable, int] | None = None  # (key, width) of what is shown
        self._cache: OrderedDict[tuple[Hashable, int], list[Strip]] = OrderedDict()
        self.waiting = False

    @property
    def key(self) -> Hashable:
        return self._key

    @property
    def text(self) -> str:
        """Every line the view holds (not only those on screen), as plain text."""
        return "\n".join(strip.text.rstrip() for strip in self._strips)

    def show(self, key: Hashable, build: Build, *, big: bool = False, top: bool = True) -> None:
        """Show what ``build`` makes; ``big`` builds it in a thread. The same key again
        keeps the place; a new one starts at the top (unless ``top`` is False)."""
        same = key == self._key
        self._key, self._build, self._big = key, build, big
        if not same and top:
            self.scroll_to(0, 0, animate=False)
        self._rebuild()

    def clear_cache(self) -> None:
        self._cache.clear()

    def _content_width(self) -> int:
        return max(10, self.scrollable_content_region.width)

    def _rebuild(self) -> None:
        if self._build is None or not self.is_mounted:
            return
        if not self.size.width:  # not laid out yet: on_resize builds at the real width
            return
        width = self._content_width()
        cached = self._cache.get((self._key, width))
        if cached is not None:
            self._cache.move_to_end((self._key, width))
            self._set(cached, width)
        elif self._big:
            self.waiting = True
            self._set([Strip([Segment("Preparing…", Style(dim=True, italic=True))])], width)
            # On the app, where every worker's failure is said (app.py).
            self.app.run_worker(
                partial(self._build_in_thread, self._key, self._build, width),
                thread=True,
                group=f"note-lines-{id(self)}",
                exclusive=True,
                exit_on_error=False,
            )
        else:
            self._keep(self._key, width, self._build(width))

    def _build_in_thread(self, key: Hashable, build: Build, width: int) -> None:
        strips = build(width)
        self.post_message(self.Built(key, width, strips))

    def on_note_lines_built(self, message: Built) -> None:
        message.stop()
        if message.key == self._key and message.width == self._content_width():
            self.waiting = False
            self._keep(message.key, message.width, message.strips)

    def _keep(self, key: Hashable, width: int, strips: list[Strip]) -> None:
        self._cache[(key, width)] = strips
        while len(self._cache) > CACHED_BUILDS:
            self._cache.popitem(last=False)
        self._set(strips, width)

    def _set(self, strips: list[Strip], width: int) -> None:
        self._strips = strips
        self._shown = (self._key, width)
        widest = max((strip.cell_length for strip in strips), default=0)
        self.virtual_size = Size(max(width, widest), len(strips))
        self.refresh()

    def on_resize(self) -> None:
        # A new width, or shown again after what to show changed while it was hidden.
        if self._build is not None and (self._key, self._content_width()) != self._shown:
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
