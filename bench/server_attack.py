"""Members' sync while one client attacks ``studycircle serve``.

Three phases on one server, with its limits as shipped (100 requests a second per
member): quiet; 2,100 half-sent request heads held open; 2,000 long-polls on one
member's token. The attacker is another process on another loopback address
(127.0.0.2) and keeps its attack up: each connection the server closes or answers is
replaced at once. Meanwhile, through the real client engine, the lead posts 60 times
(each post pushed and the lead's replica synced: "post"), Bo's app long-polls and
receives each post ("delivered", from the lead's submit to Bo's replica), and Cy's app
pulls after each post ("pull"). Figures are the slowest members' view: p50 and p99 of
each, failed requests, and the ratio of each p99 to the quiet phase's, with the
server's CPU time and the load average (the machine may be shared: figures are noisy).

Run: ``python bench/server_attack.py`` (about a minute). Last line: JSON.
"""

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from studycircle_tui.store.db import Store
from studycircle_tui.sync.engine import CircleService
from studycircle_tui.sync.http import HttpTransport, TransportError, read_token
from studycircle_tui.sync.join import join

sys.path.insert(0, str(Path(__file__).parent))
from benchkit import new_circle, new_invite, percentile, start_server

ATTACKER = "127.0.0.2"
POSTS = 60
HEADS, POLLS = 2_100, 2_000
PHASE_LIMIT_S = 120.0


# --- the attacker's process ---------------------------------------------------------------


async def attack(port: int, request: bytes, count: int) -> None:
    """Keep ``count`` connections sending ``request``; replace each one that ends."""

    async def one() -> None:
        while True:
            try:
                reader, writer = await asyncio.open_connection(
                    "127.0.0.1", port, local_addr=(ATTACKER, 0)
                )
                writer.write(request)
                await reader.read()  # until the server answers or closes
                writer.close()
            except OSError:
                await asyncio.sleep(0.05)

    await asyncio.gather(*(one() for _ in range(count)))  # until the bench ends it


def start_attacker(port: int, request: bytes, count: int) -> subprocess.Popen:
    command = [sys.executable, __file__, "--attack", str(port), request.hex(), str(count)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


# --- the members --------------------------------------------------------------------------


async def member(url: str, code: str, name: str, home: Path) -> CircleService:
    folder = home / name
    store = Store(folder / "replica.sqlite3")
    record = await join(url, code, name, store, data_dir=folder)
    service = CircleService(
        store, record, HttpTransport(url, record.id, read_token(record.id, folder))
    )
    await service.sync_once()
    return service


def arrivals(service: CircleService) -> dict[str, float]:
    """When each op reached ``service``'s replica (from now on), by op id."""
    arrived: dict[str, float] = {}

    def on_change(event) -> None:
        for op in getattr(event, "applied", ()):
            arrived.setdefault(op.id, time.perf_counter())

    service.subscribe(on_change)
    return arrived


async def phase(lead, bo, cy, arrived: dict[str, float], thread: str) -> dict[str, object]:
    """The lead posts ``POSTS`` times; what each member sees of it."""
    posted, pulled, failures = [], [], 0
    submitted: dict[str, float] = {}
    notices = len(bo.notices)
    cursor = cy.store.cursor(cy.record.id, "server")
    deadline = time.monotonic() + PHASE_LIMIT_S
    for count in range(POSTS):
        if time.monotonic() > deadline:
            break
        started = time.perf_counter()
        op = lead.submit("post.create", {"thread": thread, "text": f"post {count}"})
        submitted[op.id] = started
        try:
            await lead.sync_once()
            posted.append(time.perf_counter() - started)
        except TransportError:
            failures += 1
        started = time.perf_counter()
        try:
            page = await cy.transport.pull(cursor, 0.0)
            cursor = page.cursor
            pulled.append(time.perf_counter() - started)
        except TransportError:
            failures += 1
        async with asyncio.timeout(30):
            while op.id not in arrived and time.monotonic() < deadline:
                await asyncio.sleep(0.002)
    delivered = [arrived[op_id] - at for op_id, at in submitted.items() if op_id in arrived]
    return {
        "post": posted,
        "pull": pulled,
        "delivered": delivered,
        # Bo's long-polls: each one that failed left a notice ("sync paused: ...").
        "failed": failures + len(submitted) - len(delivered) + len(bo.notices) - notices,
    }


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def main() -> None:
    home = Path(tempfile.mkdtemp(prefix="studycircle-attack-"))
    data = home / "server"
    now = int(time.time() * 1000)
    circle, founding = await new_circle(data, "Biology")
    codes = [await new_invite(data, circle, 1, now + 600_000) for _ in range(3)]
    server, url = start_server(data, raised_limits=False)
    port = int(url.rsplit(":", 1)[1])
    lead = await member(url, founding, "Lea", home)
    names = ("Bo", "Cy", "Ana")
    bo, cy, ana = [
        await member(url, code, name, home) for code, name in zip(codes, names, strict=True)
    ]
    channel = lead.submit("channel.create", {"name": "general"})
    thread = lead.submit(
        "thread.create", {"channel": channel.id, "title": "t", "kind": "discussion", "text": "x"}
    )
    await lead.sync_once()
    arrived = arrivals(bo)
    bo_sync = asyncio.create_task(bo.run())
    token = read_token(circle, home / "Ana")
    end = (await ana.transport.pull(None, 0.0)).cursor
    head = b"GET /api/v1/circles/x/ops HTTP/1.1\r\nhost: 127.0.0.1\r\nx-slow: "
    poll = (
        f"GET /api/v1/circles/{circle}/ops?since={end}&wait=25 HTTP/1.1\r\n"
        f"host: 127.0.0.1\r\nauthorization: Bearer {token}\r\nconnection: close\r\n\r\n"
    ).encode()
    phases = [  # key in the JSON, name in the table, the attack
        ("quiet", "quiet", None),
        ("heads", f"{HEADS:,} half-sent heads", (head, HEADS)),
        ("polls", f"{POLLS:,} long-polls, one token", (poll, POLLS)),
    ]
    rows = {}
    for key, name, attack_with in phases:
        attacker = None
        if attack_with is not None:
            attacker = start_attacker(port, *attack_with)
            await asyncio.sleep(5)  # the attack is up to strength
        cpu_before, wall_before = cpu_seconds(server.pid), time.perf_counter()
        figures = await phase(lead, bo, cy, arrived, thread.id)
        figures["server_cpu_s"] = cpu_seconds(server.pid) - cpu_before
        figures["wall_s"] = time.perf_counter() - wall_before
        figures["load"] = os.getloadavg()[0]
        if attacker is not None:
            attacker.kill()
            attacker.wait()
        rows[(key, name)] = figures
        await asyncio.sleep(2)
    bo_sync.cancel()
    for service in (lead, bo, cy, ana):
        await service.transport.close()
    server.terminate()
    server.wait(10)
    report(rows)


def report(rows: dict[tuple[str, str], dict]) -> None:
    quiet = rows["quiet", "quiet"]
    print(f"{'phase':<28}{'what':<11}{'p50 ms':>8}{'p99 ms':>8}{'x quiet':>9}{'failed':>8}")
    summary: dict[str, object] = {}
    for (key, name), figures in rows.items():
        for what in ("post", "pull", "delivered"):
            p50 = percentile(figures[what], 0.5) * 1000
            p99 = percentile(figures[what], 0.99) * 1000
            ratio = p99 / (percentile(quiet[what], 0.99) * 1000)
            failed = figures["failed"] if what == "post" else ""
            print(f"{name:<28}{what:<11}{p50:>8.1f}{p99:>8.1f}{ratio:>9.2f}{failed:>8}")
            summary[f"{key}_{what}_p99_ms"] = round(p99, 1)
        print(
            f"{'':<28}server CPU {figures['server_cpu_s']:.1f} s over {figures['wall_s']:.1f} s,"
            f" load average {figures['load']:.2f}"
        )
        summary[f"{key}_failed"] = figures["failed"]
    print(json.dumps(summary))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--attack"]:
        port, request, count = sys.argv[2:5]
        asyncio.run(attack(int(port), bytes.fromhex(request), int(count)))
    else:
        asyncio.run(main())
