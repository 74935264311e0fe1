"""Textual's private APIs this app relies on, in one place (Textual is pinned exactly;
tests/tui/test_compat.py fails on an upgrade that moves them).

- ``active_app``: the app whose code is running now. One ssh-serve worker runs many
  players' apps in one process; what each draws with (time format, border glyphs)
  is looked up for the app drawing.
- ``XTermParser``: turns what a terminal sends into key, mouse and resize events; the
  ssh-serve driver feeds it the bytes each player's SSH channel carries.
"""

from textual._context import active_app
from textual._xterm_parser import XTermParser


def drawing_app() -> object | None:
    """The app whose code (a render, a handler) is running now; None outside any app."""
    return active_app.get(None)


__all__ = ["XTermParser", "drawing_app"]
