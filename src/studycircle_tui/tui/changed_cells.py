"""Only the cells that changed go to the terminal, in every mode.

Textual redraws a widget's whole region when the widget refreshes: a new reply in the
open thread resends every line of the thread pane, a status line change resends the
line. Over a slow SSH link that is most of the cost, and even on a fast one it halves
what a new message sends (4.4 KB to under 1 KB at 80x24). So every screen update passes
through a ``ShadowScreen`` first, which keeps a copy of what the terminal shows and turns
each update into the smallest change it can find:

- cells that are already on the terminal are not sent again; only runs of changed cells
  are, each after one cursor move, with a colour code only where the style changes;
- when lines moved up or down as a block spanning the full width (the thread scrolled
  because a reply arrived), the terminal is told to scroll that block (a scroll region
  and line feeds, which every VT100-like terminal and the Linux console understand), and
  only the lines that came into view are drawn.

Only the screen updates Textual writes are seen here (``compat.replace_screen_updates``);
anything else that may have touched the screen (the app suspended for an editor, a
resize) makes the copy unknown, and the next update draws everything again.
Low-bandwidth mode is something else: fewer frames and no animations
(``preferences.py``). ``STUDYCIRCLE_FULL_REDRAW=1`` turns this layer off, to compare.
"""

from rich.cells import get_character_cell_size
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from textual.app import App
from textual.strip import Strip

from .compat import ScreenUpdate, replace_screen_updates, sgr_parameters

Cell = tuple[str, Style | None]
UNKNOWN: Cell = ("\0", None)  # never equal to anything drawn
WIDE_TAIL: Cell = ("", None)  # the second column of a double-width character
BLANK: Cell = (" ", None)
GAP = 6  # unchanged cells between two changed runs worth resending to save a cursor move
MIN_SCROLL_LINES = 3


class ShadowScreen:
    """What the terminal shows, cell by cell, and the minimal text to change it."""

    def __init__(self) -> None:
        self.width = 0
        self.height = 0
        self.cells: list[list[Cell]] = []
        self._codes: dict[Style | None, str] = {}
        self.sent = 0  # characters sent, for the curious

    def forget(self) -> None:
        """The terminal may show anything now: the next update draws every cell."""
        self.cells = [[UNKNOWN] * self.width for _ in range(self.height)]

    def resize(self, width: int, height: int) -> None:
        if (width, height) != (self.width, self.height):
            self.width, self.height = width, height
            self.forget()

    # --- applying an update to a copy -------------------------------------------------

    def _place(self, row: list[Cell], x: int, segments: list[Segment] | Strip) -> None:
        width = self.width
        for text, style, control in segments:
            if control:
                continue
            for char in text:
                size = get_character_cell_size(char)
                if size == 0:  # a combining mark joins the cell before it
                    if 0 < x <= width and row[x - 1] not in (UNKNOWN, WIDE_TAIL):
                        previous, previous_style = row[x - 1]
                        row[x - 1] = (previous + char, previous_style)
                    continue
                if x + size > width:
                    return
                row[x] = (char, style)
                if size == 2:
                    row[x + 1] = WIDE_TAIL
                x += size

    def _wanted(self, update: ScreenUpdate) -> tuple[list[list[Cell]], set[int]]:
        wanted = [list(row) for row in self.cells]
        touched: set[int] = set()
        for y, pieces in update.rows:
            if 0 <= y < self.height:
                for x, strip in pieces:
                    self._place(wanted[y], x, strip)
                touched.add(y)
        return wanted, touched

    # --- turning the difference into terminal text ------------------------------------

    def render(self, update: ScreenUpdate, console: Console) -> str:
        if update.size is not None:  # a full layout: the screen is at least this big
            width, height = update.size
            if width > self.width or height > self.height:
                self.resize(max(self.width, width), max(self.height, height))
        wanted, touched = self._wanted(update)
        out: list[str] = []
        self._scroll(wanted, touched, out)
        for y in sorted(touched):
            self._row(y, wanted[y], out, console)
        if out:
            out.append("\x1b[0m")
        text = "".join(out)
        self.sent += len(text)
        return text

    def _scroll(self, wanted: list[list[Cell]], touched: set[int], out: list[str]) -> None:
        """If a full-width block of lines moved, scroll it on the terminal too."""
        current = self.cells
        changed = [y for y in sorted(touched) if wanted[y] != current[y]]
        if len(changed) < MIN_SCROLL_LINES:
            return
        height = self.height
        best_shift, best_rows = 0, []
        for shift in range(1, height - 1):
            for signed in (shift, -shift):
                rows = [
                    y
                    for y in changed
                    if 0 <= y + signed < height
                    and wanted[y] == current[y + signed]
                    and wanted[y][0] is not UNKNOWN
                ]
                if len(rows) > len(best_rows):
                    best_shift, best_rows = signed, rows
        if len(best_rows) < MIN_SCROLL_LINES:
            return
        if best_shift > 0:  # content moves up: rows top..bottom-1 scroll up by shift
            top, bottom = best_rows[0], best_rows[-1] + best_shift
        else:  # content moves down
            top, bottom = best_rows[0] + best_shift, best_rows[-1]
        top, bottom = max(0, top), min(height - 1, bottom)
        shift = abs(best_shift)
        if bottom - top + 1 <= shift:
            return
        out.append(f"\x1b[0m\x1b[{top + 1};{bottom + 1}r")
        if best_shift > 0:
            out.append(f"\x1b[{bottom + 1};1H" + "\n" * shift)
            moved = current[top + shift : bottom + 1] + [
                [UNKNOWN] * self.width for _ in range(shift)
            ]
        else:
            out.append(f"\x1b[{top + 1};1H" + "\x1bM" * shift)
            moved = [[UNKNOWN] * self.width for _ in range(shift)] + current[
                top : bottom + 1 - shift
            ]
        out.append("\x1b[r")
        self.cells[top : bottom + 1] = moved
        touched.update(range(top, bottom + 1))

    def _row(self, y: int, wanted: list[Cell], out: list[str], console: Console) -> None:
        current = self.cells[y]
        width = self.width
        x = 0
        runs: list[list[int]] = []
        while x < width:
            if wanted[x] == current[x] and wanted[x] is not UNKNOWN:
                x += 1
                continue
            start = x
            while x < width and (wanted[x] != current[x] or wanted[x] is UNKNOWN):
                x += 1
            if runs and start - runs[-1][1] <= GAP:
                runs[-1][1] = x
            else:
                runs.append([start, x])
        for start, end in runs:
            if start > 0 and wanted[start] == WIDE_TAIL:
                start -= 1
            if end < width and wanted[end] == WIDE_TAIL:
                end += 1
            out.append(f"\x1b[{y + 1};{start + 1}H")
            style: object = ()
            for cell in wanted[start:end]:
                if cell == WIDE_TAIL:
                    continue
                char, cell_style = cell if cell is not UNKNOWN else BLANK
                if cell_style != style:
                    out.append(self._sgr(cell_style, console))
                    style = cell_style
                out.append(char)
        self.cells[y] = wanted

    def _sgr(self, style: Style | None, console: Console) -> str:
        codes = self._codes.get(style)
        if codes is None:
            attributes = "" if style is None else sgr_parameters(style, console)
            codes = f"\x1b[0;{attributes}m" if attributes else "\x1b[0m"
            self._codes[style] = codes
        return codes


class ChangedCellsDisplay:
    """Installed on an app, it sends the terminal only what changed on the screen."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.shadow = ShadowScreen()

    def install(self) -> None:
        replace_screen_updates(self.app, self._changes)

    def forget(self) -> None:
        """Call when something else drew on the terminal (after a suspend)."""
        self.shadow.forget()

    def _changes(self, update: ScreenUpdate) -> str:
        width, height = self.app.size
        self.shadow.resize(width, height)
        return self.shadow.render(update, self.app.console)
