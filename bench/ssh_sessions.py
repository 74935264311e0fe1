"""Thirty players over SSH in one live quiz: memory per session, and how long after the
last answer each player's screen shows the leaderboard.

`studycircle ssh-serve` runs on loopback with thirty player keys. Thirty asyncssh clients
(in this process, each with an 80x24 pseudo-terminal and a terminal emulator reading its
screen) connect, open the Quiz pane and join the lobby. The lead runs the quiz from her
own service here, as her app does: open a question, close it once everyone has answered,
reveal it. Each player answers as soon as the question is on their screen.

- memory: the resident set (RSS) of each player's app process, read from /proc while all
  thirty are in the quiz; also their proportional share (PSS, shared pages split) and
  the server's own RSS.
- answer → leaderboard: for each question and player, from the moment the last answer
  was sent to the moment that player's screen shows the leaderboard with the answer.
  Also shown: from the player's own answer (which includes waiting for the others).

The baseline is one player alone in the same quiz, run first in the same go.
Last line: JSON with sessions, rss_mb_per_session and leaderboard_p95_ms.
Run: ``python bench/ssh_sessions.py [--sessions 30] [--questions 3]`` (a minute or two).
"""

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import asyncssh
import pyte

from benchkit import percentile
from studycircle_tui.core.ops import Key, Question
from studycircle_tui.store.db import Store
from studycircle_tui.sync.circles import create_file_circle
from studycircle_tui.sync.engine import CircleService
from studycircle_tui.sync.quizrun import QuizRunner

SIZE = (80, 24)
LIMIT = 180.0  # seconds any one wait may take before the bench gives up


def questions(count: int) -> tuple[list[Question], list[Key]]:
    asked, keys = [], []
    for number in range(count):
        asked.append(
            Question(
                kind="multiple_choice",
                text=f"Question number {number + 1}: which letter is right?",
                choices=["A", "B", "C", "D"],
                seconds=600,
            )
        )
        keys.append(Key(choices=[number % 4]))
    return asked, keys


@dataclass
class Player:
    name: str
    key: asyncssh.SSHKey
    screen: pyte.Screen = field(default_factory=lambda: pyte.Screen(*SIZE))
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    answered_at: dict[int, float] = field(default_factory=dict)
    board_at: dict[int, float] = field(default_factory=dict)
    process: asyncssh.SSHClientProcess | None = None
    connection: asyncssh.SSHClientConnection | None = None
    reader: asyncio.Future | None = None

    def text(self) -> str:
        return "\n".join(self.screen.display)

    async def wait_for(self, test, what: str) -> None:
        end = time.monotonic() + LIMIT
        while not test(self.text()):
            self.changed.clear()
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"{self.name}: no {what} on screen:\n{self.text()}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), left)


async def read_screen(player: Player) -> None:
    stream = pyte.ByteStream(player.screen)
    assert player.process is not None
    while True:
        data = await player.process.stdout.read(65536)
        if not data:
            return
        stream.feed(data)
        player.changed.set()


async def connect(player: Player, port: int) -> None:
    player.connection = await asyncssh.connect(
        "127.0.0.1",
        port,
        username=player.name.lower().replace(" ", ""),
        client_keys=[player.key],
        known_hosts=None,
    )
    player.process = await player.connection.create_process(
        term_type="xterm-256color", term_size=SIZE, encoding=None
    )
    player.reader = asyncio.ensure_future(read_screen(player))


async def play(player: Player, port: int, count: int, rng: random.Random) -> None:
    await connect(player, port)
    await player.wait_for(lambda text: "(member)" in text, "main screen")
    player.process.stdin.write(b"z")  # the Quiz pane
    await player.wait_for(lambda text: "LIVE" in text, "live quiz in the Quiz pane")
    player.process.stdin.write(b"\r")  # join it
    await player.wait_for(lambda text: "Waiting for" in text, "lobby")
    for number in range(count):
        heading = f"Question {number + 1} of {count}"
        await player.wait_for(lambda text, h=heading: h in text and "to answer" in text, heading)
        player.answered_at[number] = time.monotonic()
        player.process.stdin.write(rng.choice("abcd").encode())
        await player.wait_for(
            lambda text, h=heading: h in text and "Leaderboard" in text, f"leaderboard {heading}"
        )
        player.board_at[number] = time.monotonic()


async def lead(service: CircleService, session: str, players: int, count: int, ready) -> None:
    runner = QuizRunner(service)
    await ready.wait()
    for number in range(count):
        await runner.open_question(session, number)
        await service.sync_once()
        end = time.monotonic() + LIMIT
        while len(service.state.sessions[session].answered.get(number, ())) < players:
            if time.monotonic() > end:
                raise TimeoutError(f"the lead saw too few answers to question {number + 1}")
            await asyncio.sleep(0.05)
            await service.sync_once()
        await runner.close(session)
        await runner.reveal(session)
        await service.sync_once()
        await asyncio.sleep(1.0)  # the leaderboard stays up a moment, as a lead would
    await runner.finish(session)
    await service.sync_once()


def memory_kb(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of a process, in KB."""
    rss = pss = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1])
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                pss = int(line.split()[1])
    except OSError:
        pss = rss
    return rss, pss


def app_pids(server_pid: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == server_pid:
                pids.append(int(entry.name))
    return pids


def make_quiz(count: int, folder: Path) -> tuple[Path, CircleService, str]:
    """Lea's circle file with one live quiz in a lobby: its path, her service, the session.
    (Run in a thread: making a circle runs an event loop of its own.)"""
    circle = folder / "club.jsonl"
    lea = create_file_circle(Store(folder / "lea.sqlite3"), circle, "Quiz Club", "Lea")
    channel = lea.submit("channel.create", {"name": "quiz"}).id
    runner = QuizRunner(lea)
    asked, keys = questions(count)
    quiz = asyncio.run(runner.create("Thirty at once", asked, keys, channel))
    session = asyncio.run(runner.start(quiz.id)).id
    return circle, lea, session


async def run(sessions: int, count: int, folder: Path) -> dict:
    """One live quiz with ``sessions`` players; its figures."""
    circle, lea, session = await asyncio.to_thread(make_quiz, count, folder)
    await lea.sync_once()  # the quiz and its lobby, into the circle file

    players = [
        Player(f"Player {number:02d}", asyncssh.generate_private_key("ssh-ed25519"))
        for number in range(1, sessions + 1)
    ]
    authorized = folder / "authorized_keys"
    authorized.write_text(
        "".join(f'name="{p.name}" {p.key.export_public_key().decode().strip()}\n' for p in players)
    )
    environ = dict(os.environ, HOME=str(folder / "home"), XDG_DATA_HOME=str(folder / "data"))
    environ["XDG_CONFIG_HOME"] = str(folder / "config")
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "studycircle_tui.cli", "ssh-serve", "--circle", str(circle)),
            *("--keys", str(authorized), "--host", "127.0.0.1", "--port", "0"),
        ],
        stderr=subprocess.PIPE,
        text=True,
        env=environ,
    )
    try:
        assert server.stderr is not None
        port = 0
        while not port:
            line = await asyncio.to_thread(server.stderr.readline)
            if not line:
                raise RuntimeError("ssh-serve did not start")
            if match := re.search(r"on port (\d+)", line):
                port = int(match.group(1))
        drain = asyncio.ensure_future(asyncio.to_thread(server.stderr.read))  # keep it flowing
        rng = random.Random(30)
        ready = asyncio.Event()
        lobby = [
            asyncio.ensure_future(play(player, port, count, random.Random(rng.random())))
            for player in players
        ]

        async def everyone_in() -> None:
            while not all("Waiting for" in p.text() or p.answered_at for p in players):
                await asyncio.sleep(0.2)
            ready.set()

        memory: list[tuple[int, int]] = []

        async def measure() -> None:
            await ready.wait()
            await asyncio.sleep(1.0)
            memory.extend(memory_kb(pid) for pid in app_pids(server.pid))

        started = time.monotonic()
        await asyncio.wait_for(
            asyncio.gather(
                lead(lea, session, sessions, count, ready), everyone_in(), measure(), *lobby
            ),
            LIMIT * (count + 2),
        )
        elapsed = time.monotonic() - started
        server_rss, _ = memory_kb(server.pid)
    finally:
        for player in players:
            if player.connection is not None:
                player.connection.close()
        server.send_signal(signal.SIGTERM)
        await asyncio.to_thread(server.wait, 30)
        if "drain" in locals():
            await drain
    after_last, after_own = [], []
    for number in range(count):
        last = max(player.answered_at[number] for player in players)
        for player in players:
            after_last.append((player.board_at[number] - last) * 1000)
            after_own.append((player.board_at[number] - player.answered_at[number]) * 1000)
    return {
        "sessions": sessions,
        "apps_measured": len(memory),
        "rss_mb": statistics.mean(rss for rss, _ in memory) / 1024,
        "pss_mb": statistics.mean(pss for _, pss in memory) / 1024,
        "server_rss_mb": server_rss / 1024,
        "p50_ms": percentile(after_last, 0.50),
        "p95_ms": percentile(after_last, 0.95),
        "own_p95_ms": percentile(after_own, 0.95),
        "seconds": elapsed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--questions", type=int, default=3)
    args = parser.parse_args()
    results = {}
    for label, sessions in (("baseline: 1 player", 1), (f"{args.sessions} players", args.sessions)):
        folder = Path(tempfile.mkdtemp(prefix="ssh-sessions-"))
        try:
            results[label] = asyncio.run(run(sessions, args.questions, folder))
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    baseline, crowd = results.values()
    print(f"One live quiz over ssh-serve, {args.questions} questions, 80x24 terminals")
    print()
    header = (
        f"{'run':<20} | {'RSS/app':>8} | {'PSS/app':>8} | {'server':>8} | "
        f"{'last answer→board p50':>21} | {'p95':>8} | {'own answer→board p95':>20}"
    )
    print(header)
    print("-" * len(header))
    for label, figures in results.items():
        print(
            f"{label:<20} | {figures['rss_mb']:>5.1f} MB | {figures['pss_mb']:>5.1f} MB | "
            f"{figures['server_rss_mb']:>5.1f} MB | {figures['p50_ms']:>18.0f} ms | "
            f"{figures['p95_ms']:>5.0f} ms | {figures['own_p95_ms']:>17.0f} ms"
        )
    print()
    print(
        f"ratio to the baseline: RSS per app {crowd['rss_mb'] / baseline['rss_mb']:.2f}, "
        f"leaderboard p95 {crowd['p95_ms'] / max(baseline['p95_ms'], 1):.2f}"
    )
    print(
        json.dumps(
            {
                "sessions": crowd["sessions"],
                "rss_mb_per_session": round(crowd["rss_mb"], 1),
                "leaderboard_p95_ms": round(crowd["p95_ms"]),
            }
        )
    )


if __name__ == "__main__":
    main()
