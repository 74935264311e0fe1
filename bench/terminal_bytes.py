"""Bytes the app writes to its terminal: an idle minute, one new message arriving, and
paging through a thread, in normal and in low-bandwidth mode.

The real app runs in a pseudo-terminal (80x24, TERM=xterm-256color, as over SSH), one
process per mode, both in this one go, each on its own copy of the same circle: one
channel, one thread of 300 posts, opened as the reader sees it after `enter enter`.

- idle minute: every byte written during 60 s of nobody doing anything
- new message: another member appends one reply to the open thread (through their own
  replica and the shared circle file); bytes until the screen is quiet again
- page: page-up ten times through the thread's history; bytes per page

The baseline, run in the same go, is Textual's own drawing (every refreshed region resent,
as the app did before it sent only changed cells; ``STUDYCIRCLE_FULL_REDRAW=1``): the
table shows each mode's ratio to it.
Targets: idle minute ≤ 1 KB, one new message ≤ 2 KB. The last line is JSON.
Run: ``python bench/terminal_bytes.py`` (about 80 seconds).
"""

import argparse
import asyncio
import json
import os
import random
import select
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

from benchkit import app_env, spawn_in_pty, stop_in_pty
from studycircle_tui.core.ids import ulid
from studycircle_tui.core.replica import Replica
from studycircle_tui.store.db import CircleRecord, Store
from studycircle_tui.sync.engine import CircleService
from studycircle_tui.sync.file import FileTransport, create_circle_file

MODES = ("textual", "normal", "low")  # the first is the baseline
POSTS = 300
PAGES = 10
IDLE_SECONDS = 60.0
QUIET_SECONDS = 1.5
TARGETS = {"idle_minute_bytes": 1024, "new_message_bytes": 2048}
WORDS = [
    *("the", "cell", "membrane", "controls", "what", "enters", "and", "leaves", "a"),
    *("while", "mitosis", "splits", "one", "nucleus", "into", "two", "identical", "copies"),
    *("enzymes", "speed", "up", "reactions", "inside", "every", "water", "light", "energy"),
]


def build_circle(folder: Path) -> tuple[Path, str, str]:
    """A circle file: one channel, one thread of POSTS replies. Returns its path, the
    circle id and the writer's member id."""
    rng = random.Random(8)
    start = 1_790_000_000_000
    lead = ulid(start, rng.randbytes(10))
    first = Replica("0" * 26).make(
        lead,
        "circle.create",
        {"name": "Bench Circle", "lead_name": "Ana"},
        start,
        rng.randbytes(10),
    )
    replica = Replica(first.id)
    replica.add([first])
    ops = [first]

    def do(type_name: str, **data: object):
        op = replica.make(lead, type_name, data, start + len(ops) * 60_000, rng.randbytes(10))
        replica.add([op])
        ops.append(op)
        return op

    channel = do("channel.create", name="biology", goal="Cells, genes and energy.")
    thread = do(
        "thread.create",
        channel=channel.id,
        kind="discussion",
        title="Revision notes, week by week",
        text="Post what you revised today.",
    )
    for index in range(POSTS):
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 40)))
        do("post.create", thread=thread.id, text=f"Day {index + 1}: {words}.")
    path = folder / "circle.jsonl"
    create_circle_file(path, ops)
    return path, first.id, lead


class Terminal:
    """The app in a pseudo-terminal; every byte it writes is counted with its time."""

    def __init__(self, argv: list[str], env: dict[str, str], columns: int, rows: int) -> None:
        self.process, self.fd = spawn_in_pty(argv, env, (columns, rows))
        self.total = 0

    def read(self, seconds: float) -> int:
        """Bytes written in the next ``seconds``."""
        end = time.monotonic() + seconds
        count = 0
        while (left := end - time.monotonic()) > 0:
            ready, _, _ = select.select([self.fd], [], [], left)
            if not ready:
                continue
            try:
                data = os.read(self.fd, 65536)
            except OSError:
                break
            if not data:
                break
            count += len(data)
        self.total += count
        return count

    def until_quiet(
        self, quiet: float = QUIET_SECONDS, limit: float = 30.0, first: float = 0.0
    ) -> int:
        """Bytes written until nothing more comes for ``quiet`` seconds (after waiting up
        to ``first`` seconds for the first byte)."""
        count, end = 0, time.monotonic() + limit
        if first:
            ready, _, _ = select.select([self.fd], [], [], first)
            if not ready:
                return 0
        while time.monotonic() < end:
            chunk = self.read(quiet)
            count += chunk
            if chunk == 0:
                break
        return count

    def press(self, keys: bytes) -> None:
        os.write(self.fd, keys)

    def close(self) -> None:
        stop_in_pty(self.process, self.fd)


def post_as_writer(path: Path, circle_id: str, writer: str, folder: Path, text: str) -> None:
    """Another member (the lead, through their own replica) replies in the thread."""
    store = Store(folder / "writer-replica.sqlite3")
    record = CircleRecord(circle_id, "Bench Circle", "file", str(path), writer)
    store.save_circle(record)
    service = CircleService(store, record, FileTransport(path))
    asyncio.run(service.sync_once())
    thread = next(iter(service.state.threads))
    service.submit("post.create", {"thread": thread, "text": text})
    asyncio.run(service.sync_once())
    store.close()


def run_mode(mode: str, folder: Path, size: tuple[int, int], results: dict) -> None:
    path, circle_id, writer = build_circle(folder)
    home = folder / "home"
    env = app_env(home) | {"STUDYCIRCLE_NAME": "Reader"}
    if mode == "textual":
        env["STUDYCIRCLE_FULL_REDRAW"] = "1"
    argv = [sys.executable, "-m", "studycircle_tui.cli"]
    if mode == "low":
        argv.append("--low-bandwidth")
    argv += ["open", str(path), "--name", "Reader"]
    terminal = Terminal(argv, env, *size)
    try:
        figures = {"start": terminal.until_quiet(limit=60, first=30)}
        terminal.press(b"\r")  # the channel
        terminal.until_quiet()
        terminal.press(b"\r")  # its thread, opened at the newest post
        figures["open_thread"] = terminal.until_quiet()
        figures["idle_minute_bytes"] = terminal.read(IDLE_SECONDS)
        post_as_writer(path, circle_id, writer, folder, "A new reply: osmosis moves water.")
        figures["new_message_bytes"] = terminal.until_quiet(limit=20)
        paged = 0
        for _ in range(PAGES):
            terminal.press(b"\x1b[5~")  # page up
            paged += terminal.read(0.3)
        paged += terminal.until_quiet()
        figures["page_bytes"] = round(paged / PAGES)
        figures["alive"] = terminal.process.poll() is None
    finally:
        terminal.close()
    results[mode] = figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="80x24", help="terminal size, COLUMNSxROWS")
    args = parser.parse_args()
    columns, rows = (int(part) for part in args.size.lower().split("x"))
    results: dict[str, dict] = {}
    folders = {mode: Path(tempfile.mkdtemp(prefix=f"terminal-bytes-{mode}-")) for mode in MODES}
    try:
        threads = [
            threading.Thread(target=run_mode, args=(mode, folders[mode], (columns, rows), results))
            for mode in MODES
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        for folder in folders.values():
            shutil.rmtree(folder, ignore_errors=True)
    missing = [mode for mode in MODES if mode not in results or not results[mode]["alive"]]
    if missing:
        sys.exit(f"terminal_bytes: the app did not run to the end in: {', '.join(missing)}")

    print(
        f"Bytes written to a {columns}x{rows} terminal (TERM=xterm-256color); baseline: "
        "Textual redrawing every refreshed region"
    )
    print()
    header = (
        f"{'scenario':<22} | {'textual':>9} | {'normal':>9} | {'low':>9} | "
        f"{'normal/base':>11} | {'low/base':>8} | target"
    )
    print(header)
    print("-" * len(header))
    rows_shown = [
        ("start (first screen)", "start"),
        ("open the thread", "open_thread"),
        ("idle minute", "idle_minute_bytes"),
        ("one new message", "new_message_bytes"),
        ("page up (per page)", "page_bytes"),
    ]
    for title, key in rows_shown:
        base, normal, low = (results[mode][key] for mode in MODES)
        ratios = [f"{value / base:.2f}" if base else "-" for value in (normal, low)]
        target = TARGETS.get(key)
        verdict = ""
        if target is not None:
            verdict = f"≤ {target:,} B: " + ", ".join(
                f"{mode} {'met' if results[mode][key] <= target else 'MISSED'}"
                for mode in ("normal", "low")
            )
        print(
            f"{title:<22} | {base:>7,} B | {normal:>7,} B | {low:>7,} B | "
            f"{ratios[0]:>11} | {ratios[1]:>8} | {verdict}"
        )
    print()
    print(
        json.dumps(
            {
                key: {mode: results[mode][key] for mode in ("normal", "low")}
                for key in ("idle_minute_bytes", "new_message_bytes", "page_bytes")
            }
        )
    )


if __name__ == "__main__":
    main()
