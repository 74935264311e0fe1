"""An ssh-serve worker: one circle, folded once, and every player's app over it.

The front door (``remote/ssh.py``) speaks SSH and hands each player's session to a
worker process (``remote/workers.py``). A worker holds:

- one ``SharedCircle`` for the circle file: one store, one replica, one sync loop,
  whatever the number of players (each worker has its own, so a worker's players
  never wait on another process; the circle file is how workers hear of each other,
  as it is between people on a LAN);
- for each player, a ``CircleService`` view of that circle as their own member, and
  a Textual app drawn through their session (``session_driver.py``) in this process.

A player's member id comes from their key (``seats.py``); their settings from their
own config.toml in their folder; their drafts and read marks from the worker's store
(the front door sends a player to the same worker each time).

Run by the front door as ``python -m studycircle_tui.remote.worker``; it never reads
the process's terminal. It ends when the front door closes its standard input.
"""

import argparse
import asyncio
import functools
import gc
import os
import sys
from pathlib import Path

from . import wire
from .seats import player_config_file, player_home, seat


def _log(text: str) -> None:
    # Textual redirects sys.stderr while an app runs: write to the process's own, the
    # line in one write, or two workers' lines interleave on the shared stderr.
    stream = sys.__stderr__
    if stream is not None:
        data = (text + "\n").encode(stream.encoding or "utf-8", "backslashreplace")
        os.write(stream.fileno(), data)


class SessionHost:
    """A worker's circle and the players' apps running over it."""

    def __init__(
        self,
        circle_file: Path,
        store_file: Path,
        players_dir: Path,
        *,
        color_depth: str | None = None,
        low_bandwidth: bool = False,
        name: str = "worker",
        log=_log,
    ) -> None:
        from ..store.db import Store
        from ..sync.circles import open_shared_circle

        self.players_dir = players_dir
        self.color_depth = color_depth
        self.low_bandwidth = low_bandwidth
        self.name = name
        self.log = log
        self.circle = open_shared_circle(Store(store_file), circle_file)
        self.apps: set = set()  # every player's app running now

    async def start(self) -> None:
        """Catch up with the file, start the one sync loop, and tune the collector once
        for every app to come (see ``tui.app.tune_garbage_collector``)."""
        from ..sync.transport import TransportError

        try:
            await self.circle.sync_once()
        except TransportError as error:
            self.log(f"ssh-serve: {self.name}: {error}; retrying in the background")
        self._syncing = asyncio.ensure_future(self.circle.run())
        self._pacing = asyncio.ensure_future(self.circle.pace())
        gc.collect()
        gc.freeze()  # the circle's state, folded once, lives as long as the worker
        gc.set_threshold(5_000, 10, 1_000)

    async def stop(self) -> None:
        await self.circle.stop()
        self.circle.close()  # its store's reader, indexer and snapshot threads

    # --- one player -------------------------------------------------------------------

    def _environ(self, hello: wire.Hello) -> dict[str, str]:
        """The player's terminal, as the app would read it from its environment."""
        from .. import terminal

        environ = {"TERM": hello.term or "xterm"}
        depth = self.color_depth or terminal.depth_for_term(hello.term)
        environ[terminal.ENV_COLOR_DEPTH] = depth
        if self.low_bandwidth:
            environ[terminal.ENV_LOW_BANDWIDTH] = "1"
        return environ

    def member_for(self, hello: wire.Hello):
        """The player's view of the circle, joining it as them the first time."""
        from ..sync.engine import CircleService

        home = player_home(self.players_dir, hello.key_id)
        member = seat(self.circle.record.id, hello.key_id, home)
        service = CircleService.member_of(self.circle, member)
        if member not in self.circle.state.members:
            # The player's key lives in the host's store: the host runs their app.
            key = service.keys.new(member)
            service.submit("member.join", {"name": hello.name, "key": key.public}, key=key)
        return service

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One session, from its hello to its end (the player quits or leaves)."""
        from .. import i18n
        from ..config import load_settings
        from ..tui.app import StudyCircleApp
        from .session_driver import SessionDriver

        got = await wire.read_frame(reader)
        hello = wire.read_hello(got[1]) if got and got[0] == wire.HELLO else None
        if hello is None:
            writer.close()
            return
        try:
            service = self.member_for(hello)
        except Exception as error:  # a circle that refuses the join: say so, end
            writer.write(f"studycircle: cannot seat you in the circle: {error}\r\n".encode())
            writer.close()
            return
        home = player_home(self.players_dir, hello.key_id)
        settings = load_settings(player_config_file(home))
        settings.name = hello.name
        ended: list[str] = []
        driver = functools.partial(SessionDriver, reader=reader, writer=writer, on_end=ended.append)
        app = StudyCircleApp(
            service,
            settings=settings,
            environ=self._environ(hello),
            driver_class=driver,
            tune_gc=False,
            remote="ssh",  # the player's keys never make the app write the host's files
        )
        self.apps.add(app)
        self.log(f"ssh-serve: {hello.name} connected ({self.name}, member {service.me})")
        language = i18n.for_session(settings.language, hello.language)
        try:
            with i18n.speaking(language):  # this session's tasks, and no one else's
                await app.run_async(size=(hello.columns, hello.rows))
        finally:
            service.close()
            self.apps.discard(app)
            writer.close()
            why = ended[0] if ended else "quit"
            self.log(f"ssh-serve: {hello.name} left ({self.name}, member {service.me}: {why})")


# --- the worker process ------------------------------------------------------------------


def _prepare_environment(low_bandwidth: bool) -> None:
    """Before Textual is imported: it reads these once. Each player's depth is applied by
    their app's own colour filter, so the process draws in full colour; a frame rate is
    the process's, so the server's --low-bandwidth sets it for everyone."""
    os.environ["TEXTUAL_COLOR_SYSTEM"] = "truecolor"
    os.environ.pop("NO_COLOR", None)
    if low_bandwidth:
        from ..terminal import LOW_BANDWIDTH_FPS

        os.environ["TEXTUAL_FPS"] = LOW_BANDWIDTH_FPS


def _load_the_app() -> None:
    """Import the app and every screen now, not when the first player opens one: their
    first screen comes sooner, and the worker's idle memory holds what all share."""
    import importlib
    import pkgutil

    from ..tui import app, screens

    del app
    for module in pkgutil.iter_modules(screens.__path__):
        importlib.import_module(f"{screens.__name__}.{module.name}")


async def _main(args: argparse.Namespace) -> int:
    _load_the_app()
    host = SessionHost(
        Path(args.circle),
        Path(args.store),
        Path(args.players),
        color_depth=args.color_depth,
        low_bandwidth=args.low_bandwidth,
        name=f"worker {args.index}",
    )
    await host.start()
    server = await asyncio.start_unix_server(host.serve, args.socket)
    print("ready", flush=True)  # the front door waits for this line before it listens
    loop = asyncio.get_running_loop()
    stdin = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stdin), sys.stdin)
    await stdin.read()  # the front door closes it (or dies): time to go
    server.close()
    for app in list(host.apps):
        app.exit()
    await asyncio.sleep(0.2)  # let the apps tell their players' terminals goodbye
    await host.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="studycircle-ssh-worker")
    parser.add_argument("--circle", required=True)
    parser.add_argument("--store", required=True)
    parser.add_argument("--players", required=True)
    parser.add_argument("--socket", required=True)
    parser.add_argument("--index", type=int, default=0)
    parser.add_argument("--color-depth")
    parser.add_argument("--low-bandwidth", action="store_true")
    args = parser.parse_args(argv)
    _prepare_environment(args.low_bandwidth)
    try:
        return asyncio.run(_main(args))
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
