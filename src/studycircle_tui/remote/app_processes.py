"""``ssh-serve --app-per-session``: each player's app in a process of its own.

How ssh-serve worked before workers, kept for hosts that want each player fully apart
(one player's app can never slow or stop another's), and as the baseline
bench/ssh_sessions.py measures the workers against. It costs a whole Python process
per player (about 60 MB) and every process folds the circle itself.

Every player has a folder of their own under the server's data folder
(``ssh/players/<key id>/``) holding their own config and local replica. The app is
started there, in its own pseudo-terminal, as ``studycircle open CIRCLE --name NAME``,
as the member the player's key is (``seats.py``: the same member as under workers).
Keys travel one way, the screen the other; a window resize is passed to the
pseudo-terminal, so the app redraws for the new size. When the connection ends,
however it ends, the app's whole process group gets SIGHUP, then SIGKILL if it is
still there after two seconds; and it is waited for.
"""

import asyncio
import contextlib
import fcntl
import os
import signal
import struct
import termios

import asyncssh

from ..core.ops import decode_op
from ..i18n import SOURCE, sent_by_client
from ..store.db import CircleRecord, Store
from ..terminal import depth_for_term
from .keys import Player
from .seats import player_home, player_store_file, seat

HANGUP_GRACE_SECONDS = 2.0


def _set_size(fd: int, columns: int, rows: int) -> None:
    columns, rows = max(columns, 1), max(rows, 1)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))


def _take_terminal() -> None:  # runs in the child between fork and exec
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class AppProcesses:
    """The running app processes, one per connection; all ended when the server stops."""

    def __init__(self, options, log) -> None:
        self.options = options
        self.log = log
        self.children: dict[int, asyncio.subprocess.Process] = {}

    async def start(self) -> None:
        return None

    def _seat_player(self, player: Player) -> None:
        """Give the player's own replica the member their key is, before their app opens
        the circle (so a player keeps one seat whichever way the server runs)."""
        path = self.options.circle_file
        with path.open("rb") as handle:
            created = decode_op(handle.readline())
        store = Store(player_store_file(player_home(self.options.players_dir, player.key_id)))
        try:
            if store.circle(created.id) is None:
                member = seat(
                    created.id, player.key_id, player_home(self.options.players_dir, player.key_id)
                )
                store.save_circle(
                    CircleRecord(created.id, created.data.name, "file", str(path), member)
                )
        finally:
            store.close()

    def _environment(self, player: Player, term: str, language: str = "") -> dict[str, str]:
        home = player_home(self.options.players_dir, player.key_id)
        (home / "config").mkdir(parents=True, exist_ok=True)
        (home / "data").mkdir(parents=True, exist_ok=True)
        environ = {
            key: value
            for key, value in os.environ.items()
            if key in ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "PYTHONPATH", "VIRTUAL_ENV")
        }
        environ.update(
            HOME=str(home),
            XDG_CONFIG_HOME=str(home / "config"),
            XDG_DATA_HOME=str(home / "data"),
            TERM=term or "xterm",
            STUDYCIRCLE_NAME=player.name,
        )
        environ.setdefault("LANG", "C.UTF-8")
        # The language the player's SSH client asked for, else English: never the host's.
        # Their own `language` setting still wins (i18n.choose reads it first).
        environ.setdefault("LC_CTYPE", environ.pop("LC_ALL", "C.UTF-8"))
        if environ["LANG"] in ("C", "POSIX"):
            environ["LANG"] = "C.UTF-8"  # under plain C, LANGUAGE is not read
        environ["LANGUAGE"] = language or SOURCE
        return environ

    def _command(self, player: Player, term: str) -> list[str]:
        options = self.options
        depth = options.color_depth or depth_for_term(term)
        # --served-over: the player's keys never make the app write the host's files.
        command = [*options.app_command, "--served-over", "ssh", "--color-depth", depth]
        if options.low_bandwidth:
            command.append("--low-bandwidth")
        return [*command, "open", str(options.circle_file), "--name", player.name]

    async def serve(
        self, process: asyncssh.SSHServerProcess, player: Player, term: str, columns: int, rows: int
    ) -> int:
        from .ssh import relay

        loop = asyncio.get_running_loop()
        environ = self._environment(player, term, sent_by_client(process.env))
        with contextlib.suppress(OSError, ValueError):
            self._seat_player(player)
        master, slave = os.openpty()
        _set_size(master, columns, rows)
        try:
            child = await asyncio.create_subprocess_exec(
                *self._command(player, term),
                stdin=slave,
                stdout=slave,
                stderr=slave,
                env=environ,
                cwd=str(player_home(self.options.players_dir, player.key_id)),
                start_new_session=True,
                preexec_fn=_take_terminal,
            )
        except OSError as error:
            os.close(master)
            os.close(slave)
            process.stderr.write(f"studycircle: cannot start the app: {error}\r\n".encode())
            return 1
        os.close(slave)
        self.children[child.pid] = child
        who = f"{player.name}{' (guest)' if player.guest and '(guest)' not in player.name else ''}"
        self.log(f"ssh-serve: {who} connected (app pid {child.pid})")
        screen = asyncio.StreamReader()
        read_transport, _ = await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(screen), os.fdopen(master, "rb", buffering=0)
        )
        write_file = os.fdopen(os.dup(master), "wb", buffering=0)
        write_transport, _ = await loop.connect_write_pipe(asyncio.Protocol, write_file)
        try:
            await relay(
                process,
                screen,
                send_keys=write_transport.write,
                set_size=lambda width, height: _set_size(master, width, height),
                ended=child.wait(),
            )
        finally:
            status = await self.end(child)
            read_transport.close()
            write_transport.close()
            how = f"exit {status}" if status >= 0 else f"ended by signal {-status}"
            self.log(f"ssh-serve: {who} left (app pid {child.pid}, {how})")
        return status if status >= 0 else 0

    async def end(self, child: asyncio.subprocess.Process) -> int:
        """Hang up on an app's whole process group; kill it if it will not go."""
        if child.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGHUP)
            try:
                await asyncio.wait_for(child.wait(), HANGUP_GRACE_SECONDS)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.pid, signal.SIGKILL)
                await child.wait()
        self.children.pop(child.pid, None)
        return child.returncode if child.returncode is not None else -1

    async def stop(self) -> None:
        await asyncio.gather(*(self.end(child) for child in list(self.children.values())))
