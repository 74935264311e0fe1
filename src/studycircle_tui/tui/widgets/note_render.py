"""A note's text as terminal lines (``Strip``s): rendered Markdown, the text with its
conflict blocks marked, a coloured line diff, and "who wrote this line".

Pure functions of their input and a width, so ``NoteLines`` can run them in a thread
for a big note. Each makes its own ``Console``: the app's is the UI thread's.
"""

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from rich.color import Color as RichColor
from rich.console import Console, RenderableType
from rich.markdown import Markdown
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.color import Color, ColorParseError
from textual.strip import Strip

from ...core import notemerge
from ...core.noteblame import BlameLine
from ...i18n import _
from ..visible import visible

# Beyond this many characters a note is shown as its text, not as rendered Markdown:
# Rich's Markdown costs about 6 ms a kilobyte, and the text shows the same words.
MARKDOWN_LIMIT = 200_000
# Lines (or diff rows) drawn at a time for a big view: a screenful and more, in a few ms.
PIECE = 300
# A big text's first piece, drawn before anything else shows: a tall terminal's screen
# (~5 ms for a 1 MB note, where 300 lines took ~20 ms before its top was seen).
FIRST_PIECE = 100


@dataclass(frozen=True, slots=True)
class NotePalette:
    """Rich styles made from the theme's colours."""

    muted: Style
    added: Style
    removed: Style
    hunk: Style
    marker: Style
    ours: Style
    theirs: Style
    author: Style
    gutter: Style

    @classmethod
    def from_variables(cls, variables: dict[str, str]) -> "NotePalette":
        def color(*names: str) -> Color | None:
            for name in names:
                value = variables.get(name)
                if value:
                    try:
                        return Color.parse(value)
                    except ColorParseError:
                        continue
            return None

        base = color("surface", "background") or Color(0, 0, 0)

        def tint(*names: str, amount: float = 0.28) -> RichColor | None:
            found = color(*names)
            return base.blend(found, amount).rich_color if found is not None else None

        def fg(*names: str) -> RichColor | None:
            found = color(*names)
            return found.rich_color if found is not None else None

        return cls(
            muted=Style(dim=True),
            added=Style(bgcolor=tint("success")),
            removed=Style(bgcolor=tint("error")),
            hunk=Style(color=fg("accent", "primary"), bold=True),
            marker=Style(color=fg("warning"), bold=True, reverse=True),
            ours=Style(bgcolor=tint("primary", amount=0.22)),
            theirs=Style(bgcolor=tint("accent", "secondary", amount=0.22)),
            author=Style(color=fg("accent", "primary")),
            gutter=Style(dim=True),
        )


def _console(width: int) -> Console:
    return Console(
        width=max(10, width),
        file=io.StringIO(),
        color_system="truecolor",
        force_terminal=True,
        legacy_windows=False,
        markup=False,
        emoji=False,
        highlight=False,
    )


def _render(renderable: RenderableType, width: int) -> list[Strip]:
    console = _console(width)
    options = console.options.update_width(max(10, width))
    return [Strip(line) for line in console.render_lines(renderable, options, pad=False)]


def markdown_strips(text: str, width: int) -> list[Strip] | Iterator[list[Strip]]:
    """The note as rendered Markdown (code highlighted, lists, tables, quotes)."""
    if not text.strip():
        return [Strip([Segment(_("This note is empty: press e to write it."), Style(dim=True))])]
    if len(text) > MARKDOWN_LIMIT:
        return text_strips(text, width)
    markdown = Markdown(visible(text), code_theme="ansi_dark", hyperlinks=False)
    return _render(markdown, width)


def text_strips(text: str, width: int) -> Iterator[list[Strip]]:
    """The note's text as it is, wrapped at ``width``: in pieces of ``PIECE`` lines, so
    the top of a big note is on screen while the rest is drawn."""
    lines = visible(text).split("\n")
    if len(lines) > 1 and not lines[-1]:  # Rich draws no line after a final newline
        lines.pop()
    starts = [0, *range(FIRST_PIECE, len(lines), PIECE)]
    for start, end in zip(starts, [*starts[1:], len(lines)], strict=True):
        piece = lines[start:end]
        # A piece ending in an empty line ends in a newline, which Rich would drop.
        ending = "\n" if not piece[-1] else ""
        yield _render(Text("\n".join(piece) + ending, end=""), width)


def _fill(lines: list[Text], width: int, wrap: bool) -> list[Strip]:
    """Lines that keep their background to the edge. Without ``wrap`` each line is one
    row as it is (already fitted by the caller, or scrolled sideways): drawn span by
    span, several times faster than letting Rich lay out the whole text."""
    if not lines:
        return []
    if wrap:
        strips = _render(Text("\n", end="").join(lines), width)
        return [strip.extend_cell_length(width, strip_style(strip)) for strip in strips]
    console = _console(width)
    result = []
    for line in lines:
        if line.style and not line.spans:
            line.stylize(line.style)  # Text.render drops the base style of a span-less text
        strip = Strip(list(line.render(console)))
        result.append(strip.extend_cell_length(width, strip_style(strip)))
    return result


def strip_style(strip: Strip) -> Style:
    """The background a line's last segment has, to continue it to the edge."""
    for segment in reversed(list(strip)):
        if segment.style is not None and segment.style.bgcolor is not None:
            return Style(bgcolor=segment.style.bgcolor)
    return Style()


def conflict_strips(text: str, width: int, palette: NotePalette) -> list[Strip]:
    """The text with each conflict block marked: the two sides tinted, markers in bold."""
    lines: list[Text] = []
    side: Style | None = None
    for line in notemerge.split_lines(visible(text)):
        bare = line.rstrip("\n")
        if bare.startswith(notemerge.START):
            side = palette.ours
            lines.append(Text(bare, style=palette.marker))
        elif bare == notemerge.MIDDLE.rstrip("\n") and side is not None:
            side = palette.theirs
            lines.append(Text(bare, style=palette.marker))
        elif bare.startswith(notemerge.END) and side is not None:
            side = None
            lines.append(Text(bare, style=palette.marker))
        else:
            lines.append(Text(bare, style=side or ""))
    return _fill(lines, width, wrap=True)


def _hanging(console: Console, head: Text, body: Text, indent: Text, width: int) -> list[Text]:
    """``body`` wrapped beside ``head`` (its first line) and ``indent`` (the others)."""
    room = max(10, width - head.cell_len)
    body.end = ""
    wrapped = body.wrap(console, room, no_wrap=False) if body.cell_len > room else [body]
    lines = []
    for index, part in enumerate(wrapped):
        line = (head if index == 0 else indent).copy()
        line.append_text(part)
        line.end = ""
        lines.append(line)
    return lines or [head.copy()]


def diff_strips(old: str, new: str, width: int, palette: NotePalette) -> Iterator[list[Strip]]:
    """``old → new`` as a unified diff: removed lines red, added green, 3 lines of context;
    drawn in pieces of ``PIECE`` rows, the first on screen while the rest is drawn."""
    rows = notemerge.line_diff(visible(old), visible(new))
    if not rows:
        yield [Strip([Segment(_("No changes between these revisions."), palette.muted)])]
        return
    console = _console(width)
    styles = {"-": palette.removed, "+": palette.added, " ": Style()}
    for start in range(0, len(rows), PIECE):
        lines: list[Text] = []
        for tag, line in rows[start : start + PIECE]:
            bare = line.rstrip("\n")
            if tag == "@":
                lines.append(Text(bare, style=palette.hunk))
                continue
            style = styles[tag]
            # A wrapped added or removed line keeps its mark on every row: without
            # colour (or a glance), an unmarked row reads as unchanged.
            head = Text(f"{tag} ", style=style)
            lines += _hanging(console, head, Text(bare, style=style), head, width)
        yield _fill(lines, width, wrap=False)


def blame_strips(
    blamed: list[BlameLine],
    names: dict[str, str],
    numbers: dict[str, int],
    width: int,
    palette: NotePalette,
    when: Callable[[int], str],
) -> list[Strip]:
    """Each line with who wrote it: the author, revision and time start each run of lines
    from one revision; the lines after it in that run leave the gutter blank."""
    if not blamed:
        return [Strip([Segment(_("This revision is empty."), palette.muted)])]
    authors = {line.author for line in blamed}
    name_width = min(10, max(len(names.get(author, _("someone"))) for author in authors))
    revision_width = len(str(max(numbers.values(), default=1))) + 1
    times = {line.revision: when(line.at_ms) for line in blamed}
    time_width = max(len(shown) for shown in times.values())
    gutter_width = name_width + revision_width + time_width + 5
    console = _console(width)
    blank = Text()  # styled by span, not as the base style the line's text would inherit
    blank.append(" " * (gutter_width - 2) + "│ ", style=palette.gutter)
    lines: list[Text] = []
    previous = None
    for line in blamed:
        if line.revision != previous:
            head = Text()
            name = names.get(line.author, _("someone"))[:name_width].ljust(name_width)
            head.append(name + " ", style=palette.author)
            head.append(
                f"r{numbers.get(line.revision, 0)}".ljust(revision_width)
                + f" {times[line.revision]:<{time_width}} │ ",
                style=palette.gutter,
            )
        else:
            head = blank
        previous = line.revision
        lines += _hanging(console, head, Text(visible(line.text.rstrip("\n"))), blank, width)
    return _fill(lines, width, wrap=False)
