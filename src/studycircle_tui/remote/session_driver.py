"""A Textual driver that draws through one ssh-serve session instead of a terminal.

Textual's Linux driver owns the process's terminal: it reads stdin in a thread, writes
stdout from another, and hears window changes as SIGWINCH. A worker runs many players'
apps in one process and one event loop, so each app gets this driver instead: the
player's keys come in as frames on the session's connection (``remote/wire.py``),
are turned into Textual's key, mouse and paste events by Textual's own terminal parser,
and the screen goes back out on the same connection, to the player's SSH channel.

What the driver asks of the player's terminal is what Textual's Linux driver asks:
the alternate screen, mouse reports, focus reports, bracketed paste, the Kitty keyboard
protocol where the terminal has it, and whether it can draw a frame at once
(synchronized output). Leaving, it asks for each back.

A player whose link stops taking the screen (a frozen client) does not grow the worker
without bound: past ``BACKLOG_LIMIT`` bytes waiting to go out, the session ends.
"""

import asyncio
import codecs
import contextlib
from collections.abc import Callable
from typing import Any

from textual import constants, events
from textual.driver import Driver
from textual.geometry import Size
from textual.message import Message

from ..tui.compat import terminal_parser
from ..tui.messages import TerminalClosed
from . import wire

BACKLOG_LIMIT = 4 << 20
# Kitty keyboard protocol: tell keys apart, report every key, with the text it makes.
_KITTY_FLAGS = 0b1 | 0b1000 | 0b10000
_MOUSE_ON = "\x1b[?1000h\x1b[?1003h\x1b[?1015h\x1b[?1006h"
_MOUSE_OFF = "\x1b[?1000l\x1b[?1003l\x1b[?1015l\x1b[?1006l"


class SessionDriver(Driver):
    """Built by Textual (``App(driver_class=...)``) with the session's two streams bound
    in: ``functools.partial(SessionDriver, reader=…, writer=…, on_end=…)``."""

    def __init__(
        self,
        app: Any,
        *,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        on_end: Callable[[str], None] = lambda reason: None,
        debug: bool = False,
        mouse: bool = True,
        size: tuple[int, int] | None = None,
    ) -> None:
        super().__init__(app, debug=debug, mouse=mouse, size=size or (80, 24))
        self._reader = reader
        self._writer = writer
        self._on_end = on_end
        self._parser = terminal_parser()
        self._decode = codecs.getincrementaldecoder("utf-8")("replace").decode
        self._input: asyncio.Task | None = None
        self._ended = False

    # --- out: the screen --------------------------------------------------------------

    def write(self, data: str) -> None:
        if self._ended or self._writer.is_closing():
            return
        self._writer.write(data.encode("utf-8", "replace"))
        if self._writer.transport.get_write_buffer_size() > BACKLOG_LIMIT:
            self._end("the link stopped taking the screen")

    def flush(self) -> None:
        pass  # the event loop sends as soon as the socket takes it

    # --- in: keys and window sizes ----------------------------------------------------

    def send_message(self, message: Message) -> None:
        # Textual's drivers read input in a thread; this one reads on the app's own loop.
        self._app.post_message(message)

    async def _read_input(self) -> None:
        while True:
            got = await wire.read_frame(self._reader)
            if got is None:
                self._end("the player left")
                return
            kind, payload = got
            if kind == wire.KEYS:
                for event in self._parser.feed(self._decode(payload)):
                    self.process_message(event)
                # A lone ESC is a key only once nothing follows it for a moment.
                self._loop.call_later(constants.ESCAPE_DELAY + 0.01, self._tick)
            elif kind == wire.WINDOW:
                self._size = wire.read_window(payload)
                self._send_size()

    def _tick(self) -> None:
        if not self._ended:
            for event in self._parser.tick():
                self.process_message(event)

    def _send_size(self) -> None:
        width, height = self._size or (80, 24)
        size = Size(width, height)
        self._app.post_message(events.Resize(size, size))

    def _end(self, reason: str) -> None:
        if not self._ended:
            self._ended = True
            self._on_end(reason)
            self._app.post_message(TerminalClosed())  # the app ends as a quit does

    # --- application mode -------------------------------------------------------------

    def start_application_mode(self) -> None:
        self._send_size()
        self.write("\x1b[?1049h")  # the alternate screen: the player's own comes back after
        if self._mouse:
            self.write(_MOUSE_ON)
        self.write("\x1b[?25l")  # no cursor
        self.write("\x1b[?1004h")  # focus in and out
        if not constants.DISABLE_KITTY_KEY:
            self.write(f"\x1b[>{_KITTY_FLAGS}u")
        self.write("\x1b[?2026$p")  # can it draw a frame at once?
        self.write("\x1b[?2004h")  # bracketed paste
        self.write("\x1b[?7l")  # no line wrap
        self._input = asyncio.ensure_future(self._read_input())

    def disable_input(self) -> None:
        if self._input is not None:
            self._input.cancel()
            self._input = None

    def stop_application_mode(self) -> None:
        self.disable_input()
        self.write("\x1b[?2004l\x1b[?7h")
        if self._mouse:
            self.write(_MOUSE_OFF)
        self.write("\x1b[<u")  # the Kitty keyboard protocol off, before leaving the screen
        self.write("\x1b[?1049l\x1b[?25h\x1b[?1004l")

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._writer.close()
