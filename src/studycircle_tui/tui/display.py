"""Drawing for any terminal: fewer colours, no colour at all, ASCII-only borders.

Colour depth is a line filter, applied to every line a widget renders, so it holds for
every widget and every theme (and shows in snapshot tests): 256 and 16 colours map each
colour to the nearest one the terminal has; one bit drops colour entirely and keeps the
difference between light and dark as reverse video (a highlighted row, a focused
button), with bold, underline and dim left as they are.

Borders: ASCII mode swaps the characters of every border style (and the scrollbar and
checkbox glyphs) for ``+ - |``; console mode (TERM=linux) keeps to the lines the Linux
console's font has. Textual keeps these in module-level tables, which this module
rewrites; Textual is pinned to one version, and a test checks the tables' shape.
"""

from functools import lru_cache

from rich.color import Color as RichColor
from rich.color import ColorSystem
from rich.segment import Segment
from rich.style import Style
from textual import _border
from textual.color import Color
from textual.filter import LineFilter
from textual.scrollbar import ScrollBarRender
from textual.widgets._toggle_button import ToggleButton

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


def theme_luminance(app) -> float:
    background = app.current_theme.to_color_system().generate()["background"]
    try:
        red, green, blue = Color.parse(background).rgb
    except Exception:  # "ansi_default": the terminal's own, taken as dark
        return 0.0
    return (0.2126 * red + 0.7152 * green + 0.0722 * blue) / 255


def set_color_depth(app, depth: str) -> None:
    """Replace this app's colour-depth filter (none for truecolor)."""
    filters = app._filters  # Textual keeps its line filters here (ANSI, NO_COLOR, dim)
    filters[:] = [item for item in filters if not isinstance(item, ColorDepthFilter)]
    if depth in ("1", "16", "256"):
        filters.append(ColorDepthFilter(depth, theme_luminance(app)))


def follow_theme(app) -> None:
    """After a theme change: one bit measures against the new background."""
    for item in app._filters:
        if isinstance(item, ColorDepthFilter):
            item.reference = theme_luminance(app)


# --- borders: Unicode, the Linux console's, or ASCII ------------------------------------

_INVISIBLE = {"", "none", "hidden", "blank"}
# What the Linux console's font can draw: its box-drawing lines (single and double) and a
# few blocks, but none of the eighth blocks (▔ ▁ ▊ ▎ ▏ ▕) that Textual's tall, wide, key
# and panel borders are made of. On TERM=linux every other style is drawn as "solid".
_CONSOLE_KEEPS = {"ascii", "solid", "double", "thick", "block"}
_UNICODE = (
    dict(_border.BORDER_CHARS),
    dict(_border.BORDER_LOCATIONS),
    dict(_border.BORDER_LABEL_LOCATIONS),
    list(ScrollBarRender.VERTICAL_BARS),
    list(ScrollBarRender.HORIZONTAL_BARS),
    (ToggleButton.BUTTON_LEFT, ToggleButton.BUTTON_RIGHT),
)


def border_mode() -> str:
    if _border.BORDER_CHARS["round"] == _UNICODE[0]["ascii"]:
        return "ascii"
    if _border.BORDER_CHARS["tall"] == _UNICODE[0]["solid"]:
        return "console"
    return "unicode"


def set_border_mode(mode: str) -> None:
    """Draw every border (and scrollbar and checkbox) in ``mode``, for this process:
    "unicode" as Textual does, "console" with what the Linux console's font has, "ascii"
    with ``+ - |`` only."""
    chars, locations, labels, vertical, horizontal, toggle = _UNICODE
    for name in chars:
        if name in _INVISIBLE:
            continue
        if mode == "ascii":
            like = "ascii"
        elif mode == "console" and name not in _CONSOLE_KEEPS:
            like = "solid"
        else:
            like = name
        _border.BORDER_CHARS[name] = chars[like]
        _border.BORDER_LOCATIONS[name] = locations[like]
        _border.BORDER_LABEL_LOCATIONS[name] = labels[like]
    _border.get_box.cache_clear()
    plain = mode != "unicode"
    ScrollBarRender.VERTICAL_BARS = [" "] * len(vertical) if plain else vertical
    ScrollBarRender.HORIZONTAL_BARS = [" "] * len(horizontal) if plain else horizontal
    ToggleButton.BUTTON_LEFT, ToggleButton.BUTTON_RIGHT = ("[", "]") if mode == "ascii" else toggle


def set_ascii_borders(on: bool) -> None:
    set_border_mode("ascii" if on else "unicode")
