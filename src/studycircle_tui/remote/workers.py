"""ssh-serve's worker processes, seen from the front door: starting them, sending each
player to one, carrying the session there, and starting a worker again if it dies.

Why workers at all: a Textual app for a player costs a few megabytes in a process that
already holds Textual and the circle, and a whole Python process (about 60 MB) on its
own; and the circle is folded once per worker, not once per player. Why more than one:
thirty players' screens redraw at once when a quiz question is revealed, and one
process uses one core. So there is one worker per core by default, each with its own
copy of the circle (a store of its own under ``ssh/workers/``, a sync loop of its own,
the circle file between them), and players are spread over them.

A player goes to the worker with the fewest players the first time, and to the same
worker every time after (remembered in ``ssh/workers/assignments.json``), because their
drafts and read marks are kept in that worker's store. If the number of workers
changes, players of a worker that is gone are spread again.

The front door talks to a worker over a Unix socket in a private folder (``wire.py``
says what travels); a worker knows the front door is gone when its standard input ends.
"""

import asyncio
import contextlib
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import asyncssh

from ..i18n import sent_by_client
from . import wire
from .keys import Player

START_LIMIT_SECONDS = 60.0  # loading a big circle can take a while on a slow machine


class WorkersFailed(Exception):
    """The workers could not be started; what they said is in the log above."""


class _Worker:
    def __init__(self, index: int, socket_path: Path) -> None:
        self.index = index
        self.socket = socket_path
        self.process: asyncio.subprocess.Process | None = None
        self.sessions = 0
        self.ready = asyncio.Event()


class WorkerPool:
    def __init__(self, options, log, count: int | None = None) -> None:
        self.options = options
        self.log = log
        self.count = max(1, count or os.cpu_count() or 1)
        self.folder = options.workers_dir
        self._sockets = Path(tempfile.mkdtemp(prefix="studycircle-ssh-"))  # mode 0700
        self.workers = [_Worker(i, self._sockets / f"w{i}.sock") for i in range(self.count)]
        self._assigned: dict[str, int] = {}
        self._stopping = False
        self._tasks: list[asyncio.Task] = []

    # --- the processes ----------------------------------------------------------------

    async def start(self) -> None:
        """Start every worker; return once each has loaded the circle."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self._assigned = self._read_assignments()
        self._tasks = [asyncio.ensure_future(self._keep(worker)) for worker in self.workers]
        waits = [asyncio.ensure_future(worker.ready.wait()) for worker in self.workers]
        _, pending = await asyncio.wait(waits, timeout=START_LIMIT_SECONDS)
        for wait in pending:
            wait.cancel()
        if pending:
            await self.stop()
            raise WorkersFailed("the app's worker processes did not start (see above)")
        self.log(f"ssh-serve: {self.count} worker(s) ready, each with the circle loaded")

    def _command(self, worker: _Worker) -> list[str]:
        options = self.options
        command = [sys.executable, "-m", "studycircle_tui.remote.worker"]
        command += ["--circle", str(options.circle_file), "--index", str(worker.index)]
        command += ["--store", str(self.folder / f"worker-{worker.index}.sqlite3")]
        command += ["--players", str(options.players_dir), "--socket", str(worker.socket)]
        if options.color_depth:
            command += ["--color-depth", options.color_depth]
        if options.low_bandwidth:
            command.append("--low-bandwidth")
        return command

    async def _keep(self, worker: _Worker) -> None:
        """Run a worker, and run it again whenever it stops while the server serves."""
        while not self._stopping:
            worker.ready.clear()
            worker.socket.unlink(missing_ok=True)
            process = await asyncio.create_subprocess_exec(
                *self._command(worker),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
            )
            worker.process = process
            assert process.stdout is not None
            async for line in process.stdout:
                if line.strip() == b"ready":
                    worker.ready.set()
            status = await process.wait()
            worker.ready.clear()  # players arriving now wait for the next one
            if self._stopping:
                return
            self.log(f"ssh-serve: worker {worker.index} stopped (exit {status}); starting it again")
            await asyncio.sleep(1.0)  # a worker that cannot start must not spin

    async def stop(self) -> None:
        """End every worker: its players' apps say goodbye to their terminals first."""
        self._stopping = True
        for worker in self.workers:
            process = worker.process
            if process is not None and process.returncode is None and process.stdin:
                process.stdin.close()
        for worker in self.workers:
            process = worker.process
            if process is None:
                continue
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
        for task in self._tasks:
            task.cancel()
        shutil.rmtree(self._sockets, ignore_errors=True)

    # --- which worker -----------------------------------------------------------------

    def _read_assignments(self) -> dict[str, int]:
        try:
            saved = json.loads((self.folder / "assignments.json").read_text())
        except (OSError, ValueError):
            return {}
        if not isinstance(saved, dict):
            return {}
        return {
            key: index
            for key, index in saved.items()
            if isinstance(index, int) and 0 <= index < self.count
        }

    def _save_assignments(self) -> None:
        path = self.folder / "assignments.json"
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(self._assigned, indent=0, sort_keys=True))
        os.replace(temporary, path)

    def worker_for(self, key_id: str) -> _Worker:
        index = self._assigned.get(key_id)
        if index is None:
            index = min(self.workers, key=lambda worker: worker.sessions).index
            self._assigned[key_id] = index
            with contextlib.suppress(OSError):
                self._save_assignments()
        return self.workers[index]

    # --- one session ------------------------------------------------------------------

    async def serve(
        self, process: asyncssh.SSHServerProcess, player: Player, term: str, columns: int, rows: int
    ) -> int:
        from .ssh import relay

        worker = self.worker_for(player.key_id)
        try:
            await asyncio.wait_for(worker.ready.wait(), START_LIMIT_SECONDS)
            reader, writer = await asyncio.open_unix_connection(str(worker.socket))
        except (OSError, TimeoutError):
            process.stderr.write(b"studycircle: the app is starting again; try in a minute\r\n")
            return 1
        language = sent_by_client(process.env)
        hello = wire.Hello(player.key_id, player.name, player.guest, term, columns, rows, language)
        writer.write(wire.hello(hello))
        worker.sessions += 1
        try:
            await relay(
                process,
                reader,
                send_keys=lambda data: writer.write(wire.keys(data)),
                set_size=lambda width, height: writer.write(wire.window(width, height)),
            )
        finally:
            worker.sessions -= 1
            writer.close()
        return 0
