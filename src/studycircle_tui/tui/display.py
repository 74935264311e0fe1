"""Drawing for any terminal: fewer colours, no colour at all, ASCII-only borders.

Colour depth is a line filter, applied to every line a widget renders, so it holds for
every widget and every theme (and shows in snapshot tests): 256 and 16 colours map each
colour to the nearest one the terminal has; one bit drops colour entirely and keeps the
difference between light and dark as reverse video (a highlighted row, a focused
button), with bold, underline and dim left as they are.

Borders: ASCII mode swaps the characters of every border style (and the scrollbar and
checkbox glyphs) for ``+ - |``; console mode (TERM=linux) keeps to the lines the Linux
console's font has. Textual keeps these in module-level tables, shared by every app of
the process, while an ssh-serve worker runs many players' apps, each with its own mode.
So the tables are replaced, once, by ones that answer for the app whose widget is being
drawn (Textual's active app). Textual is pinned to one version, and a test checks the
tables' shape. (Only ``SelectionList`` reads the checkbox edges from its class: those
follow the process's mode, ``set_border_mode(None, …)``.)
"""

from functools import lru_cache
from weakref import WeakKeyDictionary

from rich.color import Color as RichColor
from rich.color import ColorSystem
from rich.segment import Segment
from rich.style import Style
from textual import _border, _styles_cache
from textual.color import Color
from textual.filter import LineFilter
from textual.scrollbar import ScrollBarRender
from textual.widgets._toggle_button import ToggleButton

from .compat import drawing_app

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
MODES = ("unicode", "console", "ascii")
_modes: "WeakKeyDictionary[object, str]" = WeakKeyDictionary()
_process_mode = ["unicode"]  # outside any app, and for what is not drawn per app


def _like(mode: str, name: str) -> str:
    """The border style whose characters ``name`` is drawn with in ``mode``."""
    if name in _INVISIBLE:
        return name
    if mode == "ascii":
        return "ascii"
    if mode == "console" and name not in _CONSOLE_KEEPS:
        return "solid"
    return name


def _tables(original: dict) -> dict[str, dict]:
    return {mode: {name: original[_like(mode, name)] for name in original} for mode in MODES}


def border_mode() -> str:
    """The mode of the app drawing now (the process's outside an app)."""
    app = drawing_app()
    return _modes.get(app, _process_mode[0]) if app is not None else _process_mode[0]


class _ByMode(dict):
    """One of Textual's border tables, answering for the drawing app's mode."""

    def __init__(self, tables: dict[str, dict]) -> None:
        super().__init__(tables["unicode"])
        self._tables = tables

    def __getitem__(self, name: str):
        return self._tables[border_mode()][name]


class _BarsByMode(list):
    """A scrollbar's eighth-block glyphs, or blanks where the mode has no such glyphs."""

    def __init__(self, glyphs: list[str]) -> None:
        super().__init__(glyphs)
        self._blank = [" "] * len(glyphs)

    def __getitem__(self, index):  # type: ignore[override]
        glyphs = self if border_mode() == "unicode" else self._blank
        return list.__getitem__(glyphs, index)


_get_box = lru_cache(maxsize=1024)(
    lambda mode, name, inner, outer, style: _border.get_box.__wrapped__(name, inner, outer, style)
)


def _get_box_for_mode(name, inner_style, outer_style, style):
    return _get_box(border_mode(), name, inner_style, outer_style, style)


def _install() -> None:
    """Put the per-app tables in Textual's place (once)."""
    if isinstance(_border.BORDER_CHARS, _ByMode):
        return
    chars, locations, labels, vertical, horizontal, _ = _UNICODE
    _border.BORDER_CHARS = _ByMode(_tables(chars))
    _border.BORDER_LOCATIONS = _ByMode(_tables(locations))
    _border.BORDER_LABEL_LOCATIONS = _ByMode(_tables(labels))
    _styles_cache.get_box = _get_box_for_mode
    ScrollBarRender.VERTICAL_BARS = _BarsByMode(vertical)
    ScrollBarRender.HORIZONTAL_BARS = _BarsByMode(horizontal)


def set_border_mode(app: object | None, mode: str) -> None:
    """Draw ``app``'s borders (and scrollbars and checkboxes) in ``mode``: "unicode" as
    Textual does, "console" with what the Linux console's font has, "ascii" with
    ``+ - |`` only. With ``app`` None, the mode outside apps and of ``SelectionList``."""
    _install()
    mode = mode if mode in MODES else "unicode"
    if app is None:
        _process_mode[0] = mode
        left_right = ("[", "]") if mode == "ascii" else _UNICODE[5]
        ToggleButton.BUTTON_LEFT, ToggleButton.BUTTON_RIGHT = left_right
    else:
        _modes[app] = mode


def checkbox_edges() -> tuple[str, str]:
    """The edges of a checkbox or radio button in the drawing app's mode."""
    return ("[", "]") if border_mode() == "ascii" else _UNICODE[5]
