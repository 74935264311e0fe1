"""``studycircle ssh-serve``: the app served to SSH clients. This is the front door: it
speaks SSH, knows players by their keys, and hands each session to where the app runs.

How a connection becomes a circle member:

1. The player's ssh client offers a public key. If the authorized-keys file maps it to
   a name, the player is that member; an unknown key is refused, unless the lead started
   the server with ``--guests``, when it comes in as a guest (known by that key). With
   ``--guests`` a client with no key at all comes in too, known by its user name.
2. The player's key is their seat: the same member of the circle on every login
   (``seats.py``), with their own read marks, drafts and settings (their own folder
   under the server's data folder, ``ssh/players/<key id>/``).
3. Their app runs in a worker process, beside the other players' apps of that worker,
   over one copy of the circle folded once (``workers.py``, ``worker.py``); or, with
   ``--app-per-session``, in a process of its own (``app_processes.py``).
4. Keys travel one way (the player's keystrokes), the screen the other; a window resize
   is passed on, so the app redraws for the new size. When the connection ends,
   however it ends, the player's app ends with it.

SSH carries the terminal type but not what colours it has, so the depth is guessed from
the TERM the client sends (xterm-256color: 256; linux: 16), unless the server was given
``--color-depth``; each player can change it in their own settings.
"""

import asyncio
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import asyncssh

from .. import config
from .keys import Player, guest_name, key_id, read_authorized_keys
from .workers import WorkerPool


@dataclass
class ServeOptions:
    circle_file: Path
    port: int = 2222
    host: str = "0.0.0.0"
    keys_file: Path = field(default_factory=lambda: config.ssh_dir() / "authorized_keys")
    host_key_file: Path = field(default_factory=lambda: config.ssh_dir() / "host_key")
    players_dir: Path = field(default_factory=lambda: config.ssh_dir() / "players")
    workers_dir: Path = field(default_factory=lambda: config.ssh_dir() / "workers")
    workers: int | None = None  # None: one per core
    app_per_session: bool = False  # each player's app in a process of its own
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


async def relay(
    process: asyncssh.SSHServerProcess,
    screen: asyncio.StreamReader,
    *,
    send_keys: Callable[[bytes], object],
    set_size: Callable[[int, int], object],
    ended: Awaitable[object] | None = None,
) -> None:
    """Carry the app's screen to the player and the player's keys (and window size) to
    the app, until either side ends (or ``ended`` does)."""

    async def screen_to_player() -> None:
        while True:
            try:
                data = await screen.read(65536)
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
                set_size(change.width, change.height)
                continue
            except (asyncssh.BreakReceived, asyncssh.SignalReceived):
                continue
            if not data:
                return
            send_keys(data)

    pumps = [asyncio.ensure_future(screen_to_player()), asyncio.ensure_future(keys_to_app())]
    if ended is not None:
        pumps.append(asyncio.ensure_future(ended))
    try:
        await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
    except asyncio.CancelledError:
        pass
    finally:
        for pump in pumps:
            pump.cancel()


class FrontDoor:
    """Who may come in, and where their session goes (workers, or an app process each)."""

    def __init__(self, options: ServeOptions, log=None) -> None:
        self.options = options
        self._log = log or (lambda text: print(text, file=sys.stderr, flush=True))
        if options.app_per_session:
            from .app_processes import AppProcesses

            self.apps: AppProcesses | WorkerPool = AppProcesses(options, self.log)
        else:
            self.apps = WorkerPool(options, self.log, options.workers)

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
        status = await self.apps.serve(process, player, term, columns or 80, rows or 24)
        process.exit(status)


class _Gate(asyncssh.SSHServer):
    """Authentication: a known key is a member, others are refused (or guests)."""

    def __init__(self, door: FrontDoor) -> None:
        self.door = door
        self.connection: asyncssh.SSHServerConnection | None = None

    def connection_made(self, connection: asyncssh.SSHServerConnection) -> None:
        self.connection = connection

    def begin_auth(self, username: str) -> bool:
        return True

    def public_key_auth_supported(self) -> bool:
        return True

    def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        player = self.door.identify(username, key)
        if player is None:
            peer = self.connection.get_extra_info("peername") if self.connection else None
            self.door.log(f"ssh-serve: refused an unknown key from {peer and peer[0]}")
            return False
        assert self.connection is not None
        self.connection.set_extra_info(player=player)
        return True

    def kbdint_auth_supported(self) -> bool:
        return self.door.options.guests

    def get_kbdint_challenge(self, username: str, lang: str, submethods: str) -> bool:
        # Guests allowed: a client with no key comes in without being asked anything.
        if not self.door.options.guests or self.connection is None:
            return False
        if self.connection.get_extra_info("player") is None:
            player = self.door.identify(username, None)
            if player is None:
                return False
            self.connection.set_extra_info(player=player)
        return True

    def password_auth_supported(self) -> bool:
        return False


async def serve(options: ServeOptions, ready: asyncio.Event | None = None) -> None:
    """Serve until cancelled (SIGINT/SIGTERM), then end every session."""
    host_key = load_host_key(options.host_key_file)
    door = FrontDoor(options)
    await door.apps.start()  # a first screen within a second of the handshake

    def process_factory(process: asyncssh.SSHServerProcess) -> asyncio.Future:
        return asyncio.ensure_future(door.run(process))

    server = await asyncssh.listen(
        options.host,
        options.port,
        server_host_keys=[host_key],
        server_factory=lambda: _Gate(door),
        process_factory=process_factory,
        encoding=None,
        line_editor=False,
        keepalive_interval=30,
        keepalive_count_max=4,
    )
    port = server.get_port() or options.port
    fingerprint = host_key.get_fingerprint()
    door.log(
        f"ssh-serve: serving {options.circle_file.name} on port {port} "
        f"(host key {fingerprint}); players run: ssh -p {port} HOST"
    )
    members, problems = read_authorized_keys(options.keys_file)
    for problem in problems:
        door.log(f"ssh-serve: {problem}")
    door.log(
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
        await door.apps.stop()
        await server.wait_closed()
        door.log("ssh-serve: stopped; every session ended")
