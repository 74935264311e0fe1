"""Load on ``studycircle serve``: 8 writers x 1,000 ops while 100 members long-poll.

Three phases, with the circle's history first filled to 1k, 10k and 100k stored ops.
In each, 8 writers (one member each, one post per request, each waiting for its answer)
push 1,000 posts apiece while 100 readers (another process, so their client-side work
does not slow the writers' clock) long-poll for them. The load generator is kept light
so that it measures the server and not itself: bare keep-alive HTTP/1.1 instead of
httpx, uvloop when installed, and a page that a hundred readers receive byte for byte
alike is unpacked and decoded once (each still receives it in full). Measured:
throughput, write latency p50/p99, how long a post takes from A's send to each B's
receipt, and ops lost or duplicated (every acknowledged op must be in the log once with
its seq, and reach every reader once). In the same run json-server 0.17.4 (from npm,
into a temp dir) takes the same 8 x 1,000 writes. All traffic is on loopback; every loop
is bounded.

The server runs with its per-member rate limit raised (the default, 100 requests a
second, is for people, not for writers posting as fast as answers come back).
Run: ``python bench/server_load.py`` (a minute or two; needs node and npm). Last line: JSON.
"""

import asyncio
import gzip
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import httpx
import msgspec

from studycircle_tui.core.ops import encode_op
from studycircle_tui.core.replica import Replica
from studycircle_tui.core.signing import SigningKey
from studycircle_tui.sync.http import HttpTransport

sys.path.insert(0, str(Path(__file__).parent))
from benchkit import (
    install_json_server,
    join,
    json_server,
    new_circle,
    new_invite,
    percentile,
    start_server,
)

WRITERS, OPS_EACH, READERS = 8, 1_000, 100
HISTORIES = (1_000, 10_000, 100_000)
PHASE_LIMIT_S = 240.0  # a phase that has not finished by then is reported as it stands
TEXT = "Osmosis moves water across a membrane towards the side with more solute. " * 2


class _Id(msgspec.Struct):
    id: str


class _Page(msgspec.Struct):
    ops: list[_Id]
    next: int
    more: bool = False


def lean_client(base_url: str, token: str | None = None) -> httpx.AsyncClient:
    headers = {"accept-encoding": "gzip", "user-agent": "studycircle-bench"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    client = httpx.AsyncClient(
        base_url=base_url,
        headers=headers,
        timeout=60,
        limits=httpx.Limits(max_connections=4, max_keepalive_connections=4),
    )
    for name in ("accept", "connection"):
        del client.headers[name]
    return client


class Pages:
    """What a page of ops holds: its op ids, how many, and the next cursor.

    A hundred members woken together get the very same bytes. Each reader receives its
    answer in full, but the same bytes are unpacked and decoded once for all of them:
    on their own machines a hundred members would do that work side by side, while here
    it would queue up on one core and put its delay into the A→B figures."""

    def __init__(self, keep: int = 256) -> None:
        self.keep = keep
        self.pages: dict[bytes, tuple[frozenset[str], int, int]] = {}

    def __call__(self, data: bytes, packed: bool) -> tuple[frozenset[str], int, int]:
        known = self.pages.get(data)
        if known is None:
            page = msgspec.json.decode(gzip.decompress(data) if packed else data, type=_Page)
            known = (frozenset(op.id for op in page.ops), len(page.ops), page.next)
            if len(self.pages) >= self.keep:
                self.pages.clear()
            self.pages[data] = known
        return known


class Lean:
    """A bare HTTP/1.1 keep-alive connection: the load generator must cost far less than
    the server it measures, and httpx's per-request work, times 100 readers, would not."""

    def __init__(self, port: int, token: str, source: str | None = None) -> None:
        self.port = port
        self.source = source  # the loopback address to connect from (per-address limits)
        self.head = f"Host: 127.0.0.1:{port}\r\nAccept-Encoding: gzip\r\n"
        self.head += f"Authorization: Bearer {token}\r\n"
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, target: str, body: bytes = b"") -> bytes:
        data, packed = await self.request_raw(method, target, body)
        return gzip.decompress(data) if packed else data

    async def request_raw(self, method: str, target: str, body: bytes = b"") -> tuple[bytes, bool]:
        """The answer's body as it came (and whether it is gzipped); raises unless 200."""
        if self.writer is None:
            local = (self.source, 0) if self.source else None
            self.reader, self.writer = await asyncio.open_connection(
                "127.0.0.1", self.port, local_addr=local
            )
        head = f"{method} {target} HTTP/1.1\r\n{self.head}Content-Length: {len(body)}\r\n\r\n"
        self.writer.write(head.encode() + body)
        status = await self.reader.readuntil(b"\r\n\r\n")
        length, packed = 0, False
        for line in status.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"content-encoding":
                packed = b"gzip" in value
        data = await self.reader.readexactly(length)
        if not status.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(f"{status[:40]!r}: {data[:200]!r}")
        return data, packed

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


# --- the readers' process ---------------------------------------------------------------


async def readers_main(url: str, circle: str, tokens: list[str], cursor: int, out: str) -> None:
    expected = WRITERS * OPS_EACH
    received: list[dict[str, float]] = [{} for _ in tokens]
    duplicates = [0] * len(tokens)
    deadline = time.monotonic() + PHASE_LIMIT_S
    path = f"/api/v1/circles/{circle}/ops"
    connected = 0
    page_of = Pages()

    async def reader(index: int, token: str) -> None:
        nonlocal connected
        mine = received[index]
        since = cursor
        client = Lean(int(url.rsplit(":", 1)[1]), token)
        first = True
        while len(mine) < expected and time.monotonic() < deadline:
            request = client.request_raw("GET", f"{path}?since={since}&limit=1000&wait=25")
            if first:
                connected += 1
                first = False
            ids, count, since = page_of(*await request)
            now = time.monotonic()
            fresh = ids - mine.keys()
            duplicates[index] += count - len(fresh)  # seen before, or twice in this page
            mine.update(dict.fromkeys(fresh, now))
        await client.close()

    tasks = [asyncio.create_task(reader(i, token)) for i, token in enumerate(tokens)]
    while connected < len(tokens):
        await asyncio.sleep(0.05)
    await asyncio.sleep(1.0)
    print("ready", flush=True)
    await asyncio.gather(*tasks)
    times: dict[str, list[float]] = {}
    for mine in received:
        for op_id, at in mine.items():
            times.setdefault(op_id, []).append(at)
    Path(out).write_bytes(
        msgspec.json.encode({"times": times, "duplicates": sum(duplicates), "readers": len(tokens)})
    )


# --- the writers, in this process ---------------------------------------------------------


async def write_phase(
    url: str, circle: str, writers: list[tuple[str, str, SigningKey]], thread: str
) -> dict:
    sent: dict[str, float] = {}
    acked: dict[str, int] = {}
    latencies: list[float] = []
    path = f"/api/v1/circles/{circle}/ops"

    async def writer(member: str, token: str, key: SigningKey) -> None:
        replica = Replica(circle, "seq")
        client = Lean(int(url.rsplit(":", 1)[1]), token)
        for _ in range(OPS_EACH):
            op = replica.make(
                member,
                "post.create",
                {"thread": thread, "text": TEXT},
                time.time_ns() // 1_000_000,
                os.urandom(10),
                key,
            )
            raw = b'{"ops":[' + encode_op(op) + b"]}"
            started = time.monotonic()
            sent[op.id] = started
            answer = await client.request("POST", path, raw)
            latencies.append(time.monotonic() - started)
            result = json.loads(answer)["results"][0]
            if "seq" in result:
                acked[op.id] = result["seq"]
        await client.close()

    began = time.monotonic()
    await asyncio.gather(*(writer(*each) for each in writers))
    elapsed = time.monotonic() - began
    return {"sent": sent, "acked": acked, "latencies": latencies, "elapsed": elapsed}


async def log_since(url: str, circle: str, token: str, cursor: int) -> list[dict]:
    ops: list[dict] = []
    async with lean_client(url, token) as client:
        for _ in range(100_000):  # bounded: at most 1000 ops a page
            page = (
                await client.get(
                    f"/api/v1/circles/{circle}/ops", params={"since": cursor, "limit": 1000}
                )
            ).json()
            ops += page["ops"]
            cursor = page["next"]
            if not page["more"]:
                break
    return ops


async def fill(
    url: str, circle: str, member: str, token: str, key: SigningKey, thread: str, upto: int
) -> int:
    """Posts from a filler member until the log holds ``upto`` ops; the log's length."""
    length = len(await log_since(url, circle, token, 0))
    replica = Replica(circle, "seq")
    transport = HttpTransport(url, circle, token)
    base = time.time_ns() // 1_000_000
    while length < upto:
        count = min(5_000, upto - length)
        batch = [
            replica.make(
                member, "post.create", {"thread": thread, "text": TEXT}, base, os.urandom(10), key
            )
            for _ in range(count)
        ]
        results = await transport.push(batch)
        length += sum(1 for result in results if result.seq)
    await transport.close()
    return length


async def json_server_writes(cli: Path, workdir: Path) -> float:
    db = workdir / "json-server.json"
    posts = [{"id": i, "thread": "t", "author": "a", "text": TEXT} for i in range(1, 1_001)]
    db.write_text(json.dumps({"posts": posts}))
    async with json_server(cli, db, "/posts/1") as base:

        async def writer(index: int) -> None:
            async with lean_client(base) as client:
                for _ in range(OPS_EACH):
                    await client.post("/posts", json={"thread": "t", "author": index, "text": TEXT})

        began = time.monotonic()
        await asyncio.gather(*(writer(i) for i in range(WRITERS)))
        return WRITERS * OPS_EACH / (time.monotonic() - began)


def signed_member(client: httpx.Client, code: str, name: str) -> tuple[str, str, SigningKey]:
    """A member joined with a key of their own: member, token and the key."""
    key = SigningKey(os.urandom(32))
    _, member, token = join(client, code, name, key)
    return member, token, key


async def main() -> None:
    cli = install_json_server()
    phases: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="studycircle-load-") as tmp:
        workdir = Path(tmp)
        data = workdir / "server"
        _, lead_code = await new_circle(data, "Load")
        process, url = start_server(data)
        try:
            with httpx.Client(base_url=url) as client:
                # Each member that posts joins with a key of their own, which signs their
                # ops (the server refuses unsigned ones, and a join without a key).
                lead_key = SigningKey(os.urandom(32))
                circle, lead, lead_token = join(client, lead_code, "Lead", lead_key)
                code = await new_invite(data, circle, WRITERS + READERS)
                writers = [signed_member(client, code, f"Writer {i}") for i in range(WRITERS)]
                readers = [signed_member(client, code, f"Reader {i}")[1] for i in range(READERS)]
            setup = Replica(circle, "seq")
            now = time.time_ns() // 1_000_000
            channel = setup.make(
                lead, "channel.create", {"name": "load"}, now, os.urandom(10), lead_key
            )
            thread_data = {
                "channel": channel.id,
                "title": "Load",
                "kind": "discussion",
                "text": ".",
            }
            thread = setup.make(lead, "thread.create", thread_data, now, os.urandom(10), lead_key)
            await HttpTransport(url, circle, lead_token).push([channel, thread])
            for history in HISTORIES:
                print(f"filling the history to {history:,} ops…", file=sys.stderr, flush=True)
                length = await fill(url, circle, lead, lead_token, lead_key, thread.id, history)
                phases.append(await run_phase(url, circle, writers, readers, thread.id, length))
                phases[-1]["history"] = history
        finally:
            process.terminate()
            process.wait(10)
        print("json-server: the same writes…", file=sys.stderr, flush=True)
        theirs = await json_server_writes(cli, workdir)
    report(phases, theirs)


async def run_phase(url, circle, writers, readers, thread: str, length: int) -> dict:
    out = Path(tempfile.mkstemp(suffix=".json")[1])
    spec = json.dumps({"url": url, "circle": circle, "tokens": readers, "cursor": length})
    child = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--readers", spec, str(out), stdout=asyncio.subprocess.PIPE
    )
    assert (await asyncio.wait_for(child.stdout.readline(), 60)).strip() == b"ready"
    print(f"  {WRITERS} writers x {OPS_EACH:,} ops, {READERS} readers…", file=sys.stderr)
    written = await write_phase(url, circle, writers, thread)
    await asyncio.wait_for(child.wait(), PHASE_LIMIT_S + 30)
    seen = msgspec.json.decode(out.read_bytes())
    out.unlink()
    logged = await log_since(url, circle, writers[0][1], length)
    logged_seqs: dict[str, list[int]] = {}
    for op in logged:
        logged_seqs.setdefault(op["id"], []).append(op["seq"])
    acked, sent = written["acked"], written["sent"]
    lost = sum(1 for op_id, seq in acked.items() if logged_seqs.get(op_id) != [seq])
    lost += len(sent) - len(acked)  # refused or unanswered: never acknowledged
    duplicated = sum(len(seqs) - 1 for seqs in logged_seqs.values()) + seen["duplicates"]
    missed = sum(READERS - len(seen["times"].get(op_id, ())) for op_id in acked)
    a_to_b = [
        (at - sent[op_id]) * 1000
        for op_id, times in seen["times"].items()
        if op_id in sent
        for at in times
    ]
    latencies = [s * 1000 for s in written["latencies"]]
    return {
        "ops_per_s": len(acked) / written["elapsed"],
        "p50": percentile(latencies, 0.50),
        "p99": percentile(latencies, 0.99),
        "a_to_b_p50": percentile(a_to_b, 0.50),
        "a_to_b_p95": percentile(a_to_b, 0.95),
        "lost": lost + missed,
        "duplicated": duplicated,
    }


def report(phases: list[dict], theirs: float) -> None:
    print()
    print(
        f"{WRITERS} writers x {OPS_EACH:,} posts (one per request) while {READERS} members "
        "long-poll; baseline: json-server 0.17.4 taking the same writes"
    )
    print()
    header = (
        f"{'stored ops':>10} | {'ops/s':>7} | {'x json-server':>13} | {'write p50':>9} | "
        f"{'write p99':>9} | {'A→B p50':>8} | {'A→B p95':>8} | {'lost':>4} | {'dup':>4}"
    )
    print(header)
    print("-" * len(header))
    for phase in phases:
        print(
            f"{phase['history']:>10,} | {phase['ops_per_s']:>7.0f} | "
            f"{phase['ops_per_s'] / theirs:>13.2f} | {phase['p50']:>6.1f} ms | "
            f"{phase['p99']:>6.1f} ms | {phase['a_to_b_p50']:>5.1f} ms | "
            f"{phase['a_to_b_p95']:>5.1f} ms | {phase['lost']:>4} | {phase['duplicated']:>4}"
        )
    print(f"{'json-server':>10} | {theirs:>7.0f} | {1:>13.2f} |")
    print()
    print("JSON: the slowest phase's throughput and A→B p95; lost and duplicated summed.")
    print(
        json.dumps(
            {
                "ops_per_s": round(min(p["ops_per_s"] for p in phases), 1),
                "lost": sum(p["lost"] for p in phases),
                "duplicated": sum(p["duplicated"] for p in phases),
                "write_p99_ms": {str(p["history"]): round(p["p99"], 2) for p in phases},
                "a_to_b_p95_ms": round(max(p["a_to_b_p95"] for p in phases), 2),
                "json_server_ops_per_s": round(theirs, 1),
            }
        )
    )


if __name__ == "__main__":
    try:  # the server's own event loop; the load generator's too, so it stays light
        from uvloop import run
    except ImportError:
        run = asyncio.run
    if len(sys.argv) == 4 and sys.argv[1] == "--readers":
        spec = json.loads(sys.argv[2])
        run(readers_main(spec["url"], spec["circle"], spec["tokens"], spec["cursor"], sys.argv[3]))
    else:
        run(main())
