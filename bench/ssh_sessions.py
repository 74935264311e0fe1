"""A club lead's live quiz over `studycircle ssh-serve`: how long after the last answer
the slowest player's screen shows the leaderboard, and what each session costs in memory.

The lead is the real app (`studycircle open`) in a pseudo-terminal on this machine,
driven by the keys a lead presses: `z` the Quiz pane, `l` run the quiz live, Enter to
open the lobby, then for each question `n` ask, `s` close (if the app has not closed
it on seeing every answer), `n` reveal, `n` the leaderboard. Each player is an SSH
client (asyncssh) with an 80x24 terminal whose screen is read through a terminal
emulator (pyte); they join from their Quiz pane and answer as soon as the question is
on their screen.

For each question: from the moment the last player's answer key was sent to the moment
the slowest player's screen showed the leaderboard (the arrival of the bytes that drew
it). The p95 is taken over questions. Memory: with workers, (worker RSS - the worker's
RSS before anyone came) / players, per worker (max) and over all (mean), and the whole
server's RSS; with an app per session, each app process's RSS.

Runs, each on a fresh circle, in one go: workers with `--sessions` players and, asked
for, with `--more` players, then the baseline (`--app-per-session`, the design before
workers: one app and one service per player) with `--sessions` players. CPU time of
the server, the lead and this process, and the load average, are printed beside the wall
times: the machine may be shared, and 2 cores carry the server, the lead and every client here.

Run: ``python bench/ssh_sessions.py`` (the issue's 30 sessions and its baseline, 10
questions: a few minutes on a quiet machine); ``--more 60`` adds the larger room.
Last line: JSON with the figures issue 13 names ("sessions_60" is null unless run), and
the CPU seconds the server's apps spent per question, ours and the baseline's: on a
shared machine that, not the wall time, shows what a change saved. A run that gives up
(an answer never reached the lead) keeps its files and says where each missing answer
went (``lost_answers.py``), and what the players' apps said they did not do.
"""

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import resource
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import asyncssh
import pyte

from benchkit import percentile
from lost_answers import explain

SIZE = (80, 24)
LIMIT = 300.0  # seconds any one wait may take before the bench gives up (a loaded machine)
APP = [sys.executable, "-m", "studycircle_tui.cli"]
LOOPBACK = ["--host", "127.0.0.1", "--port", "0"]


# --- screens --------------------------------------------------------------------------------


@dataclass
class Screen:
    """A terminal emulator fed from a byte stream; ``changed`` wakes whoever waits."""

    name: str
    screen: pyte.Screen = field(default_factory=lambda: pyte.Screen(*SIZE))
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    arrived: float = 0.0  # when the bytes last fed arrived

    def __post_init__(self) -> None:
        self.stream = pyte.ByteStream(self.screen)

    def feed(self, data: bytes, arrived: float) -> None:
        self.arrived = arrived
        self.stream.feed(data)
        self.changed.set()

    def text(self) -> str:
        return "\n".join(self.screen.display)

    async def wait_for(self, test, what: str, limit: float = LIMIT) -> float:
        """Wait until ``test(text)``; the arrival time of the bytes that made it true."""
        end = time.monotonic() + limit
        while not test(self.text()):
            self.changed.clear()
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"{self.name}: no {what} on screen:\n{self.text()}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), left)
        return self.arrived


@dataclass
class Player(Screen):
    key: asyncssh.SSHKey | None = None
    connection: asyncssh.SSHClientConnection | None = None
    process: asyncssh.SSHClientProcess | None = None
    reader: asyncio.Future | None = None
    first_screen_ms: float = 0.0
    first_bytes_ms: float = 0.0
    answered_at: dict[int, float] = field(default_factory=dict)
    board_at: dict[int, float] = field(default_factory=dict)
    refusals: list[str] = field(default_factory=list)  # what the app said it did not do

    async def read(self) -> None:
        assert self.process is not None
        while data := await self.process.stdout.read(65536):
            self.feed(data, time.monotonic())
            if b"Not done" in data:  # a refusal's toast is gone in 10 s: keep its words
                said = [line.strip() for line in self.screen.display if "Not done" in line]
                self.refusals += [line for line in said if line not in self.refusals]

    def press(self, keys: bytes) -> float:
        assert self.process is not None
        self.process.stdin.write(keys)
        return time.monotonic()


class Lead(Screen):
    """The lead's own app, in a pseudo-terminal here."""

    def start(self, circle: Path, home: Path) -> None:
        import fcntl
        import termios

        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", SIZE[1], SIZE[0], 0, 0))
        environ = dict(os.environ, HOME=str(home), TERM="xterm-256color")
        environ |= {"XDG_DATA_HOME": str(home / "data"), "XDG_CONFIG_HOME": str(home / "config")}
        self.process = subprocess.Popen(
            [*APP, "open", str(circle), "--name", "Lea"],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=environ,
            start_new_session=True,
        )
        os.close(slave)
        self.fd = master
        asyncio.get_running_loop().add_reader(master, self._readable)

    def _readable(self) -> None:
        try:
            data = os.read(self.fd, 65536)
        except OSError:
            data = b""
        if not data:
            asyncio.get_running_loop().remove_reader(self.fd)
            return
        self.feed(data, time.monotonic())

    def press(self, keys: bytes) -> None:
        os.write(self.fd, keys)

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(10)
        asyncio.get_running_loop().remove_reader(self.fd)
        os.close(self.fd)


# --- processes ------------------------------------------------------------------------------


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                stat = (entry / "stat").read_text()
                if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
    return found


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_s(pids: list[int]) -> float:
    ticks = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


# --- the circle -------------------------------------------------------------------------------


def make_circle(folder: Path, lead_home: Path, count: int) -> Path:
    """Lea's circle file with a #quiz channel and a live quiz of ``count`` questions, made
    in her own store (where her app finds the answer key). Runs in a thread: making a
    circle runs event loops of its own."""
    from studycircle_tui.core.ops import Key, Question
    from studycircle_tui.store.db import Store
    from studycircle_tui.sync.circles import create_file_circle
    from studycircle_tui.sync.quizrun import QuizRunner

    circle = folder / "club.jsonl"
    store = Store(lead_home / "data" / "studycircle" / "replica.sqlite3")
    lea = create_file_circle(store, circle, "Quiz Club", "Lea")
    channel = lea.submit("channel.create", {"name": "quiz"}).id
    asked = [
        Question(
            kind="multiple_choice",
            text=f"Question number {number + 1}: which letter is right?",
            choices=["A", "B", "C", "D"],
            seconds=600,  # the lead closes each question when everyone has answered
        )
        for number in range(count)
    ]
    keys = [Key(choices=[number % 4]) for number in range(count)]
    asyncio.run(QuizRunner(lea).create("The live room", asked, keys, channel))
    asyncio.run(lea.sync_once())
    store.close()
    return circle


# --- one run --------------------------------------------------------------------------------


async def connect(player: Player, port: int, join: bool = True) -> None:
    player.connection = await asyncssh.connect(
        "127.0.0.1",
        port,
        username=player.name.lower().replace(" ", ""),
        client_keys=[player.key],
        known_hosts=None,
    )
    handshake = time.monotonic()
    player.process = await player.connection.create_process(
        term_type="xterm-256color", term_size=SIZE, encoding=None
    )
    player.reader = asyncio.ensure_future(player.read())
    first = await player.wait_for(lambda text: text.strip() != "", "the first bytes drawn")
    player.first_bytes_ms = (first - handshake) * 1000
    shown = await player.wait_for(lambda text: "@ Mentions" in text, "main screen")
    player.first_screen_ms = (shown - handshake) * 1000
    if not join:
        return
    player.press(b"z")  # the Quiz pane
    await player.wait_for(lambda text: "enter: join" in text, "the live quiz in the Quiz pane")
    for _ in range(5):
        player.press(b"\r")  # join it (again, if the key came before the pane took keys)
        with contextlib.suppress(TimeoutError):
            await player.wait_for(lambda text: "Waiting for" in text, "the lobby", 10.0)
            return
    await player.wait_for(lambda text: "Waiting for" in text, "the lobby")


async def play(player: Player, count: int, number: int, think: tuple[float, float]) -> None:
    heading = f"Question {number + 1} of {count}"
    await player.wait_for(lambda text: heading in text and "to answer" in text, heading)
    rng = random.Random(f"{player.name} {number}")
    await asyncio.sleep(rng.uniform(*think))  # reading the question, thinking
    player.answered_at[number] = player.press(b"abcd"[number % 4 : number % 4 + 1])
    player.board_at[number] = await player.wait_for(
        lambda text: heading in text and "Leaderboard" in text, f"leaderboard, {heading}"
    )


async def lead_question(lead: Lead, players: int, count: int, number: int) -> dict:
    """Ask question ``number``, close it once everyone has answered, reveal, go on; when
    the lead's screen showed each step (for where the time goes)."""
    lead.press(b"n")
    everyone = f"{players} of {players} answered"
    seen = {}
    seen["all_answered"] = await lead.wait_for(
        lambda text: everyone in text or "Answers are closed" in text, "every answer"
    )
    if "Answers are closed" not in lead.text():
        lead.press(b"s")  # close it now (the app may have done so on seeing every answer)
    seen["closed"] = await lead.wait_for(lambda text: "Answers are closed" in text, "the close")
    lead.press(b"n")  # reveal
    seen["reveal_pressed"] = time.monotonic()
    seen["revealed"] = await lead.wait_for(lambda text: "n: leaderboard" in text, "the reveal")
    lead.press(b"n")  # the leaderboard
    last = number + 1 >= count
    await lead.wait_for(
        lambda text: ("n: finish" if last else "n: next question") in text, "the leaderboard"
    )
    return seen


def start_profiles(roles: dict[str, list[int]], folder: Path | None, mode: str) -> list:
    """py-spy (if asked for, and on PATH) sampling each app process and the lead during
    the quiz: collapsed stacks, one file per process, for ``bench/profile_summary.py``."""
    if folder is None:
        return []
    spy = shutil.which("py-spy")
    if spy is None:
        raise SystemExit("--profile needs py-spy on PATH (pip install py-spy)")
    folder.mkdir(parents=True, exist_ok=True)
    spies = []
    for role in ("apps", "lead"):
        for pid in roles[role]:
            out = folder / f"{mode}-{role}-{pid}.txt"
            command = [spy, "record", "--pid", str(pid), "--format", "raw", "-o", str(out)]
            spies.append(
                subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            )
    return spies


def stop_profiles(spies: list) -> None:
    for spy in spies:
        spy.send_signal(signal.SIGINT)  # py-spy writes its file on an interrupt
    for spy in spies:
        spy.wait(60)


async def run(
    mode: str,
    sessions: int,
    count: int,
    workers: int | None,
    think: tuple[float, float],
    profile: Path | None = None,
) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="ssh-sessions-"))
    lead_home = folder / "lea"
    circle = await asyncio.to_thread(make_circle, folder, lead_home, count)
    players = [
        Player(f"Player {n:02d}", key=asyncssh.generate_private_key("ssh-ed25519"))
        for n in range(1, sessions + 1)
    ]
    late = Player("Late Player", key=asyncssh.generate_private_key("ssh-ed25519"))
    keys = folder / "authorized_keys"
    keys.write_text(
        "".join(
            f'name="{p.name}" {p.key.export_public_key().decode().strip()}\n'
            for p in (*players, late)
        )
    )
    environ = dict(os.environ, HOME=str(folder / "host"), XDG_DATA_HOME=str(folder / "data"))
    environ["XDG_CONFIG_HOME"] = str(folder / "config")
    flags = ["--app-per-session"] if mode == "app-per-session" else []
    if workers and mode == "workers":
        flags += ["--workers", str(workers)]
    server = subprocess.Popen(
        [*APP, "ssh-serve", "--circle", str(circle), "--keys", str(keys), *flags, *LOOPBACK],
        stderr=subprocess.PIPE,
        text=True,
        env=environ,
    )
    lead = Lead("Lea")
    finished = False
    try:
        assert server.stderr is not None
        port = 0
        while not port:
            line = await asyncio.to_thread(server.stderr.readline)
            if not line:
                raise RuntimeError("ssh-serve did not start")
            if match := re.search(r"on port (\d+)", line):
                port = int(match.group(1))
        drain = asyncio.ensure_future(asyncio.to_thread(server.stderr.read))
        idle = {pid: rss_mb(pid) for pid in children(server.pid)}  # workers, none yet used
        server_idle = rss_mb(server.pid)

        lead.start(circle, lead_home)
        await lead.wait_for(lambda text: "@ Mentions" in text, "the lead's main screen")
        lead.press(b"z")
        await lead.wait_for(lambda text: "The live room" in text, "the quiz in the Quiz pane")
        lead.press(b"l")
        await lead.wait_for(lambda text: "Open lobby" in text, "the live settings")
        # The dialog opens on its scoring choice; enter on the top-N field (two tabs
        # on) opens the lobby, as a lead who keeps the defaults does.
        lead.press(b"\t")
        lead.press(b"\t")
        lead.press(b"\r")
        await lead.wait_for(lambda text: "n: ask question 1" in text, "the lobby")

        await asyncio.gather(*(connect(player, port) for player in players))
        # Question 1 is asked once the lead's lobby lists every player, as a lead would.
        room = f"In the lobby ({len(players)})"
        await lead.wait_for(lambda text: room in text, "every player in the lobby")
        memory = {pid: rss_mb(pid) for pid in children(server.pid)}

        roles = {"front door": [server.pid], "lead": [lead.process.pid]}
        roles["apps"] = children(server.pid)
        spies = start_profiles(roles, profile, mode)
        cpu_before = {role: cpu_s(pids) for role, pids in roles.items()}
        own_before, started = time.process_time(), time.monotonic()
        steps = []
        for number in range(count):
            seen, *_ = await asyncio.gather(
                lead_question(lead, sessions, count, number),
                *(play(player, count, number, think) for player in players),
            )
            steps.append(seen)
        elapsed = time.monotonic() - started
        roles["apps"] = children(server.pid)
        cpu_roles = {role: cpu_s(pids) - cpu_before.get(role, 0.0) for role, pids in roles.items()}
        stop_profiles(spies)
        cpu_server = sum(cpu_roles.values())
        cpu_own = time.process_time() - own_before
        after = {pid: rss_mb(pid) for pid in children(server.pid)}
        await connect(
            late, port, join=False
        )  # one more player, into a full room: their first screen
        memory = {pid: max(memory.get(pid, 0.0), rss) for pid, rss in after.items()}
        server_rss = rss_mb(server.pid)
        finished = True
    finally:
        for player in (*players, late):
            if player.connection is not None:
                player.connection.close()
        with contextlib.suppress(Exception):
            lead.stop()
        server.send_signal(signal.SIGTERM)
        await asyncio.to_thread(server.wait, 60)
        log = await drain if "drain" in locals() else ""
        if finished:
            shutil.rmtree(folder, ignore_errors=True)
        else:
            # The server has stopped: its stores and the file say where an answer went.
            with contextlib.suppress(Exception):
                lead_store = lead_home / "data" / "studycircle" / "replica.sqlite3"
                text, names = explain(folder, circle, lead_store, log)
                print(text, file=sys.stderr)
                for player in players:
                    if player.name in names:
                        print(f"{player.name}'s screen:\n{player.text()}", file=sys.stderr)
                    for refusal in player.refusals:
                        print(f"{player.name} was told: {refusal}", file=sys.stderr)
            print(f"the run's files are kept in {folder}", file=sys.stderr)

    last_answer = [max(p.answered_at[n] for p in players) for n in range(count)]
    slowest = [(max(p.board_at[n] for p in players) - last_answer[n]) * 1000 for n in range(count)]

    def stage(start, end) -> float:  # the median over questions, in ms
        return statistics.median((end(n) - start(n)) * 1000 for n in range(count))

    stages = {
        "last answer → the lead's screen has it": stage(
            lambda n: last_answer[n], lambda n: steps[n]["all_answered"]
        ),
        "→ the lead's app shows it closed": stage(
            lambda n: steps[n]["all_answered"], lambda n: steps[n]["closed"]
        ),
        "→ the lead presses n (reveal)": stage(
            lambda n: steps[n]["closed"], lambda n: steps[n]["reveal_pressed"]
        ),
        "→ the first player's leaderboard": stage(
            lambda n: steps[n]["reveal_pressed"], lambda n: min(p.board_at[n] for p in players)
        ),
        "→ the slowest player's leaderboard": stage(
            lambda n: min(p.board_at[n] for p in players),
            lambda n: max(p.board_at[n] for p in players),
        ),
    }
    if mode == "workers":
        share = len(players) / len(memory)
        per_worker = [(memory[pid] - idle.get(pid, 0.0)) / share for pid in memory]
        per_session = (sum(memory.values()) - sum(idle.values())) / len(players)
        worst = max(per_worker)
    else:
        per_session = statistics.mean(memory.values())
        worst = max(memory.values())
    return {
        "mode": mode,
        "sessions": sessions,
        "processes": len(memory),
        "leaderboard_p95_ms": percentile(slowest, 0.95),
        "leaderboard_p50_ms": percentile(slowest, 0.50),
        "slowest_ms": slowest,
        "stages": stages,
        "first_screen_p95_ms": percentile([p.first_screen_ms for p in players], 0.95),
        "first_screen_max_ms": max(p.first_screen_ms for p in players),
        "late_first_screen_ms": late.first_screen_ms,
        "late_first_bytes_ms": late.first_bytes_ms,
        "rss_mb_per_session": per_session,
        "rss_mb_max": worst,
        "rss_mb_total": sum(memory.values()) + server_rss,
        "rss_mb_idle": sum(idle.values()) + server_idle,
        "cpu_server_s": cpu_server,
        "cpu_roles_s": cpu_roles,
        "cpu_bench_s": cpu_own,
        "seconds": elapsed,
        "load": os.getloadavg(),
    }


# --- the report -----------------------------------------------------------------------------


def report(results: list[dict], count: int) -> None:
    cores = os.cpu_count()
    print(
        f"A live quiz over ssh-serve: {count} questions, 80x24 terminals, loopback, {cores} cores"
    )
    print()
    header = (
        f"{'run':<24} | {'board p50':>9} | {'p95':>7} | {'1st screen p95/max/late':>23} | "
        f"{'RSS/session':>11} | {'max':>7} | {'total':>8} | {'CPU server+lead':>15} | "
        f"{'CPU bench':>9} | {'wall':>6} | load (1 min)"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        label = f"{r['mode']}, {r['sessions']} players"
        print(
            f"{label:<24} | {r['leaderboard_p50_ms']:>6.0f} ms | "
            f"{r['leaderboard_p95_ms']:>4.0f} ms | "
            f"{r['first_screen_p95_ms']:>5.0f} / {r['first_screen_max_ms']:>5.0f} / "
            f"{r['late_first_screen_ms']:>4.0f} ms | "
            f"{r['rss_mb_per_session']:>8.1f} MB | {r['rss_mb_max']:>4.1f} MB | "
            f"{r['rss_mb_total']:>5.0f} MB | {r['cpu_server_s']:>13.1f} s | "
            f"{r['cpu_bench_s']:>7.1f} s | {r['seconds']:>4.0f} s | {r['load'][0]:.2f}"
        )
    print()
    print("board: from the last answer's keypress to the leaderboard on the slowest player's")
    print("screen, per question (p50 and p95 over questions). RSS/session: app processes' own")
    print("RSS (an app per session); with workers, (worker RSS - idle worker RSS) / players,")
    print("max = the worst worker. total: every process of the server, after the quiz.")
    print("1st screen: from the SSH handshake to the main screen, all players connecting at")
    print("once (p95, max), and one player more coming into the full room after the quiz.")
    for r in results:
        print(
            f"  {r['mode']}, {r['sessions']}: that late player's first bytes drawn "
            f"{r['late_first_bytes_ms']:.0f} ms, its whole main screen "
            f"{r['late_first_screen_ms']:.0f} ms"
        )
    for r in results:
        slowest = ", ".join(f"{value:.0f}" for value in r["slowest_ms"])
        print(f"  {r['mode']}, {r['sessions']}: slowest player per question (ms): {slowest}")
    for r in results:
        split = ", ".join(f"{role} {seconds:.1f} s" for role, seconds in r["cpu_roles_s"].items())
        each = r["cpu_roles_s"]["apps"] / count
        print(f"  {r['mode']}, {r['sessions']}: CPU during the quiz: {split} ({each:.2f} s of")
        print("    the apps' per question)")
    print()
    print("where the time goes (median over questions, ms):")
    names = list(results[0]["stages"])
    print(f"  {'':<40}" + "".join(f"{r['mode'][:7]} {r['sessions']:>3} " for r in results))
    for name in names:
        print(f"  {name:<40}" + "".join(f"{r['stages'][name]:>11.0f} " for r in results))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--more", type=int, default=0, help="a second, larger room (60)")
    parser.add_argument("--questions", type=int, default=10)
    parser.add_argument("--workers", type=int, help="ssh-serve --workers (default: per core)")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument(
        "--profile",
        type=Path,
        help="a folder: py-spy (on PATH) samples each app process and the lead in the quiz",
    )
    parser.add_argument(
        "--think",
        default="0.5-3",
        help="seconds a player takes to answer once the question shows, at random (0.5-3)",
    )
    args = parser.parse_args()
    low, _, high = args.think.partition("-")
    think = (float(low), float(high or low))
    plan = [("workers", args.sessions)] + ([("workers", args.more)] if args.more else [])
    if not args.no_baseline:
        # Last: thirty app processes leave the machine and this process busier for a
        # while after they end (a run right after it took a third more CPU per question).
        plan.append(("app-per-session", args.sessions))
    results = [
        asyncio.run(run(mode, n, args.questions, args.workers, think, args.profile))
        for mode, n in plan
    ]
    report(results, args.questions)
    ours = [r for r in results if r["mode"] == "workers"]
    base = [r for r in results if r["mode"] == "app-per-session"]
    first, more = ours[0], ours[-1]
    if base:
        print(
            f"\nratio to the baseline at {first['sessions']} players: leaderboard p95 "
            f"{first['leaderboard_p95_ms'] / base[0]['leaderboard_p95_ms']:.2f}, "
            f"RSS per session {first['rss_mb_per_session'] / base[0]['rss_mb_per_session']:.2f}"
        )
    met = first["leaderboard_p95_ms"] <= 500 and first["rss_mb_per_session"] <= 30
    print(
        f"target (30 players: p95 <= 500 ms, <= 30 MB per session): {'met' if met else 'NOT met'}"
    )
    figures = {
        "sessions": first["sessions"],
        "leaderboard_p95_ms": round(first["leaderboard_p95_ms"]),
        "rss_mb_per_session": round(first["rss_mb_per_session"], 1),
        "rss_mb_max": round(first["rss_mb_max"], 1),
        "sessions_60": None,
        "baseline_leaderboard_p95_ms": round(base[0]["leaderboard_p95_ms"]) if base else None,
        "first_screen_ms": round(first["late_first_screen_ms"]),
        "first_bytes_ms": round(first["late_first_bytes_ms"]),
        "cpu_s_per_question": round(first["cpu_roles_s"]["apps"] / args.questions, 2),
        "baseline_cpu_s_per_question": (
            round(base[0]["cpu_roles_s"]["apps"] / args.questions, 2) if base else None
        ),
        "load_average": os.getloadavg(),
    }
    if more is not first:
        figures[f"sessions_{more['sessions']}"] = {
            "leaderboard_p95_ms": round(more["leaderboard_p95_ms"]),
            "rss_mb_per_session": round(more["rss_mb_per_session"], 1),
        }
    print(json.dumps(figures))


if __name__ == "__main__":
    resource.setrlimit(
        resource.RLIMIT_NOFILE, (4096, resource.getrlimit(resource.RLIMIT_NOFILE)[1])
    )
    main()
