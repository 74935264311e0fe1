"""How one row of the middle list reads: a thread (title, kind, replies, trust markers,
last activity, unread), or a post found by search or by an @mention."""

from collections.abc import Callable, Iterable

from rich.style import Style
from rich.text import Text

from ...core.discussion import thread_status
from ...core.search import highlight_spans
from ...core.state import CircleState
from ...sync.reading import PostTexts
from ..timefmt import relative
from ..visible import name_of, visible_line
from .post_render import Palette, plain_line

MARKERS = {
    "discussion": ("💬", "discussion"),
    "open": ("?", "unanswered question"),
    "accepted": ("✓", "accepted answer"),
    "verified": ("✔", "verified answer"),
}


def marker(status: str, palette: Palette) -> Text:
    symbol, _ = MARKERS[status]
    styles = {
        "discussion": palette.muted,
        "open": palette.unread,
        "accepted": palette.accepted,
        "verified": palette.verified,
    }
    # Every marker takes two cells, so titles line up whatever the marker.
    return Text(symbol if symbol == "💬" else f"{symbol} ", style=styles[status])


class ThreadRows:
    """Draws thread rows: ``✓ Title   3 new`` over ``question · 2 replies · 5m``."""

    def __init__(
        self, state: CircleState, me: str, now_ms: int, palette: Palette, with_channel: bool
    ) -> None:
        self.state, self.me, self.now_ms, self.palette = state, me, now_ms, palette
        self.with_channel = with_channel

    def __call__(self, thread_id: str, width: int) -> tuple[Text, Text]:
        state, palette = self.state, self.palette
        thread = state.threads[thread_id]
        unread = state.unread_in_thread(self.me, thread_id)
        status = thread_status(thread)
        first = marker(status, palette)
        first.append(" ")
        first.append(visible_line(thread.title), style="bold" if unread else "")
        if unread:
            badge = f" {unread} new"
            room = width - len(badge)
            if first.cell_len > room:
                first.truncate(max(4, room - 1))
                first.append("…")
            first.pad_right(max(0, room - first.cell_len))
            first.append(badge, style=palette.unread)
        second = Text("   ", style=palette.muted)
        if self.with_channel:
            channel = state.channels.get(thread.channel_id)
            second.append(
                f"#{visible_line(channel.name) if channel else '?'} · ", style=palette.muted
            )
        kind = {"open": "question", "discussion": "discussion"}.get(status, status)
        replies = thread.reply_count
        second.append(f"{kind} · {replies} repl{'y' if replies == 1 else 'ies'}", palette.muted)
        second.append(f" · {relative(thread.last_activity_ms, self.now_ms)}", palette.muted)
        second.append(f" · {name_of(state, thread.author)}", style=palette.muted)
        return first, second


class PostRows:
    """Draws a found post: ``#channel › Thread · Ayu · 3h`` over its text, matches lit.
    A text not read yet shows as "…"; ``redraw`` is called once it has been."""

    def __init__(
        self,
        state: CircleState,
        me: str,
        now_ms: int,
        palette: Palette,
        texts: PostTexts,
        redraw: Callable[[], None],
        terms: Iterable[str] = (),
    ) -> None:
        self.state, self.me, self.now_ms, self.palette = state, me, now_ms, palette
        self.texts, self.redraw = texts, redraw
        self.terms = list(terms)

    def __call__(self, post_id: str, width: int) -> tuple[Text, Text]:
        state, palette = self.state, self.palette
        post = state.posts.peek(post_id)
        assert post is not None  # rows are posts of this state
        thread = state.threads[post.thread_id]
        channel = state.channels.get(thread.channel_id)
        first = marker(thread_status(thread), palette)
        first.append(" ")
        first.append(visible_line(thread.title), style="bold")
        first.append(f"  #{visible_line(channel.name) if channel else '?'}", style=palette.muted)
        first.append(
            f" · {name_of(state, post.author)} · {relative(post.created_ms, self.now_ms)}",
            style=palette.muted,
        )
        text = self.texts.get(post.text_op)
        if text is None:
            self.texts.want([post.text_op], self.redraw)
        text = plain_line(text) if text is not None else "…"
        spans = highlight_spans(text, self.terms)
        start = 0
        if spans and spans[0][0] > width // 3:
            # Start the snippet a little before the first match so it is on screen.
            start = max(0, text.rfind(" ", 0, spans[0][0] - 8) + 1)
        second = Text("   ")
        if start:
            second.append("…", style=palette.muted)
        snippet = Text(text[start:])
        for begin, end in spans:
            if end > start:
                snippet.stylize(
                    palette.accent + Style(underline=True), max(0, begin - start), end - start
                )
        second.append_text(snippet)
        return first, second
