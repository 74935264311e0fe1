"""Drawing for any terminal: fewer colours, no colour at all, plain lines.

Colour depth is a line filter, applied to every line a widget renders, so it holds for
every widget and every theme (and shows in snapshot tests): 256 and 16 colours map each
colour to the nearest one the terminal has; one bit drops colour entirely and keeps the
difference between light and dark as reverse video (a highlighted row, a focused
button), with bold, underline and dim left as they are.

Lines: two terminals cannot draw Textual's borders, which are made of eighth blocks
(▔ ▁ ▊ ▎). In ASCII mode (``--ascii``) the app has the class ``-ascii`` and every
border is drawn with ``+ - |``; on the Linux console (TERM=linux) it has
``-linux-console`` and borders keep to the lines the console's font has. Borders are CSS
(``plain_terminals.tcss``, Textual's ``ascii`` and ``solid`` border types); whatever
else is drawn with a symbol the terminal lacks (a scrollbar's eighth blocks, a tick, an
arrow, a checkbox's half blocks) goes through ``PlainSymbols``, a line filter that puts
a plain character of the same width in its place. What members wrote is left as it is:
letters of any language, and emoji, are theirs.

Both are per app (the app's classes and its line filters), never for the whole process:
one process may serve several people, each with a terminal of their own.
"""

import unicodedata
from functools import lru_cache

from rich.color import Color as RichColor
from rich.color import ColorSystem
from rich.segment import Segment
from rich.style import Style
from textual.app import App
from textual.color import Color
from textual.filter import LineFilter

_SYSTEMS = {"16": ColorSystem.STANDARD, "256": ColorSystem.EIGHT_BIT}


@lru_cache(maxsize=4096)
def _downgraded(style: Style, system: ColorSystem) -> Style:
    color = style.color.downgrade(system) if style.color else None
    bgcolor = style.bgcolor.downgrade(system) if style.bgcolor else None
    if color is style.color and bgcolor is style.bgcolor:
        return style
    return style + Style.from_color(color, bgcolor)


def _luminance(color: RichColor) -> float:
    red, green, blue = color.get_truecolor()
    return (0.2126 * red + 0.7152 * green + 0.0722 * blue) / 255


@lru_cache(maxsize=4096)
def _one_bit(style: Style, reference: float) -> Style:
    """No colour; a background that stands out from the screen's becomes reverse video."""
    background = style.bgcolor
    plain = style.without_color
    if background is None or background.is_default:
        return plain
    if abs(_luminance(background) - reference) > 0.15:
        return plain + Style(reverse=not style.reverse)
    return plain


class ColorDepthFilter(LineFilter):
    """Draw with at most 256, 16 or 2 colours (``depth`` "256", "16" or "1").

    For one bit, ``reference`` is the luminance (0 to 1) of the theme's background:
    rows and cells whose background differs from it by more than a little (a cursor,
    a selection, a focused button) are drawn in reverse video.
    """

    def __init__(self, depth: str, reference: float = 0.0, enabled: bool = True) -> None:
        super().__init__(enabled)
        self.depth = depth
        self.reference = reference

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        if self.depth == "1":
            reference = self.reference
            return [
                Segment(text, None if style is None else _one_bit(style, reference), control)
                for text, style, control in segments
            ]
        system = _SYSTEMS.get(self.depth)
        if system is None:
            return segments
        return [
            Segment(text, None if style is None else _downgraded(style, system), control)
            for text, style, control in segments
        ]


def theme_luminance(app: App) -> float:
    background = app.current_theme.to_color_system().generate()["background"]
    try:
        red, green, blue = Color.parse(background).rgb
    except Exception:  # "ansi_default": the terminal's own, taken as dark
        return 0.0
    return (0.2126 * red + 0.7152 * green + 0.0722 * blue) / 255


# --- plain lines: ASCII mode and the Linux console --------------------------------------

MODE_CLASSES = {"ascii": "-ascii", "console": "-linux-console"}  # "unicode" has none


# The border types the app's CSS names through variables ($line-tall, ...), and which of
# them the Linux console's font can draw as they are.
LINE_TYPES = ("tall", "vkey", "hkey", "outer", "thick", "solid")
_CONSOLE_DRAWS = {"thick", "solid"}


def border_variables(app: App) -> dict[str, str]:
    """``$line-tall`` and the rest, by the app's class: each its own type, or in ASCII
    mode ``ascii``, on the Linux console ``solid`` for the eighth-block lines."""
    if app.has_class(MODE_CLASSES["ascii"]):
        return {f"line-{kind}": "ascii" for kind in LINE_TYPES}
    console = app.has_class(MODE_CLASSES["console"])
    return {
        f"line-{kind}": "solid" if console and kind not in _CONSOLE_DRAWS else kind
        for kind in LINE_TYPES
    }


def _box_drawing(char: str) -> str:
    """``-``, ``|`` or ``+`` for a box-drawing character, from its Unicode name."""
    words = set(unicodedata.name(char, "").split())
    if "DIAGONAL" in words:
        return {"╱": "/", "╲": "\\"}.get(char, "X")
    horizontal = bool(words & {"HORIZONTAL", "LEFT", "RIGHT"})
    vertical = bool(words & {"VERTICAL", "UP", "DOWN"})
    if horizontal and not vertical:
        return "-"
    if vertical and not horizontal:
        return "|"
    return "+"


# Every symbol the app or Textual draws, by a plain one of the same width (what members
# wrote mostly passes through untouched: see the module's docstring).
_ASCII = {chr(code): _box_drawing(chr(code)) for code in range(0x2500, 0x2580)}
_ASCII.update(
    dict.fromkeys("▁▂▃▄▅▆▇", " ")  # a scrollbar's ends: the thumb itself is in colour
    | dict.fromkeys("█▉▊▋▓▙▛▜▟", "#")  # a bar's filled part
    | dict.fromkeys("▌▍▎▏▐▕", "|")  # a gutter, a divider, a bar's end
    | dict.fromkeys("▀▔", "-")
    | {"░": ".", "▒": ":", "▖": ".", "▗": ".", "▘": "'", "▝": "'", "▚": "\\", "▞": "/"}
    | {"·": ".", "…": ".", "—": "-", "–": "-", "“": '"', "”": '"', "‘": "'", "’": "'"}
    | {"‹": "<", "›": ">", "«": "<", "»": ">", "→": ">", "←": "<", "↑": "^", "↓": "v"}
    | {"↩": "<", "⏎": "<", "▼": "v", "▲": "^", "▶": ">", "◀": "<", "±": "+"}
    | {"✓": "+", "✔": "*", "✗": "x", "✘": "x", "●": "*", "○": "o", "◐": "o", "◆": "*"}
    | {"⚑": "!", "⚠": "!", "✎": "~", "⊘": "/"}
    # Two cells each: the discussion marker, the palette's icon, the reactions' emoji
    # (each with its name beside it).
    | {"💬": "= ", "🔎": "> ", "👍": "* ", "💡": "* ", "🙏": "* ", "🙋": "? ", "🎉": "! "}
)
# The Linux console's font has box-drawing lines and half blocks, but no eighth blocks.
_CONSOLE = dict.fromkeys("▁▂▃▅▆▇▉▊▋▍▎▏▔▕", " ")


def key_display(app: App, key: str, shown: str) -> str:
    """How the footer shows a key: in ASCII mode by its name where Textual would show
    a symbol (enter for ⏎)."""
    if shown.isascii() or not app.has_class(MODE_CLASSES["ascii"]):
        return shown
    return key


# Textual draws a checkbox or radio button as three segments: ▐, the mark, ▌.
_TOGGLE_LEFT, _TOGGLE_RIGHT = "▐", "▌"


class PlainSymbols(LineFilter):
    """Draw each symbol the terminal cannot show as a plain character of the same width:
    ``mode`` "ascii" keeps to ASCII (and draws a checkbox ``[X]``), "console" to the
    Linux console's font."""

    def __init__(self, mode: str, enabled: bool = True) -> None:
        super().__init__(enabled)
        self.mode = mode
        self._table = str.maketrans(_ASCII if mode == "ascii" else _CONSOLE)

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        if all(text.isascii() for text, _, _ in segments):
            return segments
        table = self._table
        plain = [
            segment
            if segment.text.isascii()
            else segment._replace(text=segment.text.translate(table))
            for segment in segments
        ]
        if self.mode == "ascii":
            self._bracket_toggles(segments, plain)
        return plain

    @staticmethod
    def _bracket_toggles(original: list[Segment], plain: list[Segment]) -> None:
        for index in range(len(original) - 2):
            if (
                original[index].text == _TOGGLE_LEFT
                and original[index + 2].text == _TOGGLE_RIGHT
                and len(original[index + 1].text) == 1
            ):
                plain[index] = plain[index]._replace(text="[")
                plain[index + 2] = plain[index + 2]._replace(text="]")
