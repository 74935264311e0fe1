"""What the benchmarks share: a percentile, ``studycircle serve`` as a process of its own,
making circles and invites in its database and joining them, json-server (the baseline
some of them run next to ours), the load average and a process's CPU time, and the real
app in a pseudo-terminal read through a terminal emulator (pyte): what a person sees."""

import asyncio
import contextlib
import fcntl
import math
import os
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path

import httpx

from studycircle_tui.core.signing import SigningKey

JSON_SERVER = "json-server@0.17.4"


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile: the smallest value with ``share`` of them at or below."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]


def start_server(
    data: Path, raised_limits: bool = True, *options: str
) -> tuple[subprocess.Popen, str]:
    """``studycircle serve`` on a free loopback port, its rate and join limits raised
    unless told otherwise (a benchmark's clients all come from one address), with more
    of its ``options`` (``--database``, ``--workers``); the process and its URL."""
    command = [sys.executable, "-m", "studycircle_tui.server", "serve", "--port", "0"]
    command += ["--data", str(data), *options]
    if raised_limits:
        command += ["--rate-limit", "100000", "--join-limit", "100000"]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    line = process.stdout.readline() if process.stdout else ""
    if "listening on " not in line:
        process.kill()
        sys.exit(f"the studycircle server did not start: {line!r}")
    process.banner = line  # type: ignore[attr-defined]  (--workers names its workers there)
    return process, line.split("listening on ")[1].split()[0]


async def new_circle(
    data: Path, name: str, database: str | None = None, channels: Sequence[str] = ()
) -> tuple[str, str]:
    """A circle in the server's database (SQLite in ``data``, or ``database``), with
    ``channels`` opened: its id and its founding lead's invite."""
    from studycircle_tui.server import admin
    from studycircle_tui.server.storage import open_store

    store = open_store(database, data)
    await store.open()
    try:
        return await admin.create_circle(store, name, time.time_ns() // 1_000_000, channels)
    finally:
        await store.close()


async def new_invite(
    data: Path, circle: str, uses: int, expires_ms: int = 2**62, database: str | None = None
) -> str:
    from studycircle_tui.server import admin
    from studycircle_tui.server.storage import open_store

    store = open_store(database, data)
    await store.open()
    try:
        now = time.time_ns() // 1_000_000
        return await admin.add_invite(store, circle, "member", uses, expires_ms, now)
    finally:
        await store.close()


def join(
    client: httpx.Client, code: str, name: str, key: SigningKey | None = None
) -> tuple[str, str, str]:
    """Redeem an invite (``client`` has the server's URL as its base): circle, member, token.
    ``key``: the joiner's signing key, whose public half the join names (a circle that
    requires signed changes refuses a join without one)."""
    wanted = {"invite": code, "display_name": name}
    if key is not None:
        wanted["key"] = key.public
    answer = client.post("/api/v1/join", json=wanted)
    answer.raise_for_status()
    body = answer.json()
    return body["circle"], body["member"], body["token"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def install_json_server() -> Path:
    """json-server 0.17.4 from npm, in a temp dir kept between runs; its CLI script."""
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        sys.exit("this benchmark needs node and npm to run json-server next to ours")
    root = Path(tempfile.gettempdir()) / "studycircle-bench-json-server-0.17.4"
    cli = root / "node_modules" / "json-server" / "lib" / "cli" / "bin.js"
    if not cli.exists():
        subprocess.run(
            [npm, "install", "--prefix", str(root), "--no-audit", "--no-fund", JSON_SERVER],
            check=True,
        )
    return cli


@contextlib.asynccontextmanager
async def json_server(cli: Path, db: Path, ready: str) -> AsyncIterator[str]:
    """json-server serving ``db`` on a free port, once ``ready`` (a path) answers 200; its
    base URL. Stopped on the way out."""
    port = free_port()
    process = subprocess.Popen(
        ["node", str(cli), "--host", "127.0.0.1", "--port", str(port), "--quiet", str(db)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base, timeout=60) as probe:
            for _ in range(300):
                with contextlib.suppress(httpx.HTTPError):
                    if (await probe.get(ready)).status_code == 200:
                        break
                await asyncio.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(10)


def load_average() -> str:
    """The machine's load average (1, 5, 15 min): how shared it was while measuring."""
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process (all its threads) has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def app_env(home: Path) -> dict[str, str]:
    """The environment the real app gets in a benchmark: its own home and folders, a
    256-colour xterm, UTF-8 and UTC, and nothing of the machine's running it."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "TERM": "xterm-256color",
        "LANG": "C.UTF-8",
        "TZ": "UTC",
    }


def spawn_in_pty(
    argv: list[str], env: dict[str, str], size: tuple[int, int], pass_fds: Sequence[int] = ()
) -> tuple[subprocess.Popen, int]:
    """Start a program in a new pseudo-terminal of ``size`` (columns, rows), in a session
    of its own (so it can be stopped with its children); the process and the master fd.
    ``pass_fds``: descriptors it inherits (a pipe it reports on)."""
    columns, rows = size
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    process = subprocess.Popen(
        argv,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        start_new_session=True,
        pass_fds=tuple(pass_fds),
    )
    os.close(slave)
    return process, master


def stop_in_pty(process: subprocess.Popen, fd: int, reader: threading.Thread | None = None) -> None:
    """Stop a program ``spawn_in_pty`` started (its whole session: SIGTERM, then SIGKILL
    after 10 s), let its ``reader`` thread see the end, and close the terminal."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    if reader is not None:
        reader.join(2)
    os.close(fd)


class PtyScreen:
    """A program in a pseudo-terminal, what it writes fed to a terminal emulator (pyte)
    on a thread of its own. After each read, ``watch(ms, text)`` is called with the wall
    time (ms) the bytes arrived and the whole screen as text: what a person would see,
    and when; ``wait_until`` waits for the screen to show something."""

    def __init__(
        self,
        argv: list[str],
        env: dict[str, str],
        size: tuple[int, int],
        watch: Callable[[float, str], None] | None = None,
        pass_fds: Sequence[int] = (),
    ) -> None:
        import pyte  # a dev dependency: benchmarks run from the project's venv

        self.process, self.fd = spawn_in_pty(argv, env, size, pass_fds)
        self.screen = pyte.Screen(*size)
        self.stream = pyte.ByteStream(self.screen)
        self.watch = watch
        self.bytes = 0  # written to the terminal so far
        self.lock = threading.Condition()  # notified after each read is fed to the screen
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            ready, _, _ = select.select([self.fd], [], [], 0.5)
            if not ready:
                if self.process.poll() is not None:
                    return
                continue
            try:
                data = os.read(self.fd, 65536)
            except OSError:  # EIO: the program has ended
                return
            if not data:
                return
            arrived = time.time_ns() / 1e6
            with self.lock:
                self.stream.feed(data)
                self.bytes += len(data)
                text = "\n".join(self.screen.display)
                self.lock.notify_all()
            if self.watch is not None:
                self.watch(arrived, text)

    def text(self) -> str:
        with self.lock:
            return "\n".join(self.screen.display)

    def wait_until(self, shown: Callable[[str], bool], limit: float) -> float | None:
        """Wait until ``shown(text)`` is true of the screen; the time.monotonic() it was
        first seen, or None after ``limit`` seconds (or once the program has ended)."""
        end = time.monotonic() + limit
        with self.lock:
            while not shown("\n".join(self.screen.display)):
                left = end - time.monotonic()
                if left <= 0 or not self._reader.is_alive():
                    return None
                self.lock.wait(min(left, 0.5))
            return time.monotonic()

    def press(self, keys: bytes) -> None:
        os.write(self.fd, keys)

    def close(self) -> None:
        stop_in_pty(self.process, self.fd, self._reader)


def peak_rss_mb(pid: int) -> float:
    """A live process's peak resident memory (VmHWM), in MB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return math.nan


class PtyProgram:
    """A program in a pseudo-terminal read on the caller's thread, every chunk timed and
    fed to pyte, so a benchmark can ask when the screen first showed something
    (``until``) or when the program stopped writing (``quiet``): first-paint figures,
    where ``PtyScreen``'s watcher thread would add its own scheduling to the moment."""

    def __init__(self, argv: list[str], env: dict[str, str], size: tuple[int, int]) -> None:
        import pyte  # a dev dependency: benchmarks run from the project's venv

        self.started = time.perf_counter()
        self.process, self.fd = spawn_in_pty(argv, env, size)
        self.screen = pyte.Screen(*size)
        self.stream = pyte.ByteStream(self.screen)
        self.last_byte = self.started  # when the latest chunk arrived

    def text(self) -> str:
        return "\n".join(self.screen.display)

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return False
        try:
            data = os.read(self.fd, 1 << 16)
        except OSError:  # EIO: the program has ended
            return False
        if not data:
            return False
        self.last_byte = time.perf_counter()
        self.stream.feed(data)
        return True

    def until(self, shown: Callable[[], bool], limit: float = 60.0) -> float:
        """Read until ``shown()`` holds; the moment the chunk that made it so arrived."""
        end = time.perf_counter() + limit
        while not shown():
            if time.perf_counter() > end or self.process.poll() is not None:
                raise TimeoutError(f"not shown within {limit} s; the screen:\n{self.text()}")
            self._read(0.05)
        return self.last_byte

    def quiet(self, seconds: float, limit: float = 60.0) -> float:
        """Read until nothing arrives for ``seconds``; the moment the last chunk arrived."""
        end = time.perf_counter() + limit
        while time.perf_counter() < end and self._read(seconds):
            pass
        return self.last_byte

    def press(self, keys: bytes) -> float:
        moment = time.perf_counter()
        os.write(self.fd, keys)
        return moment

    def status(self, field: str) -> int:
        """A ``/proc/PID/status`` figure in kB (``VmHWM``: peak resident memory so far)."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
        raise KeyError(field)

    def cpu_seconds(self) -> float:
        """User + system CPU time the program has used so far."""
        return cpu_seconds(self.process.pid)

    def close(self) -> None:
        stop_in_pty(self.process, self.fd)
