"""Textual's Linux driver, which also notices when the terminal goes away.

Closing the terminal window, ``tmux kill-session`` or a dropped SSH connection hangs up
the app's terminal. The kernel sends SIGHUP to the terminal's session leader only (a
shell, or ``make`` under ``make run``), which may pass it on or not; and Textual's driver,
reading a hung-up terminal, is told "end of file" at once, again and again, and takes
no notice: the app lived on, an orphan, its input thread spinning on a third of a core.
A SIGHUP that did arrive killed it on the spot, with the draft being typed.

So this driver listens for both, and either asks the app to end as a quit does (drafts
saved; the CLI then closes the store, its queued writes written): SIGHUP, and the
hang-up itself, heard by a thread that waits on the terminal for nothing else. SIGTERM
(`kill`, a shutdown) ends it the same way, the terminal given back as after a quit; a
second SIGTERM kills it, for an app too stuck to end.
"""

import os
import select
import signal
import threading

from textual.drivers.linux_driver import LinuxDriver

from .compat import outlive_the_terminal
from .messages import TerminalClosed


class TerminalDriver(LinuxDriver):
    def __init__(self, app, **options) -> None:
        super().__init__(app, **options)
        outlive_the_terminal(self)  # the goodbye to a terminal gone must not hang the app
        self._stop_watching: int | None = None  # a pipe's write end: closing it stops the watch
        self._gone = False
        # Kept for the life of the process (as Textual keeps its SIGTSTP handler): a SIGHUP
        # after the app has ended, while the CLI writes the last of the store, is no
        # reason to die in the middle of it.
        signal.signal(signal.SIGHUP, self._hung_up)
        signal.signal(signal.SIGTERM, self._terminated)

    def start_application_mode(self) -> None:
        super().start_application_mode()
        if self._stop_watching is None:
            woken, self._stop_watching = os.pipe()
            watch = threading.Thread(
                target=self._watch, args=(self.fileno, woken), name="terminal-hangup", daemon=True
            )
            watch.start()

    def resume_application_mode(self) -> None:
        # The kernel sends SIGCONT after the SIGHUP of a hang-up, and Textual resumes on
        # any SIGCONT: there is no terminal to resume on, only the app to end.
        if not self._gone:
            super().resume_application_mode()

    def disable_input(self) -> None:
        super().disable_input()
        if self._stop_watching is not None:
            os.close(self._stop_watching)  # its read end hangs up: the watch ends
            self._stop_watching = None

    def _watch(self, terminal: int, woken: int) -> None:
        """Wait, using no CPU, until the terminal hangs up (or the watch is stopped)."""
        poller = select.poll()
        poller.register(terminal, 0)  # asks for nothing: only a hang-up or an error wakes it
        poller.register(woken, select.POLLIN)
        try:
            ready = dict(poller.poll())
        finally:
            os.close(woken)
        if woken not in ready:
            self._end()

    def _hung_up(self, signum: int, frame: object) -> None:
        if self._stop_watching is not None:  # this app is running on the terminal
            self._end()

    def _terminated(self, signum: int, frame: object) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # asked twice: not a second time
        if self._stop_watching is not None:
            self.send_message(TerminalClosed())  # the terminal stays: a quit, not a hang-up
        else:
            signal.raise_signal(signal.SIGTERM)

    def _end(self) -> None:
        if not self._gone:  # a hang-up is often heard twice: as SIGHUP and by the watch
            self._gone = True
            self.send_message(TerminalClosed())
