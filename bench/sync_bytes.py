"""Bytes on the wire for one new 200-byte post to reach a second member.

Both sides run on loopback in this one go:

- ours: ``studycircle serve`` with 1k and 100k ops of history. Member B waits in a
  long-poll (the shipped HTTP transport); member A posts; we count every byte of B's
  request and the answer that brings the post, headers included, with a counting proxy
  between B and the server. A's push is counted too and shown, not in the JSON.
- json-server 0.17.4 (installed from npm by this script into a temp dir) holding the
  same history as a ``posts`` collection: the same new post fetched incrementally
  (``GET /posts?id_gte=N``) and as a full collection ``GET /posts``.
- the floor: gzip of the op alone.

Target: ours ≤ gzip(op) + 400 bytes, flat as history grows. The last line is JSON.
Run: ``python bench/sync_bytes.py`` (about a minute; needs node and npm).
"""

import asyncio
import gzip
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

import httpx

from benchkit import install_json_server, join, json_server, new_circle, new_invite, start_server
from studycircle_tui.core.ops import Op, encode_op
from studycircle_tui.core.replica import Replica
from studycircle_tui.core.signing import SigningKey
from studycircle_tui.sync.http import HttpTransport

HISTORIES = (1_000, 100_000)
# Words a biology circle uses, so posts compress like real text, not like repeats.
WORDS = [
    *("cell", "membrane", "mitosis", "enzyme", "protein", "gene", "ribosome", "osmosis"),
    *("nucleus", "energy", "water", "light", "chlorophyll", "glucose", "oxygen", "carbon"),
    *("why", "how", "does", "the", "a", "of", "in", "is", "it", "that", "we", "should", "exam"),
]


def text_of(rng: random.Random, size: int = 200) -> str:
    words: list[str] = []
    while len(" ".join(words)) < size:
        words.append(rng.choice(WORDS))
    return " ".join(words)[:size]


class Meter:
    """A loopback TCP proxy that counts the bytes each way."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.up = self.down = 0
        self.server: asyncio.Server | None = None

    async def start(self) -> str:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    def reset(self) -> None:
        self.up = self.down = 0

    @property
    def total(self) -> int:
        return self.up + self.down

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)

        async def pipe(source, sink, direction: str) -> None:
            try:
                while data := await source.read(65536):
                    setattr(self, direction, getattr(self, direction) + len(data))
                    sink.write(data)
                    await sink.drain()
            except (ConnectionError, asyncio.CancelledError):
                pass
            finally:
                sink.close()

        await asyncio.gather(pipe(reader, up_writer, "up"), pipe(up_reader, writer, "down"))

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()


def history(
    circle: str, lead: str, key: SigningKey, size: int, rng: random.Random
) -> tuple[Replica, list[Op]]:
    """The lead's ``size``-op history, signed with the key they joined with (the server
    refuses unsigned ops)."""
    replica = Replica(circle, "seq")
    now = time.time_ns() // 1_000_000 - size
    ops = [replica.make(lead, "channel.create", {"name": "biology"}, now, os.urandom(10), key)]
    thread_data = {"channel": ops[0].id, "title": "Revision", "kind": "discussion", "text": "go"}
    ops.append(replica.make(lead, "thread.create", thread_data, now, os.urandom(10), key))
    while len(ops) < size - 2:  # circle.create and the lead's join come first
        data = {"thread": ops[1].id, "text": text_of(rng)}
        ops.append(replica.make(lead, "post.create", data, now + len(ops), os.urandom(10), key))
    return replica, ops


async def measure_ours(size: int, workdir: Path, rng: random.Random) -> dict[str, int]:
    data = workdir / f"ours-{size}"
    _, lead_code = await new_circle(data, "Biology")
    process, url = start_server(data)
    key = SigningKey(os.urandom(32))
    try:
        with httpx.Client(base_url=url) as client:
            circle, lead, lead_token = join(client, lead_code, "Lead", key)
        code = await new_invite(data, circle, 1)
        with httpx.Client(base_url=url) as client:
            _, _, reader_token = join(client, code, "Bea", SigningKey(os.urandom(32)))
        replica, ops = history(circle, lead, key, size, rng)
        writer = HttpTransport(url, circle, lead_token)
        await writer.push(ops)
        reader = HttpTransport(url, circle, reader_token)
        cursor, more = None, True
        while more:
            pulled = await reader.pull(cursor)
            cursor, more = pulled.cursor, pulled.more
        await reader.close()

        to_reader = Meter(int(url.rsplit(":", 1)[1]))
        from_writer = Meter(to_reader.target_port)
        metered_reader = HttpTransport(await to_reader.start(), circle, reader_token)
        metered_writer = HttpTransport(await from_writer.start(), circle, lead_token)
        waiting = asyncio.create_task(metered_reader.pull(cursor, wait=25))
        await asyncio.sleep(0.3)  # B's long-poll is in, waiting
        data = {"thread": ops[1].id, "text": text_of(rng)}
        now = time.time_ns() // 1_000_000
        post = replica.make(lead, "post.create", data, now, os.urandom(10), key)
        [pushed] = await metered_writer.push([post])
        arrived = await asyncio.wait_for(waiting, 20)
        assert [op.id for op in arrived.ops] == [post.id] and pushed.seq, "post did not arrive"
        await asyncio.sleep(0.1)
        result = {
            "reader": to_reader.total,
            "writer": from_writer.total,
            "gzip_op": len(gzip.compress(encode_op(post), compresslevel=9, mtime=0)),
            "op": len(encode_op(post)),
        }
        for transport in (metered_reader, metered_writer, writer):
            await transport.close()
        await to_reader.stop()
        await from_writer.stop()
        return result
    finally:
        process.terminate()
        process.wait(10)


async def measure_json_server(cli: Path, size: int, workdir: Path, rng: random.Random) -> dict:
    db = workdir / f"json-server-{size}.json"
    start = 1_700_000_000_000
    posts = [
        {"id": i, "thread": "revision", "author": "lead", "text": text_of(rng), "at": start + i}
        for i in range(1, size + 1)
    ]
    db.write_text(json.dumps({"posts": posts}))
    async with json_server(cli, db, "/posts?id_gte=999999999") as base:
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            new = {"thread": "revision", "author": "lead", "text": text_of(rng), "at": start}
            created = (await client.post("/posts", json=new)).json()
        meter = Meter(int(base.rsplit(":", 1)[1]))
        headers = {"accept-encoding": "gzip", "user-agent": "studycircle/bench"}
        async with httpx.AsyncClient(base_url=await meter.start(), timeout=120) as client:
            for name in ("accept", "connection"):  # the same lean headers as our client
                del client.headers[name]
            client.headers.update(headers)
            got = await client.get(f"/posts?id_gte={created['id']}")
            assert [post["id"] for post in got.json()] == [created["id"]]
        await asyncio.sleep(0.1)
        incremental = meter.total
        meter.reset()
        await meter.stop()
        meter.reset()
        async with httpx.AsyncClient(base_url=await meter.start(), timeout=120) as client:
            for name in ("accept", "connection"):
                del client.headers[name]
            client.headers.update(headers)
            everything = await client.get("/posts")
            assert len(everything.json()) == size + 1
        await asyncio.sleep(0.1)
        full = meter.total
        await meter.stop()
        return {"incremental": incremental, "full": full}


async def main() -> None:
    rng = random.Random(7)
    cli = install_json_server()
    ours: dict[int, dict] = {}
    theirs: dict[int, dict] = {}
    with tempfile.TemporaryDirectory(prefix="studycircle-bench-") as tmp:
        workdir = Path(tmp)
        for size in HISTORIES:
            print(f"history of {size:,} ops: ours…", file=sys.stderr, flush=True)
            ours[size] = await measure_ours(size, workdir, rng)
            print(f"history of {size:,} ops: json-server…", file=sys.stderr, flush=True)
            theirs[size] = await measure_json_server(cli, size, workdir, rng)

    floor = max(result["gzip_op"] for result in ours.values())
    print()
    print("One new 200-byte post reaching a second member: bytes on the wire, headers included")
    print(f"(op JSON {ours[HISTORIES[0]]['op']} B; gzip(op) {floor} B is the floor)")
    print()
    header = (
        f"{'history':>9} | {'ours: B long-poll':>17} | {'over gzip(op)':>13} | "
        f"{'json-server id_gte':>18} | {'ours / it':>9} | {'json-server full':>16} | "
        f"{'ours / it':>9} | {'ours: A push':>12}"
    )
    print(header)
    print("-" * len(header))
    for size in HISTORIES:
        mine, them = ours[size], theirs[size]
        print(
            f"{size:>9,} | {mine['reader']:>15,} B | {mine['reader'] - floor:>+11,} B | "
            f"{them['incremental']:>16,} B | {mine['reader'] / them['incremental']:>9.2f} | "
            f"{them['full']:>14,} B | {mine['reader'] / them['full']:>9.5f} | "
            f"{mine['writer']:>10,} B"
        )
    print()
    target = all(ours[size]["reader"] <= floor + 400 for size in HISTORIES)
    print(f"target ours ≤ gzip(op) + 400 B at every history size: {'met' if target else 'MISSED'}")
    print(
        json.dumps(
            {
                "ours_bytes": {str(size): ours[size]["reader"] for size in HISTORIES},
                "gzip_op_bytes": floor,
                "json_server_incremental_bytes": {
                    str(size): theirs[size]["incremental"] for size in HISTORIES
                },
                "json_server_full_bytes": {str(size): theirs[size]["full"] for size in HISTORIES},
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
