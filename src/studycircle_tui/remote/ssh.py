"""``studycircle ssh-serve``: the app served to SSH clients, one process per player.

How a connection becomes a circle member:

1. The player's ssh client offers a public key. If the authorized-keys file maps it to
   a name, the player is that member; an unknown key is refused, unless the lead started
   the server with ``--guests``, when it comes in as a guest (known by that key). With
   ``--guests`` a client with no key at all comes in too, known by its user name.
2. Every player has a folder of their own under the server's data folder
   (``ssh/players/<key id>/``) holding their own config and local replica. The app is
   started there, in its own pseudo-terminal, as ``studycircle open CIRCLE --name NAME``:
   the first time it joins the circle as a new member, later it is that member again.
   So each player has their own identity in the circle's log, their own read marks,
   drafts and settings, and the circle file is shared exactly as between people on a LAN.
3. Keys travel one way (the player's keystrokes), the screen the other; a window resize
   is passed to the pseudo-terminal, so the app redraws for the new size.
4. When the connection ends, however it ends, the app's whole process group gets
   SIGHUP, then SIGKILL if it is still there after two seconds; and it is waited for.

SSH carries the terminal type but not what colours it has, so the depth is guessed from
the TERM the client sends (xterm-256color: 256; linux: 16), unless the server was given
``--color-depth``; each player can change it in their own settings.
"""

import asyncio
import contextlib
import fcntl
import os
import signal
import struct
import sys
import termios
from dataclasses import dataclass, field
from pathlib import Path

import asyncssh

from .. import config
from .keys import Player, guest_name, key_id, read_authorized_keys

HANGUP_GRACE_SECONDS = 2.0


@dataclass
class ServeOptions:
    circle_file: Path
    port: int = 2222
    host: str = "0.0.0.0"
    keys_file: Path = field(default_factory=lambda: config.ssh_dir() / "authorized_keys")
    host_key_file: Path = field(default_factory=lambda: config.ssh_dir() / "host_key")
    players_dir: Path = field(default_factory=lambda: config.ssh_dir() / "players")
    guests: bool = False
    color_depth: str | None = None
    low_bandwidth: bool = False
    app_command: list[str] = field(
        default_factory=lambda: [sys.executable, "-m", "studycircle_tui.cli"]
    )


def load_host_key(path: Path) -> asyncssh.SSHKey:
    """The server's host key, made once and kept, so players' known_hosts stay valid."""
    if path.exists():
        return asyncssh.read_private_key(str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    key = asyncssh.generate_private_key("ssh-ed25519", comment="studycircle ssh-serve")
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(handle, "wb") as file:
        file.write(key.export_private_key())
    return key


def _set_size(fd: int, columns: int, rows: int) -> None:
    columns, rows = max(columns, 1), max(rows, 1)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))


def _take_terminal() -> None:  # runs in the child between fork and exec
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def depth_for_term(term: str) -> str:
    term = term.lower()
    if term.endswith("256color") or term.endswith("kitty"):
        return "256"
    if term in ("dumb", "unknown", ""):
        return "1"
    return "16"


class Sessions:
    """The running app processes, one per connection; all ended when the server stops."""

    def __init__(self, options: ServeOptions, log=None) -> None:
        self.options = options
        self.children: dict[int, asyncio.subprocess.Process] = {}
        self._log = log or (lambda text: print(text, file=sys.stderr, flush=True))

    def log(self, text: str) -> None:
        self._log(text)

    # --- who is this -------------------------------------------------------------------

    def identify(self, username: str, key: asyncssh.SSHKey | None) -> Player | None:
        """The player for a key (None: refused). ``key`` None is a client with no key."""
        members, problems = read_authorized_keys(self.options.keys_file)
        for problem in problems:
            self.log(f"ssh-serve: {problem}")
        if key is not None:
            name = members.get(key.public_data)
            if name is not None:
                return Player(key_id(key.public_data), name, guest=False)
            if self.options.guests:
                return Player(key_id(key.public_data), guest_name(username), guest=True)
            return None
        if self.options.guests:
            safe = "".join(c for c in username if c.isalnum() or c in "._-")[:32] or "someone"
            return Player(f"guest-{safe}", guest_name(username), guest=True)
        return None

    # --- one session -------------------------------------------------------------------

    def _environment(self, player: Player, term: str) -> dict[str, str]:
        home = self.options.players_dir / player.key_id
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
        return environ

    def _command(self, player: Player, term: str) -> list[str]:
        options = self.options
        depth = options.color_depth or depth_for_term(term)
        # --served-over: the player's keys never make the app write the host's files.
        command = [*options.app_command, "--served-over", "ssh", "--color-depth", depth]
        if options.low_bandwidth:
            command.append("--low-bandwidth")
        return [*command, "open", str(options.circle_file), "--name", player.name]

    async def run(self, process: asyncssh.SSHServerProcess) -> None:
        player: Player | None = process.get_extra_info("player")
        if player is None:  # cannot happen: authentication stopped them
            process.exit(1)
            return
        if process.command is not None or process.subsystem is not None:
            process.stderr.write(b"studycircle: this server runs only the app; no commands\r\n")
            process.exit(1)
            return
        term = process.term_type
        if not term:
            process.stderr.write(b"studycircle: the app needs a terminal; try ssh -t\r\n")
            process.exit(1)
            return
        columns, rows, _, _ = process.term_size
        exit_status = await self._serve(process, player, term, columns or 80, rows or 24)
        process.exit(exit_status)

    async def _serve(
        self, process: asyncssh.SSHServerProcess, player: Player, term: str, columns: int, rows: int
    ) -> int:
        loop = asyncio.get_running_loop()
        master, slave = os.openpty()
        _set_size(master, columns, rows)
        try:
            child = await asyncio.create_subprocess_exec(
                *self._command(player, term),
                stdin=slave,
                stdout=slave,
                stderr=slave,
                env=self._environment(player, term),
                cwd=str(self.options.players_dir / player.key_id),
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
        reader = asyncio.StreamReader()
        read_transport, _ = await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(master, "rb", buffering=0)
        )
        write_file = os.fdopen(os.dup(master), "wb", buffering=0)
        write_transport, _ = await loop.connect_write_pipe(asyncio.Protocol, write_file)

        async def screen_to_player() -> None:
            while True:
                try:
                    data = await reader.read(65536)
                except OSError:  # EIO: the app has closed its terminal
                    return
                if not data:
                    return
                process.stdout.write(data)
                await process.stdout.drain()  # a slow link slows the app, not our memory

        async def keys_to_app() -> None:
            while True:
                try:
                    data = await process.stdin.read(4096)
                except asyncssh.TerminalSizeChanged as change:
                    _set_size(master, change.width, change.height)  # the app gets SIGWINCH
                    continue
                except (asyncssh.BreakReceived, asyncssh.SignalReceived):
                    continue
                if not data:
                    return
                write_transport.write(data)

        pumps = [
            asyncio.ensure_future(screen_to_player()),
            asyncio.ensure_future(keys_to_app()),
            asyncio.ensure_future(child.wait()),
        ]
        try:
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            pass
        finally:
            for pump in pumps:
                pump.cancel()
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

    async def end_all(self) -> None:
        await asyncio.gather(*(self.end(child) for child in list(self.children.values())))


class _Gate(asyncssh.SSHServer):
    """Authentication: a known key is a member, others are refused (or guests)."""

    def __init__(self, sessions: Sessions) -> None:
        self.sessions = sessions
        self.connection: asyncssh.SSHServerConnection | None = None

    def connection_made(self, connection: asyncssh.SSHServerConnection) -> None:
        self.connection = connection

    def begin_auth(self, username: str) -> bool:
        return True

    def public_key_auth_supported(self) -> bool:
        return True

    def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        player = self.sessions.identify(username, key)
        if player is None:
            peer = self.connection.get_extra_info("peername") if self.connection else None
            self.sessions.log(f"ssh-serve: refused an unknown key from {peer and peer[0]}")
            return False
        assert self.connection is not None
        self.connection.set_extra_info(player=player)
        return True

    def kbdint_auth_supported(self) -> bool:
        return self.sessions.options.guests

    def get_kbdint_challenge(self, username: str, lang: str, submethods: str) -> bool:
        # Guests allowed: a client with no key comes in without being asked anything.
        if not self.sessions.options.guests or self.connection is None:
            return False
        if self.connection.get_extra_info("player") is None:
            player = self.sessions.identify(username, None)
            if player is None:
                return False
            self.connection.set_extra_info(player=player)
        return True

    def password_auth_supported(self) -> bool:
        return False


async def serve(options: ServeOptions, ready: asyncio.Event | None = None) -> None:
    """Serve until cancelled (SIGINT/SIGTERM), then end every session."""
    host_key = load_host_key(options.host_key_file)
    sessions = Sessions(options)

    def process_factory(process: asyncssh.SSHServerProcess) -> asyncio.Future:
        return asyncio.ensure_future(sessions.run(process))

    server = await asyncssh.listen(
        options.host,
        options.port,
        server_host_keys=[host_key],
        server_factory=lambda: _Gate(sessions),
        process_factory=process_factory,
        encoding=None,
        line_editor=False,
        keepalive_interval=30,
        keepalive_count_max=4,
    )
    port = server.get_port() or options.port
    fingerprint = host_key.get_fingerprint()
    sessions.log(
        f"ssh-serve: serving {options.circle_file.name} on port {port} "
        f"(host key {fingerprint}); players run: ssh -p {port} HOST"
    )
    members, problems = read_authorized_keys(options.keys_file)
    for problem in problems:
        sessions.log(f"ssh-serve: {problem}")
    sessions.log(
        f"ssh-serve: {len(members)} player key(s) in {options.keys_file}; "
        + ("guests are let in" if options.guests else "unknown keys are refused")
    )
    if ready is not None:
        ready.set()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        server.close()
        await sessions.end_all()
        await server.wait_closed()
        sessions.log("ssh-serve: stopped; every session ended")
