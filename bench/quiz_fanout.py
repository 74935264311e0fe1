"""A live quiz for 200 players on ``studycircle serve``: how soon everyone has the
leaderboard after the last answer.

A real server process on loopback (``studycircle serve``, its rate and join limits
raised: these are 200 clients on one address, not people). The lead is the real app
(headless, in this process, with its own store, sync loop and quiz pacer), driven by the
keys a lead presses: the Quiz pane, "Run live" with hands-free chosen in its dialog, and
``n`` once the 200 are in the lobby. From there the lead's app runs the quiz itself: it
closes each question once everyone in has answered, reveals it in the same push, shows
the leaderboard for ``HANDS_FREE_S`` and asks the next.

The players: 199 HTTP clients of the server in four worker processes, each with the
app's own transport (``HttpTransport``: gzip, one-pass page decoding), long-polling as
the app's sync loop does (at most one start per ``LONG_POLL_INTERVAL``); each joins the
lobby (``quiz.join``) and answers each question after a random 0-1.5 s. They do not fold
or draw: 200 full apps on the server's two cores would measure this machine, not the
design. The 200th player is the real app in a pseudo-terminal (``quiz_watcher.py``: the
``studycircle`` command, noting when each reveal's bytes arrive), joined with the real
``studycircle join``, holding the whole 200-player circle in its replica; its screen is
read through a terminal emulator (pyte), and it answers by keys as a person would.

Measured, per question:
- fan-out: from the last answer (the server's receive time of the latest of the 200) to
  the reveal's bytes reaching each player; the slowest player of each question, then the
  p95 over the questions;
- client paint: in the real app, from the reveal's bytes arriving to the leaderboard on
  its terminal (decode, fold, scoring, layout, the bytes written); p95 over questions;
- leaderboard = fan-out p95 + client paint p95: what the slowest player of a question
  would see if they had this app's cost. Target ≤ 500 ms.

Baseline, in the same go on the same server and clients: one post by the lead fanned out
to the same long-polls, from the server's receive time to each player's receipt; the
slowest player per post. The machine is shared: CPU time per role and the load average
are printed beside the wall times.

Run: ``python bench/quiz_fanout.py [--players N] [--questions Q]`` (a few minutes).
The last line printed is one JSON object. One module of about 500 lines: the players, the
lead and the report are one measurement, read top to bottom; the real app's side as a
player is in ``quiz_watcher.py``.
"""

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
import msgspec

from benchkit import (
    cpu_seconds,
    join,
    load_average,
    new_circle,
    new_invite,
    percentile,
    start_server,
)
from quiz_watcher import Watcher
from studycircle_tui.config import Settings
from studycircle_tui.core.ops import Key, Question
from studycircle_tui.core.replica import Replica
from studycircle_tui.core.signing import SigningKey
from studycircle_tui.store.db import Store
from studycircle_tui.sync.engine import CircleService, SharedCircle
from studycircle_tui.sync.http import HttpTransport, read_token
from studycircle_tui.sync.join import join as join_circle
from studycircle_tui.sync.quizrun import QuizRunner, live_stage
from studycircle_tui.sync.transport import TransportError
from studycircle_tui.tui.app import StudyCircleApp, tune_garbage_collector

PLAYERS = 200  # the real app's player included
WORKERS = 4
PROBES = 10  # listeners with nothing else to do, in a process of their own
QUESTIONS = 10
CHOICES = ["a", "b", "c", "d"]
POSTS = 5  # baseline rounds
ANSWER_SPREAD_S = 1.5
HANDS_FREE_S = 2  # the leaderboard's time between questions
# Long enough that each question closes on its last answer, the path measured, even when
# the players' processes are starved of CPU on a shared machine.
QUESTION_S = 120
TARGET_MS = 500.0
ROUND_LIMIT_S = 60.0  # every wait is bounded: a stuck round fails the run, not hangs it
RETRIES = 5  # a request on a connection the server just closed is sent again
SCREEN = (100, 30)  # the real app's terminal
POLL_INTERVAL_S = SharedCircle.LONG_POLL_INTERVAL  # the app's


def now() -> float:
    """Milliseconds on the wall clock: the one every process here and the server's
    receive times (``at``) share."""
    return time.time_ns() / 1e6


def wall_ms() -> int:
    return time.time_ns() // 1_000_000


# --- the players (worker processes) ----------------------------------------------------------


async def play(
    url: str, circle: str, member: str, token: str, key: bytes, seed: int, interval: float, out
) -> None:
    """One player: follow the log, join the lobby, answer each question, note when each
    reveal arrives (and the last answer's time, which arrives before it). ``key``: the
    seed of the key they joined with, which signs each of their ops as the app's would."""
    rng = random.Random(seed)
    signer = SigningKey(key)
    transport = HttpTransport(url, circle, token)
    maker = Replica(circle, "seq")  # makes this player's ops; nothing is folded
    cursor: str | None = None
    caught_up = False
    sending: list[asyncio.Task] = []
    last: dict[int, int] = {}

    async def send(type_name: str, data: dict) -> None:
        op = maker.make(member, type_name, data, wall_ms(), os.urandom(10), signer)
        for attempt in range(RETRIES):
            try:
                [result] = await transport.push([op])  # a retry gets the same answer
                break
            except TransportError as error:
                out.append(("retry", repr(error.__context__), now()))
                await asyncio.sleep(0.2 * (attempt + 1))
        else:  # noted, not raised: the report says how many were lost
            out.append(("lost", f"{type_name}: unconfirmed after {RETRIES} tries", now()))
            return
        if result.error is not None:
            out.append(("lost", f"{type_name} refused: {result.error}", now()))

    async def answer(session: str, question: int) -> None:
        await asyncio.sleep(rng.uniform(0, ANSWER_SPREAD_S))
        data = {"session": session, "question": question, "answer": [rng.randrange(4)]}
        await send("quiz.answer", data)

    try:
        while True:
            started = time.monotonic()
            try:
                pulled = await transport.pull(cursor, wait=20)
            except TransportError as error:
                out.append(("retry", repr(error.__context__), now()))
                await asyncio.sleep(0.2)
                continue
            arrived = now()
            cursor = pulled.cursor
            if not caught_up and not pulled.more:
                caught_up = True
                out.append(("ready", 0, arrived))  # from here on, long-polls
            for op in pulled.ops:
                kind = op.type
                if kind == "post.create":
                    out.append(("post", op.data.text, arrived - op.at))
                elif kind == "quiz.start" and op.data.mode == "live":
                    sending.append(asyncio.create_task(send("quiz.join", {"session": op.id})))
                elif kind == "quiz.open" and op.data.deadline:
                    task = answer(op.data.session, op.data.question)
                    sending.append(asyncio.create_task(task))
                elif kind == "quiz.answer":  # published at the close, before the reveal
                    last[op.data.question] = max(last.get(op.data.question, 0), op.at)
                elif kind == "quiz.reveal":
                    question = op.data.question
                    if question in last:
                        out.append(("reveal", question, arrived, last[question], op.at))
                    else:  # its time ran out before anyone's answer reached the server
                        out.append(("unanswered", question, arrived))
                elif kind == "quiz.finish":
                    await asyncio.gather(*sending)
                    return
            # As the app's sync loop does: long-polls start at most once per interval.
            await asyncio.sleep(max(0.0, started + interval - time.monotonic()))
    finally:
        await transport.close()


async def probe(url: str, circle: str, token: str, out: list) -> None:
    """A member who only listens, with nothing else to do: when the reveal reaches it is
    the server's fan-out, free of the players' own work on this machine's CPUs."""
    headers = {"authorization": f"Bearer {token}", "accept-encoding": "gzip"}
    path = f"/api/v1/circles/{circle}/ops"
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as client:
        since, caught_up = 0, False
        answers: dict[int, float] = {}
        while True:
            response = await client.get(path, params={"since": since, "wait": 20})
            arrived = now()
            response.raise_for_status()
            body = msgspec.json.decode(response.content)
            since = body["next"]
            if not caught_up and not body["more"]:
                caught_up = True
                out.append(("ready", 0, arrived))
            for op in body["ops"]:
                if op["type"] == "quiz.answer":
                    question = op["data"]["question"]
                    answers[question] = max(answers.get(question, 0), op["at"])
                elif op["type"] == "quiz.reveal":
                    question = op["data"]["question"]
                    if question in answers:
                        out.append(("probe", question, arrived - answers[question]))
                elif op["type"] == "quiz.finish":
                    return


def worker(
    url: str, circle: str, members: list[tuple[str, str, bytes]], interval: float, ready, results
) -> None:
    """A process of players: reports once all of them are long-polling, then their notes
    and the CPU time it used."""

    async def run() -> list:
        out: list = []
        tasks = [
            asyncio.create_task(
                play(url, circle, member, token, key, index, interval, out)
                if not member.startswith("probe:")
                else probe(url, circle, token, out)
            )
            for index, (member, token, key) in enumerate(members)
        ]
        while sum(1 for kind, *_ in out if kind == "ready") < len(members):
            await asyncio.sleep(0.05)
        tune_garbage_collector()  # as the app does once its circle is loaded
        ready.put(len(members))
        await asyncio.wait_for(asyncio.gather(*tasks), ROUND_LIMIT_S * 40)
        usage = resource.getrusage(resource.RUSAGE_SELF)
        out.append(("cpu", 0, usage.ru_utime + usage.ru_stime))
        return [note for note in out if note[0] != "ready"]

    results.put(asyncio.run(run()))


# --- the lead: the real app, headless, driven by keys ----------------------------------------


async def until(what: str, condition, pause=None, limit: float = ROUND_LIMIT_S) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        await (pause() if pause else asyncio.sleep(0.05))


async def focus(pilot, widget_id: str) -> None:
    """Tab through the dialog to a widget, as a person would."""
    for _ in range(12):
        focused = pilot.app.focused
        if focused is not None and focused.id == widget_id:
            return
        await pilot.press("tab")
    raise RuntimeError(f"tab never reached #{widget_id}")


async def run_lead(service: CircleService, made: dict, players: int, watcher: Watcher) -> dict:
    """Baseline posts, then the quiz, run from the lead's app; when each post was sent."""
    sent: dict[str, float] = {}
    settings = Settings(name="Lead")
    app = StudyCircleApp(service, settings=settings, theme="textual-dark")
    async with app.run_test(size=SCREEN) as pilot:
        await pilot.pause()
        for round_ in range(POSTS):
            await asyncio.sleep(0.5)
            service.submit("post.create", {"thread": made["thread"], "text": f"baseline {round_}"})
        await asyncio.sleep(1.0)
        await pilot.press("z", "l")  # the Quiz pane, "Run live"
        await pilot.pause()
        await focus(pilot, "quiz-hands-free")
        await pilot.press("space")
        await focus(pilot, "quiz-hands-free-s")
        await pilot.press("end", "backspace", "backspace", "backspace", str(HANDS_FREE_S))
        await pilot.press("enter")  # open the lobby
        await pilot.pause()
        session_id = app.screen.session_id

        def session():
            return service.state.sessions[session_id]

        assert session().hands_free == HANDS_FREE_S, "hands-free was not chosen"
        await until("the lobby to fill", lambda: len(session().joined) >= players, pilot.pause)
        started = now()
        await pilot.press("n")  # question 1; from here on the lead's app runs the quiz
        step = (session().current, live_stage(session()).kind)

        async def pause() -> None:
            await asyncio.sleep(0.1)

        while step[1] != "finished":  # each step (open, closed, revealed) in bounded time

            def moved_on(was=step) -> bool:
                return (session().current, live_stage(session()).kind) != was

            # An open question waits for the last answer, or at the most for its time.
            limit = ROUND_LIMIT_S + (QUESTION_S if step[1] == "open" else 0)
            await until(f"the quiz to go on from {step}", moved_on, pause, limit)
            if step[1] == "open":
                sent[f"answered {step[0]}"] = len(session().answered.get(step[0], ()))
            step = (session().current, live_stage(session()).kind)
        sent["quiz"] = now() - started
        await until("the player's podium", lambda: watcher.finished)
    return sent


async def setup_quiz(service: CircleService, questions: int) -> dict:
    """What a lead does before the day (``studycircle quiz import``): a channel, a thread
    for the baseline's posts, and a live quiz of ``questions`` questions."""
    channel = service.submit("channel.create", {"name": "quiz"}).id
    data = {"channel": channel, "title": "Warm-up", "kind": "discussion", "text": "Hello all"}
    thread = service.submit("thread.create", data).id
    asked = [
        Question(
            kind="multiple_choice", text=f"Question {i + 1}", choices=CHOICES, seconds=QUESTION_S
        )
        for i in range(questions)
    ]
    keys = [Key(choices=[i % 4]) for i in range(questions)]
    quiz = (await QuizRunner(service).create("Fan-out", asked, keys, channel)).id
    return {"thread": thread, "quiz": quiz}


# --- the run ------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--players", type=int, default=PLAYERS)
    parser.add_argument("--questions", type=int, default=QUESTIONS)
    args = parser.parse_args()
    load_before = load_average()
    with tempfile.TemporaryDirectory(prefix="studycircle-quiz-fanout-") as temp:
        workdir = Path(temp)
        circle_id, lead_code = asyncio.run(new_circle(workdir / "server", "Fan-out"))
        expires = wall_ms() + 3_600_000
        code = asyncio.run(
            new_invite(workdir / "server", circle_id, args.players + PROBES, expires)
        )
        process, url = start_server(workdir / "server")
        try:
            result = asyncio.run(
                measure(url, lead_code, code, args.players, args.questions, workdir, process)
            )
        finally:
            process.terminate()
            process.wait(10)
    result["load"] = (load_before, load_average())
    report(result, args.players, args.questions)


def joined(client: httpx.Client, code: str, name: str) -> tuple[str, str, bytes]:
    """A player joined with a key of their own: member, token and the key's seed."""
    key = SigningKey(os.urandom(32))
    _, member, token = join(client, code, name, key)
    return member, token, key.seed


async def measure(
    url: str, lead_code: str, code: str, players: int, questions: int, workdir: Path, server
) -> dict:
    began = time.monotonic()
    # The lead joins as the app does (its key kept in its store); the players with a key
    # each, which signs their ops (the server refuses unsigned ones in this circle).
    store = Store(workdir / "lead" / "replica.sqlite3")
    record = await join_circle(url, lead_code, "Lead", store, data_dir=workdir / "lead")
    circle = record.id
    with httpx.Client(base_url=url, timeout=30) as client:
        members = [joined(client, code, f"Player {i}") for i in range(players - 1)]
        listeners = [joined(client, code, f"Probe {i}") for i in range(PROBES)]
    watcher = Watcher(workdir / "watcher", workdir / "arrivals.jsonl", SCREEN)
    watcher.join(url, code)
    probes = [(f"probe:{member}", secret, key) for member, secret, key in listeners]
    token = read_token(circle, workdir / "lead")
    service = CircleService(store, record, HttpTransport(url, circle, token))
    await service.sync_once()
    made = await setup_quiz(service, questions)
    await service.sync_once()

    spawn = mp.get_context("spawn")
    ready, results = spawn.Queue(), spawn.Queue()
    shares = [members[i::WORKERS] for i in range(WORKERS)] + [probes]
    processes = [
        # Daemons: a run that fails ends its players with it.
        spawn.Process(
            target=worker,
            args=(url, circle, share, POLL_INTERVAL_S, ready, results),
            daemon=True,
        )
        for share in shares
    ]
    for process in processes:
        process.start()
    loop = asyncio.get_running_loop()
    for _ in processes:
        await loop.run_in_executor(None, ready.get, True, ROUND_LIMIT_S)
    watcher.start()
    try:
        await watcher.wait_for("Fan-out")
        watcher.press(b"z")  # the Quiz pane: the lobby shows there when it opens
        await watcher.wait_for("Quizzes")
        cpu_lead = time.process_time()
        sent = await run_lead(service, made, players, watcher)
        cpu_lead = time.process_time() - cpu_lead
        notes = []
        for _ in processes:
            notes.extend(await loop.run_in_executor(None, results.get, True, ROUND_LIMIT_S * 4))
        for process in processes:
            process.join(10)
        cpu = {
            "server": cpu_seconds(server.pid),
            "watcher": cpu_seconds(watcher.terminal.process.pid),  # type: ignore[union-attr]
            "lead": cpu_lead,
        }
    finally:
        watcher.close()
    await service.transport.close()
    return {
        "sent": sent,
        "notes": notes,
        "painted": watcher.painted,
        "arrived": watcher.arrived(),
        "cpu": cpu,
        "wall_s": time.monotonic() - began,
    }


# --- the report ------------------------------------------------------------------------------


def _row(label: str, values: list[float]) -> str:
    return (
        f"{label:<62} {statistics.median(values):>8.1f} {percentile(values, 0.95):>8.1f}"
        f" {max(values):>8.1f} {len(values):>8}"
    )


def report(result: dict, players: int, questions: int) -> None:
    notes = result["notes"]
    retries = [text for kind, text, *_ in notes if kind == "retry"]
    if retries:
        print(f"{len(retries)} requests retried, e.g. {retries[0]}")
    posts: dict[str, list[float]] = {}
    for kind, text, *rest in notes:
        if kind == "post":
            posts.setdefault(text, []).append(rest[0])
    reveals = [note[1:] for note in notes if note[0] == "reveal"]  # question, arrived, last, at
    last = {question: at for question, _, at, _ in reveals}
    stored = {question: revealed_at for question, _, _, revealed_at in reveals}
    fanned: dict[int, list[float]] = {}
    for question, arrived, at, _ in reveals:
        fanned.setdefault(question, []).append(arrived - at)
    arrived_app, painted = result["arrived"], result["painted"]
    for question, at in arrived_app.items():  # the real app is a player too
        if question in last:
            fanned.setdefault(question, []).append(at - last[question])
    lost = [text for kind, text, *_ in notes if kind == "lost"]
    if lost:
        print(f"{len(lost)} players' ops unconfirmed or refused, e.g. {lost[0]}")
    # A question that closed on its time, not on its last answer, does not measure the
    # path from the last answer (its answers were late: a starved player process).
    sent = result["sent"]
    by_time = [q for q in range(questions) if sent.get(f"answered {q}", 0) < players]
    if by_time:
        numbers = ", ".join(str(q + 1) for q in by_time)
        print(f"closed on their time, not their last answer (left out below): {numbers}")
    measured = [q for q in range(questions) if q not in by_time]
    if not measured or any(len(fanned.get(q, ())) != players for q in measured):
        sys.exit(f"incomplete run: {len(measured)} questions answered and revealed to all")
    if any(q not in painted for q in measured) or len(posts) != POSTS:
        sys.exit(f"incomplete run: {len(painted)} leaderboards painted, {len(posts)} posts")

    slowest = [max(fanned[q]) for q in measured]
    lead_path = [stored[q] - last[q] for q in measured]
    server_path = [max(fanned[q]) - (stored[q] - last[q]) for q in measured]
    paint = [painted[q] - arrived_app[q] for q in measured]
    end_to_end = [painted[q] - last[q] for q in measured]
    probed = [ms for kind, _, ms in (n[:3] for n in notes) if kind == "probe"]
    baseline_slowest = [max(values) for values in posts.values()]
    baseline_all = [ms for values in posts.values() for ms in values]

    fanout_p95, paint_p95 = percentile(slowest, 0.95), percentile(paint, 0.95)
    board_p95 = fanout_p95 + paint_p95
    base_p95 = percentile(baseline_slowest, 0.95)
    ratio = board_p95 / base_p95 if base_p95 > 0 else float("inf")

    print(
        f"{players} players ({players - 1} HTTP clients + the real app in a "
        f"{SCREEN[0]}x{SCREEN[1]} terminal), {questions} questions run hands-free by the "
        f"lead's app, {POSTS} baseline posts, loopback"
    )
    print(f"load average (1, 5, 15 min): before {result['load'][0]}; after {result['load'][1]}")
    cpu = result["cpu"]
    worker_cpu = sum(ms for kind, _, ms in (n[:3] for n in notes) if kind == "cpu")
    print(
        f"CPU seconds: server {cpu['server']:.1f}, {players - 1} players {worker_cpu:.1f}, "
        f"the lead's app {cpu['lead']:.1f}, the player's app {cpu['watcher']:.1f}; "
        f"wall {result['wall_s']:.0f} s (the quiz {result['sent']['quiz'] / 1000:.0f} s) on "
        f"{os.cpu_count()} cores"
    )
    print()
    print(f"{'measure (ms)':<62} {'p50':>8} {'p95':>8} {'max':>8} {'samples':>8}")
    rows = [
        (f"baseline: a post reaches the slowest of {players} (per post)", baseline_slowest),
        ("  every player's receipt of a post", baseline_all),
        ("fan-out: the reveal reaches the slowest player (per question)", slowest),
        ("  the lead's app sees the last answer, closes, reveals", lead_path),
        ("  the server sends the stored reveal to the slowest", server_path),
        (f"  the reveal reaches an idle listener ({PROBES} probes)", probed),
        ("client paint: reveal received → leaderboard on the terminal", paint),
        ("the real app: last answer → leaderboard on its terminal", end_to_end),
    ]
    for label, values in rows:
        print(_row(label, values))
    print(f"{'leaderboard p95 = fan-out p95 + client paint p95':<62} {'':>8} {board_p95:>8.1f}")
    print(f"{'ratio to baseline (p95)':<62} {'':>8} {ratio:>8.2f}")
    verdict = "met" if board_p95 <= TARGET_MS else "MISSED"
    print(f"target: leaderboard p95 ≤ {TARGET_MS:.0f} ms: {verdict}")
    print(
        json.dumps(
            {
                "players": players,
                "leaderboard_p95_ms": round(board_p95, 1),
                "fanout_p95_ms": round(fanout_p95, 1),
                "client_paint_ms": round(paint_p95, 1),
                "baseline_p95_ms": round(base_p95, 1),
                "ratio": round(ratio, 2),
                "questions": questions,
                "questions_measured": len(measured),
                "load_average": result["load"][1],
            }
        )
    )


if __name__ == "__main__":
    main()
