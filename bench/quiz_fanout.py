"""A live quiz for 200 players on ``studycircle serve``: how soon everyone has the
leaderboard after the last answer.

A real server process on loopback (``studycircle serve``, its rate and join limits
raised: these are 200 clients on one address, not people). The lead is the app's own
client (a ``CircleService`` with its store, and ``QuizRunner``): it opens each question,
long-polls until all 200 have answered (the server publishes who, not what, to the host
at once and to players a few times a second), then closes and reveals it, as the Quiz
pane does. The 200 players run in four worker processes, each player its own HTTP
client long-polling the log into its own replica, as the app's sync loop does (at most
one long-poll start per ``LONG_POLL_INTERVAL``, the collector tuned as the app tunes it);
a player answers each question after a random 0–1.5 s and "has the leaderboard" once
the reveal is folded and the leaderboard computed from its replica. On one machine the
players' work shares its cores with the server's, which no real group's does: the
figure is a pessimistic one.

Measured per question, per player: from the last answer's acknowledgement (the latest
of all 200) to the moment that player has the leaderboard. It includes the lead noticing
the last answer, its close and reveal, the server unsealing 200 answers, the fan-out to
200 long-polls, and each player's fold and scoring.

Baseline, in the same go on the same server and clients: the plain fan-out of one post
by the lead to the same 200 long-polls, from the moment the lead sends it to each
player's receipt. The ratio says what the quiz's extra steps cost over that.

Target: leaderboard p95 ≤ 500 ms. Run: ``python bench/quiz_fanout.py [--players N]``.
The last line printed is one JSON object.
"""

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
import msgspec

from benchkit import join, new_circle, new_invite, percentile, start_server
from studycircle_tui.core import sessionscore
from studycircle_tui.core.ops import Key, Question
from studycircle_tui.core.replica import Replica
from studycircle_tui.store.db import CircleRecord, Store
from studycircle_tui.sync.engine import CircleService
from studycircle_tui.sync.http import HttpTransport
from studycircle_tui.sync.quizrun import QuizRunner
from studycircle_tui.sync.transport import TransportError
from studycircle_tui.tui.app import tune_garbage_collector

PLAYERS = 200
WORKERS = 4
PROBES = 10  # listeners with nothing else to do, in a process of their own
QUESTIONS = 5
POSTS = 5  # baseline rounds
ANSWER_SPREAD_S = 1.5
TARGET_MS = 500.0
ROUND_LIMIT_S = 60.0  # every wait is bounded: a stuck round fails the run, not hangs it
RETRIES = 5  # a request on a connection the server just closed is sent again
NICE = 0  # raise it to give the server the CPU first on a shared machine
POLL_INTERVAL_S = CircleService.LONG_POLL_INTERVAL  # the app's (--poll-interval)


def now() -> float:
    """Milliseconds on the wall clock: the one every process here and the server's
    receive times (``at``) share."""
    return time.time_ns() / 1e6


def wall_ms() -> int:
    return time.time_ns() // 1_000_000


# --- the players (worker processes) ----------------------------------------------------------


async def play(
    url: str, circle: str, member: str, token: str, seed: int, interval: float, out: list
) -> None:
    """One player: follow the log, answer each question, note when the leaderboard is in."""
    rng = random.Random(seed)
    transport = HttpTransport(url, circle, token)
    replica = Replica(circle, "seq")
    cursor: str | None = None
    caught_up = False
    answering: list[asyncio.Task] = []

    async def answer(session: str, question: int, choices: int) -> None:
        await asyncio.sleep(rng.uniform(0, ANSWER_SPREAD_S))
        data = {"session": session, "question": question, "answer": [rng.randrange(choices)]}
        # As the app does: the answer is pending in the replica until the server takes it
        # (sealed), then waits there for its place, which the close brings.
        op = replica.make(member, "quiz.answer", data, wall_ms(), os.urandom(10))
        replica.add_local(op)
        for attempt in range(RETRIES):
            try:
                [result] = await transport.push([op])  # a retry gets the same answer
                break
            except TransportError as error:
                out.append(("retry", repr(error.__context__), now()))
                await asyncio.sleep(0.2 * (attempt + 1))
        else:
            raise RuntimeError(f"{member} could not send an answer")
        if result.error is not None:
            raise RuntimeError(f"answer refused: {result.error}")
        if result.sealed:
            replica.seal(op.id)
        out.append(("answered", question, now()))

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
            replica.add(pulled.ops)
            if not caught_up and not pulled.more:
                caught_up = True
                out.append(("ready", 0, arrived))  # from here on, long-polls
            for op in pulled.ops:
                if op.type == "post.create":
                    out.append(("post", op.data.text, arrived - op.at))
                elif op.type == "quiz.open" and op.data.deadline:
                    session = replica.state.sessions[op.data.session]
                    quiz = replica.state.quizzes[session.quiz_id]
                    choices = len(quiz.questions[op.data.question].choices)
                    task = answer(op.data.session, op.data.question, choices)
                    answering.append(asyncio.create_task(task))
                elif op.type == "quiz.reveal":
                    session = replica.state.sessions[op.data.session]
                    quiz = replica.state.quizzes[session.quiz_id]
                    board = sessionscore.score_session(quiz, session).leaderboard(session.top_n)
                    assert board, "a leaderboard with no one on it"
                    # From the server taking the last answer (its receive time).
                    question = op.data.question
                    last = max(at for _, at in session.answers[question].values())
                    out.append(("last", question, last))
                    out.append(("arrived", question, arrived - last))
                    out.append(("board", question, now() - last))
                elif op.type == "quiz.finish":
                    await asyncio.gather(*answering)
                    return
            # As the app's sync loop does: long-polls start at most once per interval, so
            # a burst of ops (200 "has answered") reaches a player in a few pulls.
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
        while True:
            response = await client.get(path, params={"since": since, "wait": 20})
            arrived = now()
            response.raise_for_status()
            body = msgspec.json.decode(response.content)
            since = body["next"]
            if not caught_up and not body["more"]:
                caught_up = True
                out.append(("ready", 0, arrived))
            ops = body["ops"]
            answers: dict[int, float] = {}
            for op in ops:
                if op["type"] == "quiz.answer":
                    question = op["data"]["question"]
                    answers[question] = max(answers.get(question, 0), op["at"])
                elif op["type"] == "quiz.reveal":
                    question = op["data"]["question"]
                    out.append(("probe", question, arrived - answers[question]))
                elif op["type"] == "quiz.finish":
                    return


def worker(
    url: str, circle: str, members: list[tuple[str, str]], interval: float, ready, results
) -> None:
    """A process of players: reports once all of them are long-polling, then their notes.

    Niced: on a real network each player's client runs on its own machine; here their
    work must not take the server's CPU from it."""
    os.nice(NICE)

    async def run() -> list:
        out: list = []
        tasks = [
            asyncio.create_task(
                play(url, circle, member, token, index, interval, out)
                if not member.startswith("probe:")
                else probe(url, circle, token, out)
            )
            for index, (member, token) in enumerate(members)
        ]
        # Ready once every player's first long-poll has come back empty (caught up).
        while sum(1 for kind, *_ in out if kind == "ready") < len(members):
            await asyncio.sleep(0.05)
        # The app tunes the collector once its circle is loaded; without that, each full
        # collection here would walk all the process's replicas, a cost no player has.
        tune_garbage_collector()
        ready.put(len(members))
        await asyncio.wait_for(asyncio.gather(*tasks), ROUND_LIMIT_S * (QUESTIONS + POSTS))
        return [note for note in out if note[0] != "ready"]

    results.put(asyncio.run(run()))


# --- the lead (this process) ---------------------------------------------------------------


async def wait_until(service: CircleService, done, what: str) -> None:
    deadline = time.monotonic() + ROUND_LIMIT_S
    while not done():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        await service.sync_once(wait=5)


async def lead_quiz(service: CircleService, players: int, workdir: Path) -> dict:
    runner = QuizRunner(service)
    await service.sync_once()
    channel = service.submit("channel.create", {"name": "quiz"}).id
    data = {"channel": channel, "title": "Warm-up", "kind": "discussion", "text": "Hello all"}
    thread = service.submit("thread.create", data).id
    questions = [
        Question(kind="multiple_choice", text=f"Q{i}", choices=["a", "b", "c", "d"], seconds=30)
        for i in range(QUESTIONS)
    ]
    keys = [Key(choices=[i % 4]) for i in range(QUESTIONS)]
    quiz = runner.create("Fan-out", questions, keys, channel).id
    await service.sync_once()
    return {"thread": thread, "quiz": quiz}


async def run_lead(service: CircleService, made: dict, players: int) -> dict:
    """Baseline posts, then the quiz; returns when each trigger was sent."""
    runner = QuizRunner(service)
    sent: dict[str, float] = {}
    for round_ in range(POSTS):
        await asyncio.sleep(0.5)
        text = f"baseline {round_}"
        service.submit("post.create", {"thread": made["thread"], "text": text})
        sent[text] = now()
        await service.sync_once()
    await asyncio.sleep(1.0)
    session = runner.start(made["quiz"], top_n=10).id
    await service.sync_once()
    for question in range(QUESTIONS):
        runner.open_question(session, question)
        await service.sync_once()

        def everyone_answered(question: int = question) -> bool:
            return len(service.state.sessions[session].answered.get(question, ())) >= players

        await wait_until(service, everyone_answered, f"answers to question {question + 1}")
        sent[f"close {question}"] = now()
        runner.close(session)
        runner.reveal(session)
        await service._push()  # the close and the reveal, in one request
        sent[f"revealed {question}"] = now()
        await asyncio.sleep(0.3)
    runner.finish(session)
    await service.sync_once()
    return sent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--players", type=int, default=PLAYERS)
    parser.add_argument(
        "--poll-interval",
        type=float,
        default=POLL_INTERVAL_S,
        help="least seconds between a player's long-poll starts (default: the app's, %(default)s)",
    )
    args = parser.parse_args()
    players, interval = args.players, args.poll_interval
    with tempfile.TemporaryDirectory(prefix="studycircle-quiz-fanout-") as temp:
        workdir = Path(temp)
        circle_id, lead_code = asyncio.run(new_circle(workdir / "server", "Fan-out"))
        expires = wall_ms() + 3_600_000
        code = asyncio.run(new_invite(workdir / "server", circle_id, players + PROBES, expires))
        process, url = start_server(workdir / "server")
        try:
            result = asyncio.run(measure(url, lead_code, code, players, interval, workdir))
        finally:
            process.terminate()
            process.wait(10)
    report(result, players, interval)


async def measure(
    url: str, lead_code: str, code: str, players: int, interval: float, workdir: Path
) -> dict:
    with httpx.Client(base_url=url, timeout=30) as client:
        circle, lead, token = join(client, lead_code, "Lead")
        members = [join(client, code, f"Player {i}")[1:] for i in range(players)]
        listeners = [join(client, code, f"Probe {i}")[1:] for i in range(PROBES)]
    probes = [(f"probe:{member}", secret) for member, secret in listeners]
    store = Store(workdir / "lead" / "replica.sqlite3")
    record = CircleRecord(circle, "Fan-out", "server", url, lead)
    store.save_circle(record)
    service = CircleService(store, record, HttpTransport(url, circle, token))
    made = await lead_quiz(service, players, workdir)

    spawn = mp.get_context("spawn")
    ready, results = spawn.Queue(), spawn.Queue()
    shares = [members[i::WORKERS] for i in range(WORKERS)] + [probes]
    processes = [
        spawn.Process(target=worker, args=(url, circle, share, interval, ready, results))
        for share in shares
    ]
    for process in processes:
        process.start()
    loop = asyncio.get_running_loop()
    for _ in processes:
        await loop.run_in_executor(None, ready.get, True, ROUND_LIMIT_S)
    sent = await run_lead(service, made, players)
    notes = []
    for _ in processes:
        notes.extend(await loop.run_in_executor(None, results.get, True, ROUND_LIMIT_S * 4))
    for process in processes:
        process.join(10)
    await service.transport.close()
    return {"sent": sent, "notes": notes}


def report(result: dict, players: int, interval: float) -> None:
    notes, sent = result["notes"], result["sent"]
    baseline = [ms for kind, _, ms in notes if kind == "post"]
    boards = [ms for kind, _, ms in notes if kind == "board"]
    arrived = [ms for kind, _, ms in notes if kind == "arrived"]
    probed = [ms for kind, _, ms in notes if kind == "probe"]
    last = {question: at for kind, question, at in notes if kind == "last"}
    noticed = [sent[f"close {q}"] - at for q, at in last.items()]
    stored = [sent[f"revealed {q}"] - sent[f"close {q}"] for q in last]
    retries = [text for kind, text, _ in notes if kind == "retry"]
    if retries:
        print(f"{len(retries)} requests retried, e.g. {retries[0]}")
    expected = players * QUESTIONS
    if len(boards) != expected or len(baseline) != players * POSTS:
        sys.exit(f"incomplete run: {len(boards)}/{expected} leaderboards, {len(baseline)} posts")
    rows = [
        (f"baseline: one post fanned out to {players} long-polls", baseline),
        (f"leaderboard after the last answer ({players} players)", boards),
        ("  the reveal reaches the player (before its fold)", arrived),
        (f"  the reveal reaches an idle listener ({PROBES} probes)", probed),
        ("  the lead has seen everyone answer, sends", noticed),
        ("  the lead's close and reveal are stored", stored),
    ]
    print(
        f"{players} players, {QUESTIONS} questions, {POSTS} baseline posts, loopback;"
        f" a player's long-polls start at most every {interval:g} s (as the app's do)"
    )
    print()
    print(f"{'measure':<52} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'samples':>8}")
    for label, values in rows:
        print(
            f"{label:<52} {statistics.median(values):>8.1f} {percentile(values, 0.95):>8.1f}"
            f" {max(values):>8.1f} {len(values):>8}"
        )
    board_p95, base_p95 = percentile(boards, 0.95), percentile(baseline, 0.95)
    ratio = board_p95 / base_p95 if base_p95 > 0 else float("inf")
    verdict = "met" if board_p95 <= TARGET_MS else "MISSED"
    print(f"{'ratio to baseline (p95)':<52} {ratio:>8.2f}")
    print(f"target: leaderboard p95 ≤ {TARGET_MS:.0f} ms: {verdict}")
    print(
        json.dumps(
            {
                "players": players,
                "leaderboard_p95_ms": round(board_p95, 1),
                "leaderboard_p50_ms": round(statistics.median(boards), 1),
                "baseline_p95_ms": round(base_p95, 1),
                "ratio": round(ratio, 2),
                "poll_interval_s": interval,
            }
        )
    )


if __name__ == "__main__":
    main()
