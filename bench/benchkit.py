"""What the benchmarks share: a percentile, ``studycircle serve`` as a process of its own,
making circles and invites in its database and joining them, json-server (the baseline
some of them run next to ours), and the app in a pseudo-terminal read through a terminal
emulator (what a person sees)."""

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
import time
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path

import httpx
import pyte

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


def join(client: httpx.Client, code: str, name: str) -> tuple[str, str, str]:
    """Redeem an invite (``client`` has the server's URL as its base): circle, member, token."""
    answer = client.post("/api/v1/join", json={"invite": code, "display_name": name})
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


class PtyScreen:
    """A program in a pseudo-terminal, what it writes fed to a terminal emulator (pyte):
    what a person would see, read as it is drawn."""

    def __init__(
        self,
        argv: list[str],
        env: dict[str, str],
        columns: int,
        rows: int,
        pass_fds: tuple[int, ...] = (),
    ) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        self.process = subprocess.Popen(
            argv,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            start_new_session=True,
            pass_fds=pass_fds,
        )
        os.close(slave)
        self.fd = master
        self.screen = pyte.Screen(columns, rows)
        self.stream = pyte.ByteStream(self.screen)
        self.bytes = 0

    def text(self) -> str:
        return "\n".join(self.screen.display)

    def read(self, seconds: float) -> bool:
        """Feed what arrives within ``seconds`` to the screen; False once the program ended."""
        ready, _, _ = select.select([self.fd], [], [], seconds)
        if not ready:
            return self.process.poll() is None
        try:
            data = os.read(self.fd, 1 << 16)
        except OSError:  # EIO: the program has ended
            return False
        self.bytes += len(data)
        self.stream.feed(data)
        return bool(data)

    def wait_until(self, shown: Callable[[str], bool], limit: float) -> float | None:
        """Read until ``shown(text)`` is true; the time.monotonic() it was first seen, or
        None after ``limit`` seconds (or when the program ends)."""
        end = time.monotonic() + limit
        while True:
            if shown(self.text()):
                return time.monotonic()
            if time.monotonic() > end or not self.read(min(0.05, end - time.monotonic())):
                return time.monotonic() if shown(self.text()) else None

    def press(self, keys: str) -> None:
        os.write(self.fd, keys.encode())

    def close(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        os.close(self.fd)


def peak_rss_mb(pid: int) -> float:
    """A live process's peak resident memory (VmHWM), in MB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return math.nan
