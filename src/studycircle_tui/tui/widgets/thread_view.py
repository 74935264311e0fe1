"""The open thread: its posts, rendered only as far as they are on screen.

A line-API ``ScrollView``: each post is rendered (Markdown, code highlighted) to strips
once per width and cached, and ``render_line`` looks up the post a screen row falls in
with a binary search over cumulative heights. No widget is mounted per post, so a thread
of thousands of posts costs what the visible ones cost.
"""

from bisect import bisect_right
from collections.abc import Iterator

from rich.console import Group
from rich.markdown import Markdown
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ...core.state import CircleState, Post
from ..timefmt import relative

REACTION_LABELS = {"+1": "👍", "helpful": "💡 helpful", "thanks": "🙏 thanks"}


class ThreadView(ScrollView, can_focus=True):
    """Posts of one thread; ``selected`` is the post the keyboard is on."""

    BINDINGS = [
        Binding("up,k", "select(-1)", "Previous post", show=False),
        Binding("down,j", "select(1)", "Next post", show=False),
        Binding("home", "select_edge(0)", "First post", show=False),
        Binding("end", "select_edge(-1)", "Last post", show=False),
    ]

    DEFAULT_CSS = """
    ThreadView { background: $surface; }
    """

    selected: reactive[int] = reactive(-1, init=False)

    class PostSelected(Message):
        def __init__(self, post_id: str) -> None:
            self.post_id = post_id
            super().__init__()

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._state: CircleState | None = None
        self._me = ""
        self._now_ms = 0
        self._post_ids: list[str] = []
        self._starts: list[int] = []  # first line of each post
        self._cache: dict[tuple, list[Strip]] = {}
        self._layout_width = 0

    # --- content ----------------------------------------------------------------------

    @property
    def thread_id(self) -> str | None:
        return self._post_ids[0] if self._post_ids else None

    @property
    def post_count(self) -> int:
        return len(self._post_ids)

    @property
    def selected_post(self) -> Post | None:
        if self._state is None or not 0 <= self.selected < len(self._post_ids):
            return None
        return self._state.posts[self._post_ids[self.selected]]

    def show(self, state: CircleState, thread_id: str | None, me: str, now_ms: int) -> None:
        """Show a thread (or nothing), keeping the place when it is the same thread."""
        same = thread_id is not None and thread_id == self.thread_id
        at_end = self.scroll_y >= self.max_scroll_y
        if not same:
            self._cache.clear()
        self._state, self._me, self._now_ms = state, me, now_ms
        self._post_ids = list(state.threads[thread_id].post_ids) if thread_id else []
        self._relayout()
        if not same:
            self.selected = len(self._post_ids) - 1
        if not same or at_end:
            # After the next layout, when the view knows its height: chat opens at the end.
            self.call_after_refresh(self.scroll_end, animate=False, immediate=True)
        self.refresh()

    def on_resize(self) -> None:
        at_end = self.scroll_y >= self.max_scroll_y
        self._relayout()
        if at_end:
            self.scroll_end(animate=False, immediate=True)

    def _relayout(self) -> None:
        width = max(20, self.scrollable_content_region.width)
        self._layout_width = width
        self._starts = []
        total = 0
        for index in range(len(self._post_ids)):
            self._starts.append(total)
            total += len(self._post_lines(index, width))
        self.virtual_size = Size(width, total)

    # --- rendering --------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        line = self.scroll_offset.y + y
        if not self._starts or line >= self.virtual_size.height:
            return Strip.blank(self.size.width, self.rich_style)
        index = bisect_right(self._starts, line) - 1
        strips = self._post_lines(index, self._layout_width)
        strip = strips[line - self._starts[index]]
        return strip.crop_extend(0, self.size.width, self.rich_style)

    def _post_lines(self, index: int, width: int) -> list[Strip]:
        assert self._state is not None
        post = self._state.posts[self._post_ids[index]]
        key = (*self._signature(post), index == self.selected, width)
        cached = self._cache.get(key)
        if cached is None:
            cached = self._render_post(post, index == self.selected, width)
            self._cache[key] = cached
        return cached

    def _signature(self, post: Post) -> tuple:
        reactions = tuple(sorted((kind, len(who)) for kind, who in post.reactions.items()))
        author = self._state.members.get(post.author) if self._state else None
        return (
            post.id,
            post.text,
            post.deleted,
            post.hidden,
            post.accepted,
            post.verified_by,
            reactions,
            author.name if author else "",
            relative(post.created_ms, self._now_ms),
        )

    def _render_post(self, post: Post, selected: bool, width: int) -> list[Strip]:
        console = self.app.console
        options = console.options.update_width(width)
        lines = console.render_lines(Group(*self._post_parts(post)), options, pad=False)
        strips = [Strip(line) for line in lines]
        if selected and strips:
            # Mark the selected post with a bar in the gutter, like a cursor.
            strips = [Strip([*self._gutter(True), *strip]) for strip in strips]
        else:
            strips = [Strip([*self._gutter(False), *strip]) for strip in strips]
        return [*strips, Strip.blank(width)]

    def _gutter(self, selected: bool) -> list[Segment]:
        color = self.app.current_theme.accent if selected else None
        return [Segment("▌ " if selected else "  ", Style(color=color) if color else None)]

    def _post_parts(self, post: Post) -> Iterator:
        assert self._state is not None
        state = self._state
        author = state.members.get(post.author)
        header = Text()
        header.append(author.name if author else "someone", style="bold")
        if author and author.role != "member":
            header.append(f" · {author.role}", style="dim")
        header.append(f" · {relative(post.created_ms, self._now_ms)}", style="dim")
        if post.edited_ms and not post.deleted:
            header.append(" · edited", style="dim italic")
        if post.reply_to and post.reply_to in state.posts:
            replied = state.posts[post.reply_to]
            who = state.members.get(replied.author)
            header.append(f" · ↩ {who.name if who else 'someone'}", style="dim")
        if post.accepted:
            header.append("  ✓ accepted", style="bold green")
        if post.verified_by:
            verifier = state.members.get(post.verified_by)
            header.append(
                f"  ✔ verified by {verifier.name if verifier else 'a moderator'}",
                style="bold cyan",
            )
        yield header
        if post.deleted:
            yield Text("[deleted]", style="dim italic")
            return
        if post.hidden and not self._may_see_hidden(post):
            yield Text("[hidden by a moderator]", style="dim italic")
            return
        if post.hidden:
            yield Text("hidden by a moderator: visible to you", style="italic yellow")
        yield Markdown(post.text, code_theme="ansi_dark", hyperlinks=False)
        counts = [
            f"{REACTION_LABELS[kind]} {len(who)}" for kind, who in post.reactions.items() if who
        ]
        if counts:
            yield Text("  ".join(counts), style="dim")

    def _may_see_hidden(self, post: Post) -> bool:
        assert self._state is not None
        return post.author == self._me or self._state.is_at_least(self._me, "moderator")

    # --- keyboard ---------------------------------------------------------------------

    def action_select(self, step: int) -> None:
        if self._post_ids:
            self.selected = max(0, min(len(self._post_ids) - 1, self.selected + step))

    def action_select_edge(self, edge: int) -> None:
        if self._post_ids:
            self.selected = 0 if edge == 0 else len(self._post_ids) - 1

    def watch_selected(self, old: int, new: int) -> None:
        if not self._post_ids or self._state is None:
            return
        self._relayout()
        start = self._starts[new]
        height = len(self._post_lines(new, self._layout_width))
        self.scroll_to_region_lines(start, height)
        self.refresh()
        self.post_message(self.PostSelected(self._post_ids[new]))

    def scroll_to_region_lines(self, start: int, height: int) -> None:
        top, view = self.scroll_offset.y, self.scrollable_content_region.height
        if start < top:
            self.scroll_to(y=start, animate=False)
        elif start + min(height, view) > top + view:
            self.scroll_to(y=start + min(height, view) - view, animate=False)
