"""A program in a pseudo-terminal, its output fed to a terminal emulator (pyte): what a
person would see, for tests that run the real app or a real ssh client."""

import fcntl
import os
import select
import signal
import struct
import subprocess
import termios
import time

import pyte


def cells(screen: pyte.Screen) -> list[list[tuple]]:
    return [
        [
            (char.data, char.fg, char.bg, char.bold, char.reverse)
            for char in (screen.buffer[y][x] for x in range(screen.columns))
        ]
        for y in range(screen.lines)
    ]


def app_env(home) -> dict[str, str]:
    """The environment the real app gets in a test terminal: its own home and folders, a
    256-colour xterm, UTF-8 and UTC, and nothing of the machine's running the tests."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "TERM": "xterm-256color",
        "LANG": "C.UTF-8",
        "TZ": "UTC",
    }


def _take_terminal() -> None:  # in the child: the pty becomes its controlling terminal
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class PtyApp:
    """A program in a pseudo-terminal (its controlling terminal, so a resize reaches it
    as SIGWINCH), its output fed to a terminal emulator."""

    def __init__(self, argv: list[str], env: dict[str, str], size=(80, 24)) -> None:
        columns, rows = size
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        self.process = subprocess.Popen(
            argv,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            start_new_session=True,
            preexec_fn=_take_terminal,
        )
        os.close(slave)
        self.fd = master
        self.screen = pyte.Screen(columns, rows)
        self.stream = pyte.ByteStream(self.screen)
        self.bytes = 0
        self.raw = b""  # everything the program wrote

    def settle(self, quiet: float = 1.0, first: float = 0.0, limit: float = 30.0) -> int:
        count, end = 0, time.monotonic() + limit
        if first:
            select.select([self.fd], [], [], first)
        while time.monotonic() < end:
            ready, _, _ = select.select([self.fd], [], [], quiet)
            if not ready:
                break
            try:
                data = os.read(self.fd, 65536)
            except OSError:  # EIO: the program has ended
                break
            if not data:
                break
            count += len(data)
            self.raw += data
            self.stream.feed(data)
        self.bytes += count
        return count

    def press(self, keys: bytes) -> None:
        os.write(self.fd, keys)

    def text(self) -> str:
        return "\n".join(self.screen.display)

    def wait_for(self, words: str, limit: float = 30.0) -> bool:
        """Read until ``words`` are on the screen (True) or ``limit`` seconds pass."""
        return self.wait_until(lambda: words in self.text(), limit)

    def wait_until(self, shown, limit: float = 30.0) -> bool:  # shown: () -> bool
        end = time.monotonic() + limit
        while not shown():
            if time.monotonic() > end or self.process.poll() is not None:
                self.settle(quiet=0.2, limit=1)
                return shown()
            self.settle(quiet=0.2, limit=1)
        return True

    def resize(self, columns: int, rows: int) -> None:
        self.screen.resize(rows, columns)
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))

    def hang_up(self) -> None:
        """Close the terminal, as closing its window or dropping an SSH link does."""
        os.close(self.fd)
        self.fd = -1

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if self.fd != -1:
            self.hang_up()
