"""Hosting many circles: one server process on SQLite, one on PostgreSQL, two on one
PostgreSQL database, and ``serve --workers 2`` with a worker killed mid-load.

In each phase 300 circles are made afresh; 16 writers (each the lead of about 19 of
them, one post per request, each waiting for its answer, going round its circles)
write ``SCALE_OUT_OPS`` posts apiece (300 by default) while 1,000 members long-poll,
spread over the circles (another process, so that their client-side work does not slow
the writers' clock). PostgreSQL runs beside the server on this machine, a real server
started here as the tests start theirs, durable (fsync and synchronous_commit on: an
acknowledged post is on disk, as SQLite's synchronous=FULL makes it).

With two processes (``pg_2``) each has its own port, as two machines behind a load
balancer would, and writers and readers are split between them, so that each post's
trip from its writer to a reader is known to stay in one process or to cross to the
other (``A→B same`` / ``A→B cross``). The last phase serves through one port with
``--workers 2`` and kills one worker (SIGKILL) a third of the way in: the clients carry
on through the other (an app sends again what was not answered, and polls again), and
nothing acknowledged may be lost or doubled.

Measured: throughput, write p50/p99, A→B p50/p95 (from a writer's send to a reader's
receipt), ops lost or duplicated (every acknowledged op in the log once with its seq,
and at every reader of its circle once), CPU seconds of the server processes and of
PostgreSQL, and the load average. All traffic is on loopback; every loop is bounded.
Run: ``python bench/scale_out.py`` (a few minutes). Last line: JSON.
"""

import asyncio
import contextlib
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import msgspec

from studycircle_tui.core.ops import encode_op
from studycircle_tui.core.replica import Replica
from studycircle_tui.server import admin
from studycircle_tui.server.storage import open_store

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))
import pg_cluster
from benchkit import percentile, start_server
from server_load import Lean, Pages

CIRCLES, WRITERS, READERS = 300, 16, 1_000
OPS_EACH = int(os.environ.get("SCALE_OUT_OPS", "300"))
PHASE_LIMIT_S = 300.0
# Members on the machines of a school, not one address: the server allows one address
# 512 waiting long-polls and 1,024 connections (limits.py, guard.py). Readers connect
# from 127.0.1.1-4 (250 each), writers each from an address of its own in 127.0.2.0/24.
READERS_PER_ADDRESS = 250
TEXT = "Osmosis moves water across a membrane towards the side with more solute."


@dataclass
class Writer:
    server: int  # index into the phase's URLs
    circles: list[tuple[str, str, str, str]] = field(default_factory=list)  # id, me, token, thread


@dataclass
class Reader:
    server: int
    circle: str
    token: str
    cursor: int


# --- the readers' process ---------------------------------------------------------------


async def readers_main(spec: dict, out: str) -> None:
    urls, expected = spec["urls"], spec["expected"]
    readers = [Reader(**r) for r in spec["readers"]]
    received: list[dict[str, float]] = [{} for _ in readers]
    duplicates = [0] * len(readers)
    deadline = time.monotonic() + PHASE_LIMIT_S
    connected = 0
    page_of = Pages(keep=1024)

    async def read(index: int, reader: Reader) -> None:
        nonlocal connected
        mine, since = received[index], reader.cursor
        want = expected[reader.circle]
        port = int(urls[reader.server].rsplit(":", 1)[1])
        source = f"127.0.1.{1 + index // READERS_PER_ADDRESS}"
        client = Lean(port, reader.token, source)
        path = f"/api/v1/circles/{reader.circle}/ops"
        first = True
        while len(mine) < want and time.monotonic() < deadline:
            request = client.request_raw("GET", f"{path}?since={since}&limit=1000&wait=25")
            if first:
                connected += 1
                first = False
            try:
                ids, count, since = page_of(*await request)
            except (OSError, asyncio.IncompleteReadError, RuntimeError):
                await client.close()  # its worker went: poll again, through another
                client = Lean(port, reader.token, source)
                await asyncio.sleep(0.05)
                continue
            now = time.monotonic()
            fresh = ids - mine.keys()
            duplicates[index] += count - len(fresh)
            mine.update(dict.fromkeys(fresh, now))
        await client.close()

    tasks = [asyncio.create_task(read(i, r)) for i, r in enumerate(readers)]
    while connected < len(readers):
        await asyncio.sleep(0.05)
    await asyncio.sleep(1.0)
    print("ready", flush=True)
    await asyncio.gather(*tasks)
    Path(out).write_bytes(
        msgspec.json.encode(
            {
                "received": [
                    {"server": reader.server, "times": times}
                    for reader, times in zip(readers, received, strict=True)
                ],
                "duplicates": sum(duplicates),
                "cpu_s": time.process_time(),
            }
        )
    )


# --- setting a phase up --------------------------------------------------------------------


async def make_circles(data: Path, database: str | None) -> list[tuple[str, str, str]]:
    """300 circles, each with its lead's invite and one for its readers."""
    store = open_store(database, data)
    await store.open()
    made = []
    try:
        now = time.time_ns() // 1_000_000
        for index in range(CIRCLES):
            circle, lead_code = await admin.create_circle(store, f"Circle {index}", now)
            code = await admin.add_invite(store, circle, "member", READERS, 2**62, now)
            made.append((circle, lead_code, code))
    finally:
        await store.close()
    return made


async def populate(urls: list[str], made: list[tuple[str, str, str]]):
    """Writers (each circle's lead, a channel and a thread in it) and readers, joined
    over HTTP to the server each is given."""
    import httpx

    writers = [Writer(i % len(urls)) for i in range(WRITERS)]
    readers: list[Reader] = []
    gate = asyncio.Semaphore(16)
    clients = [httpx.AsyncClient(base_url=url, timeout=60) for url in urls]

    async def joined(server: int, code: str, name: str) -> tuple[str, str]:
        async with gate:
            answer = await clients[server].post(
                "/api/v1/join", json={"invite": code, "display_name": name}
            )
        answer.raise_for_status()
        return answer.json()["member"], answer.json()["token"]

    async def lead(index: int, circle: str, code: str) -> None:
        writer = writers[index % WRITERS]
        me, token = await joined(writer.server, code, "Lead")
        replica = Replica(circle, "seq")
        now = time.time_ns() // 1_000_000
        channel = replica.make(me, "channel.create", {"name": "load"}, now, os.urandom(10))
        data = {"channel": channel.id, "title": "Load", "kind": "discussion", "text": "."}
        thread = replica.make(me, "thread.create", data, now, os.urandom(10))
        async with gate:
            answer = await clients[writer.server].post(
                f"/api/v1/circles/{circle}/ops",
                content=b'{"ops":[' + encode_op(channel) + b"," + encode_op(thread) + b"]}",
                headers={"authorization": f"Bearer {token}"},
            )
        answer.raise_for_status()
        writer.circles.append((circle, me, token, thread.id))

    async def member(index: int) -> None:
        circle, _, code = made[index % CIRCLES]
        # Half of a circle's readers on its writer's process, half on the other.
        server = (index + index // CIRCLES) % len(urls)
        _, token = await joined(server, code, f"Reader {index}")
        readers.append(Reader(server, circle, token, 0))

    try:
        await asyncio.gather(*(lead(i, c, code) for i, (c, code, _) in enumerate(made)))
        await asyncio.gather(*(member(i) for i in range(READERS)))
        ends: dict[str, int] = {}  # each circle's log so far: its readers read from there
        for writer in writers:
            for circle, _, token, _ in writer.circles:
                page = await clients[writer.server].get(
                    f"/api/v1/circles/{circle}/ops",
                    params={"since": 0, "limit": 1000},
                    headers={"authorization": f"Bearer {token}"},
                )
                ends[circle] = page.json()["next"]
    finally:
        for client in clients:
            await client.aclose()
    for reader in readers:
        reader.cursor = ends[reader.circle]
    return writers, readers


# --- a phase ----------------------------------------------------------------------------


def _cpu_s(pids: list[int]) -> float:
    """User and system CPU seconds of these processes and their children, now."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for pid in _with_children(pids):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _rss_mb(pids: list[int]) -> float:
    """Resident memory of these processes and their children, now, in MB."""
    total = 0
    for pid in _with_children(pids):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total / 1024


def _with_children(pids: list[int]) -> list[int]:
    found, queue = [], list(pids)
    while queue:
        pid = queue.pop()
        found.append(pid)
        for task in Path(f"/proc/{pid}/task").glob("*"):
            with contextlib.suppress(OSError):
                queue += [int(c) for c in (task / "children").read_text().split()]
    return found


async def write_phase(urls: list[str], writers: list[Writer], kill: int | None, total: int):
    """Every writer's posts; with ``kill``, that worker is killed a third of the way."""
    sent: dict[str, tuple[float, int]] = {}
    acked: dict[str, int] = {}
    latencies: list[float] = []
    retries = 0

    async def write(writer: Writer) -> None:
        nonlocal retries
        port = int(urls[writer.server].rsplit(":", 1)[1])
        source = f"127.0.2.{1 + writers.index(writer)}"
        tokens = {circle: token for circle, _, token, _ in writer.circles}
        clients = {circle: Lean(port, token, source) for circle, token in tokens.items()}
        for count in range(OPS_EACH):
            circle, me, _, thread = writer.circles[count % len(writer.circles)]
            op = Replica(circle, "seq").make(
                me,
                "post.create",
                {"thread": thread, "text": TEXT},
                time.time_ns() // 1_000_000,
                os.urandom(10),
            )
            raw = b'{"ops":[' + encode_op(op) + b"]}"
            started = time.monotonic()
            sent[op.id] = (started, writer.server)
            for _ in range(100):  # as an app does: the same op again until it is answered
                try:
                    answer = await clients[circle].request(
                        "POST", f"/api/v1/circles/{circle}/ops", raw
                    )
                    break
                except (OSError, asyncio.IncompleteReadError, RuntimeError):
                    retries += 1
                    await clients[circle].close()
                    clients[circle] = Lean(port, tokens[circle], source)
                    await asyncio.sleep(0.05)
            latencies.append(time.monotonic() - started)
            result = json.loads(answer)["results"][0]
            if "seq" in result:
                acked[op.id] = result["seq"]
        for client in clients.values():
            await client.close()

    async def killer() -> None:
        while len(acked) < total // 3:
            await asyncio.sleep(0.01)
        os.kill(kill, signal.SIGKILL)

    began = time.monotonic()
    tasks = [asyncio.create_task(write(writer)) for writer in writers]
    if kill is not None:
        tasks.append(asyncio.create_task(killer()))
    await asyncio.gather(*tasks)
    elapsed = time.monotonic() - began
    return {
        "sent": sent,
        "acked": acked,
        "latencies": latencies,
        "elapsed": elapsed,
        "retries": retries,
    }


async def logged(url: str, writers: list[Writer]) -> dict[str, list[int]]:
    """Every op's seqs in every circle's log (one op, one seq, if all is well)."""
    import httpx

    seqs: dict[str, list[int]] = {}
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        for writer in writers:
            for circle, _, token, _ in writer.circles:
                since, more = 0, True
                while more:
                    page = (
                        await client.get(
                            f"/api/v1/circles/{circle}/ops",
                            params={"since": since, "limit": 1000},
                            headers={"authorization": f"Bearer {token}"},
                        )
                    ).json()
                    for op in page["ops"]:
                        seqs.setdefault(op["id"], []).append(op["seq"])
                    since, more = page["next"], page["more"]
    return seqs


async def run_phase(name: str, workdir: Path, cluster, *, processes: int, kill: bool) -> dict:
    data = workdir / name
    database = cluster.database() if name.startswith("pg") else None
    where = ("--database", database) if database else ()
    began = time.monotonic()
    made = await make_circles(data, database)
    print(f"{name}: {CIRCLES} circles made in {time.monotonic() - began:.1f} s", file=sys.stderr)
    servers, urls = [], []
    if kill:
        process, url = start_server(data, True, *where, "--workers", "2")
        servers.append(process)
        urls.append(url)
    else:
        for _ in range(processes):
            process, url = start_server(data, True, *where)
            servers.append(process)
            urls.append(url)
    try:
        print(f"{name}: joining {WRITERS} writers and {READERS} readers…", file=sys.stderr)
        began = time.monotonic()
        writers, readers = await populate(urls, made)
        print(f"{name}: joined in {time.monotonic() - began:.1f} s", file=sys.stderr)
        expected: dict[str, int] = {}
        for writer in writers:
            for count in range(OPS_EACH):
                circle = writer.circles[count % len(writer.circles)][0]
                expected[circle] = expected.get(circle, 0) + 1
        out = Path(tempfile.mkstemp(suffix=".json", dir=workdir)[1])
        spec = Path(tempfile.mkstemp(suffix=".json", dir=workdir)[1])  # tokens: not in argv
        spec.write_text(
            json.dumps(
                {"urls": urls, "expected": expected, "readers": [r.__dict__ for r in readers]}
            )
        )
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            "--readers",
            str(spec),
            str(out),
            stdout=asyncio.subprocess.PIPE,
        )
        assert (await asyncio.wait_for(child.stdout.readline(), 120)).strip() == b"ready"
        victim = None
        if kill:
            line = _first_line(servers[0])
            victim = int(line.split("workers: ")[1].split()[0])
        pids = [s.pid for s in servers]
        postmaster = cluster.postmaster()
        cpu_before = (_cpu_s(pids), _cpu_s([postmaster]) if postmaster else 0.0)
        load_before = os.getloadavg()[0]
        print(f"{name}: {WRITERS} writers x {OPS_EACH} posts…", file=sys.stderr)
        writing = time.process_time()
        written = await write_phase(urls, writers, victim, WRITERS * OPS_EACH)
        writing = time.process_time() - writing
        cpu = (
            _cpu_s(pids) - cpu_before[0],
            (_cpu_s([postmaster]) if postmaster else 0.0) - cpu_before[1],
        )
        load = os.getloadavg()[0]
        rss = _rss_mb(pids)
        print(f"{name}: written in {written['elapsed']:.1f} s; readers finishing…", file=sys.stderr)
        await asyncio.wait_for(child.wait(), PHASE_LIMIT_S + 30)
        seen = msgspec.json.decode(out.read_bytes())
        out.unlink()
        seqs = await logged(urls[0], writers)
    finally:
        for process in servers:
            process.terminate()
            process.wait(20)
        if database:
            cluster.drop(database)
    acked, sent = written["acked"], written["sent"]
    lost = sum(1 for op_id, seq in acked.items() if seqs.get(op_id) != [seq])
    lost += len(sent) - len(acked)
    duplicated = sum(len(s) - 1 for s in seqs.values()) + seen["duplicates"]
    same, cross = [], []
    for reader in seen["received"]:
        for op_id, at in reader["times"].items():
            if op_id in sent:
                started, server = sent[op_id]
                (same if server == reader["server"] else cross).append((at - started) * 1000)
    receipts = len(same) + len(cross)
    wanted = sum(expected[r.circle] for r in readers)
    lost += max(0, wanted - receipts)
    latencies = [s * 1000 for s in written["latencies"]]
    return {
        "name": name,
        "ops_per_s": len(acked) / written["elapsed"],
        "p50": percentile(latencies, 0.5),
        "p99": percentile(latencies, 0.99),
        "same_p50": percentile(same, 0.5),
        "same_p95": percentile(same, 0.95),
        "cross_p50": percentile(cross, 0.5),
        "cross_p95": percentile(cross, 0.95),
        "lost": lost,
        "duplicated": duplicated,
        "retries": written["retries"],
        # A killed worker takes its CPU count with it: not measured there.
        "server_cpu_s": math.nan if kill else cpu[0],
        "pg_cpu_s": math.nan if kill else cpu[1],
        # The load generator shares the 2 cores: the writers, and the readers' process.
        "clients_cpu_s": writing + seen["cpu_s"],
        "server_rss_mb": rss,
        "elapsed": written["elapsed"],
        "load": (load_before, load),
    }


def _first_line(process: subprocess.Popen) -> str:
    return process.banner  # type: ignore[attr-defined]  (see benchkit.start_server)


def report(phases: dict[str, dict]) -> None:
    print()
    print(
        f"{CIRCLES} circles, {WRITERS} writers x {OPS_EACH} posts (one per request, round their"
        f" circles), {READERS} members long-polling spread over the circles; PostgreSQL 15"
        " beside the server, durable"
    )
    print()
    head = (
        f"{'phase':<10} | {'ops/s':>6} | {'x pg_1':>6} | {'write p50':>9} | {'write p99':>9} |"
        f" {'A→B same p95':>12} | {'A→B cross p95':>13} | {'lost':>4} | {'dup':>3} |"
        f" {'server CPU':>10} | {'PG CPU':>7} | {'clients CPU':>11} | {'server RSS':>10} |"
        f" {'load':>9}"
    )
    print(head)
    print("-" * len(head))
    base = phases["pg_1"]["ops_per_s"]
    for phase in phases.values():
        crossed = not math.isnan(phase["cross_p95"])
        cross = f"{phase['cross_p95']:>10.1f} ms" if crossed else f"{'-':>13}"
        ratio = phase["ops_per_s"] / base
        cpu = f" {phase['server_cpu_s']:>8.1f} s | {phase['pg_cpu_s']:>5.1f} s |"
        cpu += f" {phase['clients_cpu_s']:>9.1f} s | {phase['server_rss_mb']:>7.0f} MB |"
        print(
            f"{phase['name']:<10} | {phase['ops_per_s']:>6.0f} | {ratio:>6.2f} |"
            f" {phase['p50']:>6.1f} ms | {phase['p99']:>6.1f} ms | {phase['same_p95']:>9.1f} ms |"
            f" {cross} | {phase['lost']:>4} | {phase['duplicated']:>3} |"
            + cpu.replace("nan", "  -")
            + f" {phase['load'][0]:>4.1f}→{phase['load'][1]:<4.1f}"
        )
    print()
    print(
        "pg_2: two server processes on one database, each on its own port; A→B cross: the"
        " writer on one, the reader on the other. pg_2_kill: --workers 2 on one port, one"
        f" worker SIGKILLed a third of the way ({phases['pg_2_kill']['retries']} requests sent"
        " again)."
    )
    pg_2 = phases["pg_2"]
    print(
        json.dumps(
            {
                "ops_per_s": {
                    key: round(phases[key]["ops_per_s"], 1) for key in ("sqlite_1", "pg_1", "pg_2")
                },
                "write_p99_ms": round(pg_2["p99"], 2),
                "a_to_b_cross_p95_ms": round(pg_2["cross_p95"], 2),
                "a_to_b_same_p95_ms": round(pg_2["same_p95"], 2),
                "lost": sum(p["lost"] for p in phases.values()),
                "duplicated": sum(p["duplicated"] for p in phases.values()),
            }
        )
    )


async def main() -> None:
    why = pg_cluster.unavailable()
    if why:
        sys.exit(f"this benchmark needs PostgreSQL: {why}")
    phases: dict[str, dict] = {}
    with (
        tempfile.TemporaryDirectory(prefix="studycircle-scale-") as tmp,
        pg_cluster.cluster(durable=True) as cluster,
    ):
        workdir = Path(tmp)
        for name, processes, kill in (
            ("sqlite_1", 1, False),
            ("pg_1", 1, False),
            ("pg_2", 2, False),
            ("pg_2_kill", 2, True),
        ):
            phases[name] = await run_phase(name, workdir, cluster, processes=processes, kill=kill)
    report(phases)


if __name__ == "__main__":
    try:  # the load generator's event loop, so it stays light
        from uvloop import run
    except ImportError:
        run = asyncio.run
    if len(sys.argv) == 4 and sys.argv[1] == "--readers":
        run(readers_main(json.loads(Path(sys.argv[2]).read_text()), sys.argv[3]))
    else:
        run(main())
