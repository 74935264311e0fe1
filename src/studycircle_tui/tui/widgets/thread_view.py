"""The open thread: a line-API ``ScrollView`` that lays out only what is on screen.

Every post starts with an estimated height (``Heights``, a Fenwick tree: where a post
starts and which post holds a line, both O(log n)). Just before a frame is drawn, the
posts in view are rendered (Markdown, code highlighted), measured, and kept in an LRU
cache; a post whose real height differs from its estimate corrects the tree. When a
post above the top line is corrected, the view moves by the same amount, so what is on
screen stays put. Opening a thread of 100,000 posts therefore renders a screenful.

Texts come from the service's ``PostTexts`` (they live in the local store): the ones in
view and a screenful either way are asked for just before a frame; one not read yet is
drawn as "…" and the view is drawn again when it arrives, so a frame never waits on the
disk.
"""

from collections import OrderedDict

from rich.segment import Segment
from rich.text import Text
from textual import events
from textual.geometry import Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ...core.state import CircleState, Post
from ...sync.reading import PostTexts
from ..actions import bindings_for
from ..compat import update_scrollbars
from .heights import Heights
from .post_render import GUTTER, Line, Palette, render_post, replied_to, signature

ESTIMATED_POST_LINES = 4  # a header, two lines of text, the blank line after
CACHE_POSTS = 64  # rendered posts kept: a few screens either way of the view
PREFETCH_POSTS = 30  # texts asked for beyond each edge of the view


class ThreadView(ScrollView, can_focus=True):
    """Posts of one thread; ``selected`` is the index of the post the keyboard is on."""

    BINDINGS = bindings_for("thread")

    DEFAULT_CSS = """
    ThreadView { background: $surface; overflow-x: hidden; overflow-y: scroll; }
    """

    selected: reactive[int] = reactive(-1, init=False)

    def __init__(self, texts: PostTexts, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._texts = texts
        self._state: CircleState | None = None
        self._me = ""
        self._now_ms = 0
        self._thread_id: str | None = None
        self._post_ids: list[str] = []
        self._heights = Heights()
        self._cache: OrderedDict[str, tuple[tuple, list[Line]]] = OrderedDict()
        self._width = 0  # cells for a post's text (the gutter excluded)
        self._divider = -1  # the first unread post, drawn under a "new" rule
        self._pending: tuple[str, int] | None = None  # ("end", 0) or ("post", index)
        self._stick_end = False
        self._palette: Palette | None = None
        self._queued: frozenset[str] = frozenset()  # posts written here, not sent yet
        self._hint: list[Text | tuple[Text, ...]] = []
        self._hint_laid: tuple[int, list[Strip]] = (0, [])  # (width, the lines)

    # --- content ----------------------------------------------------------------------

    @property
    def hint(self) -> list[Text | tuple[Text, ...]]:
        """Shown while no thread is open: lines, and cells kept on one line when they fit
        (else one a line); both wrapped, never cut, to the pane's width."""
        return self._hint

    @hint.setter
    def hint(self, hint: list[Text | tuple[Text, ...]]) -> None:
        self._hint, self._hint_laid = hint, (0, [])
        self.refresh()

    @property
    def thread_id(self) -> str | None:
        return self._thread_id

    @property
    def selected_post(self) -> Post | None:
        if self._state is None or not 0 <= self.selected < len(self._post_ids):
            return None
        return self._state.posts.get(self._post_ids[self.selected])

    def show(
        self,
        state: CircleState,
        thread_id: str | None,
        me: str,
        now_ms: int,
        *,
        first_unread: int | None = None,
        at_post: str | None = None,
        queued: frozenset[str] = frozenset(),
    ) -> None:
        """Show a thread (or nothing). The same thread keeps its place and grows; a new
        one opens at ``at_post``, else at its first unread post, else at its end.
        ``queued`` posts are marked as waiting to be sent."""
        same = thread_id is not None and thread_id == self._thread_id
        self._state, self._me, self._now_ms = state, me, now_ms
        self._queued = queued
        thread = state.threads.get(thread_id) if thread_id else None
        post_ids = thread.post_ids if thread is not None else []
        if same and len(post_ids) >= len(self._heights):
            for _ in range(len(post_ids) - len(self._heights)):
                self._heights.append(ESTIMATED_POST_LINES)
            self._post_ids = post_ids
            if at_post is not None and at_post in state.posts:
                self._go_to(state.posts[at_post].index)
            self._sync_virtual_size()
            self.refresh()
            return
        self._thread_id = thread_id if thread is not None else None
        self._post_ids = post_ids
        self._heights = Heights(len(post_ids), ESTIMATED_POST_LINES)
        self._cache.clear()
        count = len(post_ids)
        unread = first_unread if first_unread is not None else count
        self._divider = unread if 0 < unread < count else -1
        target = state.posts[at_post].index if at_post in state.posts else None
        if target is None and self._divider >= 0:
            target = self._divider
        if target is not None:
            self._pending, self._stick_end = ("post", target), False
            self.set_reactive(ThreadView.selected, target)
        else:
            self._pending, self._stick_end = ("end", 0), True
            self.set_reactive(ThreadView.selected, count - 1)
        self._sync_virtual_size()
        self.scroll_to(y=0, animate=False)
        self.refresh()

    def go_to_post(self, post_id: str) -> None:
        if self._state is not None and post_id in self._state.posts:
            self._go_to(self._state.posts[post_id].index)

    def _go_to(self, index: int) -> None:
        self._pending, self._stick_end = ("post", index), False
        self.selected = index
        self.refresh()

    def _sync_virtual_size(self) -> None:
        size = Size(self._width + GUTTER, self._heights.total)
        if size != self.virtual_size:
            # The scrollbar is always shown (overflow-y: scroll), so a new height never
            # changes the layout: skip the screen-wide relayout that assigning would cost.
            self.set_reactive(ScrollView.virtual_size, size)
            update_scrollbars(self, size)
            self.refresh()

    def on_mount(self) -> None:
        self.watch(self.app, "theme", self._theme_changed, init=False)

    def _theme_changed(self) -> None:
        self._palette = None
        self.refresh()

    # --- layout -----------------------------------------------------------------------

    def _text_width(self) -> int:
        return max(10, self.scrollable_content_region.width - GUTTER)

    def _strips(self, index: int) -> list[Line]:
        """The post's lines at the current width, from the cache or rendered now."""
        assert self._state is not None
        state = self._state
        post = state.posts.peek(self._post_ids[index])
        assert post is not None  # every post of a thread is in the state
        if self._palette is None:
            self._palette = Palette.from_variables(self.app.theme, self.app.theme_variables)
        text = self._texts.get(post.text_op)
        replied = replied_to(state, post)
        quoted = self._texts.get(replied.text_op) if replied is not None else None
        key = (
            signature(state, post, self._me, self._now_ms),
            self._width,
            index == self._divider,
            post.id in self._queued,
            self._palette.name,
            text is None,
            quoted is None,
        )
        entry = self._cache.get(post.id)
        if entry is not None and entry[0] == key:
            self._cache.move_to_end(post.id)
            return entry[1]
        strips = render_post(
            self.app.console,
            state,
            post,
            self._me,
            self._now_ms,
            self._width,
            self._palette,
            text,
            quoted,
            divider=index == self._divider,
            queued=post.id in self._queued,
        )
        self._cache[post.id] = (key, strips)
        if len(self._cache) > CACHE_POSTS:
            self._cache.popitem(last=False)
        return strips

    def _measure(self, index: int) -> int:
        """Render post ``index`` if needed and record its height; the change in lines."""
        return self._heights.set(index, len(self._strips(index)))

    def _prepare(self) -> None:
        """Measure what is about to be on screen and settle the scroll position."""
        count = len(self._post_ids)
        view = self.scrollable_content_region.height
        if not count or view <= 0 or self._state is None:
            return
        width = self._text_width()
        top = round(self.scroll_y)
        if width != self._width:
            if self._width and self._pending is None and not self._stick_end:
                # A new width: every height changes; keep the top post in view.
                self._pending = ("post", self._heights.find(top))
            self._width = width
            self._heights = Heights(count, ESTIMATED_POST_LINES)
        if self._pending is not None:
            kind, index = self._pending
            self._pending = None
            if kind == "end":
                self._stick_end = True
            else:
                index = max(0, min(count - 1, index))
                self._measure(index)
                # Show the "new" rule and the post before it when there is room.
                top = self._heights.start(index)
                self._stick_end = False
        self._want_texts(self._heights.find(top), view)
        for _ in range(6):  # converges in one or two passes
            moved = False
            index = self._heights.find(top)
            line = self._heights.start(index)
            while index < count and line < top + view:
                delta = self._measure(index)
                if delta and line < top:
                    top += delta  # a post above the top line grew: keep the view still
                    moved = True
                line += self._heights.height(index)
                index += 1
            bottom = max(0, self._heights.total - view)
            settled = bottom if self._stick_end else min(top, bottom)
            if settled == top and not moved:
                break
            top = settled
        self._sync_virtual_size()
        if top != round(self.scroll_y):
            self.set_reactive(ScrollView.scroll_y, float(top))
            self.set_reactive(ScrollView.scroll_target_y, float(top))
            if self.show_vertical_scrollbar:
                self.vertical_scrollbar.position = top

    def _want_texts(self, first: int, view: int) -> None:
        """Ask for the texts of the posts in view (at most one per line) and of a margin
        either way, and of the posts they reply to; drawn again when they arrive."""
        assert self._state is not None
        posts = self._state.posts
        start = max(0, first - PREFETCH_POSTS)
        wanted: list[str] = []
        for post_id in self._post_ids[start : first + view + PREFETCH_POSTS]:
            post = posts.peek(post_id)
            if post is None:
                continue
            wanted.append(post.text_op)
            replied = replied_to(self._state, post)
            if replied is not None:
                wanted.append(replied.text_op)
        self._texts.want(wanted, self.refresh)

    # --- rendering --------------------------------------------------------------------

    def render_lines(self, crop):  # type: ignore[no-untyped-def]
        self._prepare()
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        line = round(self.scroll_y) + y
        width = self.size.width
        if not self._post_ids:
            return self._hint_line(y, width)
        if line >= self._heights.total or self._width == 0:
            return Strip.blank(width, self.rich_style)
        index = self._heights.find(line)
        strips = self._strips(index)
        offset = line - self._heights.start(index)
        segments, length = strips[offset] if offset < len(strips) else ((), 0)
        on_post = offset < len(strips) - 1 and not (index == self._divider and offset == 0)
        base = self.rich_style
        if index == self.selected and on_post and self._palette is not None:
            line = [Segment("▌", base + self._palette.accent), Segment(" " * (GUTTER - 1), base)]
        else:
            line = [Segment(" " * GUTTER, base)]
        line.extend(Segment.apply_style(segments, base))
        length += GUTTER
        if length < width:
            line.append(Segment(" " * (width - length), base))
            return Strip(line, width)
        return Strip(line, length).crop(0, width)

    def _hint_line(self, y: int, width: int) -> Strip:
        """With no thread open: what this place is and how to get around."""
        room = self._text_width()  # the scrollbar's cells are not the text's
        if self._hint_laid[0] != room:
            self._hint_laid = (room, self._lay_out_hint(room))
        lines = self._hint_laid[1]
        if not 0 <= y - 1 < len(lines):
            return Strip.blank(width, self.rich_style)
        return lines[y - 1].crop_extend(0, width, self.rich_style)

    def _lay_out_hint(self, room: int) -> list[Strip]:
        console = self.app.console
        rows = [Text.assemble(*entry) for entry in self.hint if isinstance(entry, tuple)]
        side_by_side = all(row.cell_len <= room for row in rows)  # all rows alike
        texts: list[Text] = []
        for entry in self.hint:
            if not isinstance(entry, tuple):
                texts.append(entry)
            elif side_by_side:
                texts.append(Text.assemble(*entry))
            else:
                texts += [cell.copy() for cell in entry]
        lines = []
        for text in texts:
            for line in text.wrap(console, room) if text.plain else [text]:
                segments = [Segment(" " * GUTTER), *line.render(console)]
                lines.append(Strip(Segment.apply_style(segments, self.rich_style)))
        return lines

    # --- keyboard and mouse -----------------------------------------------------------

    def _viewport(self) -> tuple[int, int]:
        return round(self.scroll_y), max(1, self.scrollable_content_region.height)

    def action_select(self, step: int) -> None:
        if not self._post_ids:
            return
        top, view = self._viewport()
        current = max(0, self.selected)
        self._measure(current)
        start = self._heights.start(current)
        end = start + self._heights.height(current)
        # A post taller than the screen is read by scrolling through it first.
        if step > 0 and end > top + view and start < top + view:
            self._scroll_lines(min(view - 2, end - top - view) or 1)
            return
        if step < 0 and start < top and end > top:
            self._scroll_lines(-min(view - 2, top - start) or -1)
            return
        self.selected = max(0, min(len(self._post_ids) - 1, current + step))

    def action_select_edge(self, edge: int) -> None:
        if not self._post_ids:
            return
        if edge == 0:
            self._go_to(0)
        else:
            self._pending, self._stick_end = ("end", 0), True
            self.selected = len(self._post_ids) - 1
            self.refresh()

    def action_page(self, direction: int) -> None:
        if not self._post_ids:
            return
        top, view = self._viewport()
        self._scroll_lines(direction * max(1, view - 2))
        top, _ = self._viewport()
        last = len(self._post_ids) - 1
        index = self._heights.find(top)
        if self._heights.start(index) < top and index < last:
            index += 1  # the first post whose header is on screen
        if direction > 0:
            # Never backwards; at the bottom, the last post.
            index = last if top >= self.max_scroll_y else max(index, self.selected)
        else:
            index = 0 if top == 0 else min(index, self.selected)
        self.set_reactive(ThreadView.selected, index)
        self.refresh()

    def _scroll_lines(self, lines: int) -> None:
        self._sync_virtual_size()
        self.scroll_to(y=round(self.scroll_y) + lines, animate=False)

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        self._stick_end = round(new) >= self.max_scroll_y

    def watch_selected(self, old: int, new: int) -> None:
        if not self._post_ids or self._state is None or not 0 <= new < len(self._post_ids):
            return
        self._ensure_visible(new)
        self.refresh()

    def _ensure_visible(self, index: int) -> None:
        if self._width == 0 or self._pending is not None:
            return  # laid out at the next frame
        self._measure(index)
        self._sync_virtual_size()
        start, height = self._heights.start(index), self._heights.height(index)
        top, view = self._viewport()
        if start < top:
            self.scroll_to(y=start, animate=False)
        elif start + min(height, view) > top + view:
            self.scroll_to(y=start + min(height, view) - view, animate=False)

    def on_click(self, event: events.Click) -> None:
        if not self._post_ids:
            return
        offset = event.get_content_offset(self)
        if offset is None:
            return
        line = round(self.scroll_y) + offset.y
        if line < self._heights.total:
            self.selected = self._heights.find(line)
