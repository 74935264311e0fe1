"""A list of many two-line rows (a channel's threads, search results, mentions), drawn
with the line API: only the rows on screen are rendered, so a channel of 20,000
threads opens as fast as one of twenty. Rows are ids; a ``RowRenderer`` draws one.
"""

from collections.abc import Callable

from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ...i18n import N_

ROW_LINES = 2
# Draws row ``id`` as its two lines of text, given the row's width.
RowRenderer = Callable[[str, int], tuple[Text, Text]]


class RowList(ScrollView, can_focus=True):
    BINDINGS = [
        Binding("up,k", "move(-1)", N_("Up"), show=False),
        Binding("down,j", "move(1)", N_("Down"), show=False),
        Binding("pageup", "page(-1)", N_("Page up"), show=False),
        Binding("pagedown", "page(1)", N_("Page down"), show=False),
        Binding("home,g", "edge(0)", N_("First"), show=False),
        Binding("end,G", "edge(-1)", N_("Last"), show=False),
        Binding("enter", "choose", N_("Open"), show=True),
    ]

    DEFAULT_CSS = """
    RowList { background: $surface; overflow-x: hidden; }
    RowList > .row-list--cursor { background: $block-cursor-blurred-background; }
    RowList:focus > .row-list--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
    }
    RowList > .row-list--empty { color: $text-muted; text-style: italic; }
    """
    COMPONENT_CLASSES = {"row-list--cursor", "row-list--empty"}

    highlighted: reactive[int] = reactive(-1, init=False)

    class _RowMessage(Message):
        def __init__(self, row_list: "RowList", row_id: str) -> None:
            self.row_list = row_list
            self.row_id = row_id
            super().__init__()

        @property
        def control(self) -> "RowList":
            return self.row_list

    class Chosen(_RowMessage):
        """A row was chosen (enter or click)."""

    class Highlighted(_RowMessage):
        """The cursor moved onto a row."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._rows: list[str] = []
        self._render_row: RowRenderer = lambda row_id, width: (Text(row_id), Text())
        self.empty_text = ""
        self._frame: dict[tuple[str, int], tuple[Text, Text]] = {}

    @property
    def rows(self) -> list[str]:
        return self._rows

    @property
    def highlighted_id(self) -> str | None:
        return self._rows[self.highlighted] if 0 <= self.highlighted < len(self._rows) else None

    def show(self, rows: list[str], render_row: RowRenderer, current: str | None = None) -> None:
        """Show ``rows``, keeping the highlight on ``current`` (or the same row) if there."""
        keep = current if current is not None else self.highlighted_id
        same = rows == self._rows
        self._rows, self._render_row = rows, render_row
        self.virtual_size = Size(self.scrollable_content_region.width, len(rows) * ROW_LINES)
        if not same or keep is not None:
            try:
                index = rows.index(keep) if keep is not None else 0
            except ValueError:
                index = 0
            self.set_reactive(RowList.highlighted, index if rows else -1)
            self._scroll_into_view()
        self.refresh()

    # --- rendering --------------------------------------------------------------------

    def render_lines(self, crop):  # type: ignore[no-untyped-def]
        self._frame.clear()  # each row is drawn once per frame, for both its lines
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        line = round(self.scroll_y) + y
        if not self._rows:
            if y == 1 and self.empty_text:
                style = self.get_component_rich_style("row-list--empty")
                text = Text(f"  {self.empty_text}", style=style)
                return self._strip(text, width, Style())
            return Strip.blank(width, self.rich_style)
        index, part = divmod(line, ROW_LINES)
        if index >= len(self._rows):
            return Strip.blank(width, self.rich_style)
        key = (self._rows[index], width)
        drawn = self._frame.get(key)
        if drawn is None:
            drawn = self._frame[key] = self._render_row(self._rows[index], width - 2)
        first, second = drawn
        base = self.rich_style
        if index == self.highlighted:
            base = base + self.get_component_rich_style("row-list--cursor")
        return self._strip(first if part == 0 else second, width, base)

    def _strip(self, text: Text, width: int, base: Style) -> Strip:
        text = text.copy()
        text.no_wrap, text.overflow = True, "ellipsis"
        text.truncate(width - 1, overflow="ellipsis", pad=True)
        console: Console = self.app.console
        segments = list(text.render(console))
        strip = Strip([Segment(" "), *segments])
        return strip.apply_style(base).crop_extend(0, width, base)

    # --- keyboard and mouse -----------------------------------------------------------

    def _scroll_into_view(self) -> None:
        if self.highlighted < 0:
            return
        top = round(self.scroll_y)
        view = max(ROW_LINES, self.scrollable_content_region.height)
        start = self.highlighted * ROW_LINES
        if start < top:
            self.scroll_to(y=start, animate=False)
        elif start + ROW_LINES > top + view:
            self.scroll_to(y=start + ROW_LINES - view, animate=False)

    def watch_highlighted(self, old: int, new: int) -> None:
        self._scroll_into_view()
        self.refresh()
        if 0 <= new < len(self._rows):
            self.post_message(self.Highlighted(self, self._rows[new]))

    def on_resize(self) -> None:
        self.virtual_size = Size(self.scrollable_content_region.width, len(self._rows) * ROW_LINES)
        self._scroll_into_view()

    def action_move(self, step: int) -> None:
        if self._rows:
            self.highlighted = max(0, min(len(self._rows) - 1, self.highlighted + step))

    def action_page(self, direction: int) -> None:
        rows = max(1, self.scrollable_content_region.height // ROW_LINES - 1)
        self.action_move(direction * rows)

    def action_edge(self, edge: int) -> None:
        if self._rows:
            self.highlighted = 0 if edge == 0 else len(self._rows) - 1

    def action_choose(self) -> None:
        if self.highlighted_id is not None:
            self.post_message(self.Chosen(self, self.highlighted_id))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        index = (round(self.scroll_y) + offset.y) // ROW_LINES
        if 0 <= index < len(self._rows):
            self.highlighted = index
            self.action_choose()
