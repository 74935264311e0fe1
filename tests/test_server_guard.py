"""Limits on connections (server/guard.py) and on long-polls (server/limits.py), each in
a real uvicorn server in this process on loopback, with small limits so that tests are
quick: heads that come too slowly or too large, the oldest idle connection closed to
make room, a 503 only when every connection is busy, a proxy's address left alone, and
a member's or an address's oldest long-poll answered at once."""

import asyncio
import json
import socket

import pytest
import uvicorn

from server_helpers import Site
from studycircle_tui.server import guard
from studycircle_tui.server.guard import Connections, guarded_protocol


class Running:
    """uvicorn on a free loopback port, with the guard's protocol and ``connections``."""

    def __init__(self, app, connections: Connections) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)
        self.port = self.sock.getsockname()[1]
        config = uvicorn.Config(
            app, lifespan="off", log_level="warning", http=guarded_protocol(connections)
        )
        self.server = uvicorn.Server(config)
        self.released = app.released
        self.task = asyncio.create_task(self.server.serve(sockets=[self.sock]))
        self.streams: list[asyncio.StreamWriter] = []

    async def connect(self, request: bytes = b"", source: str = "127.0.0.1"):
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", self.port, local_addr=(source, 0)
        )
        writer.write(request)
        self.streams.append(writer)  # a writer no longer held closes its connection
        return reader

    async def stop(self) -> None:
        self.released.set()
        for writer in self.streams:
            writer.close()
        self.server.should_exit = True
        await self.task


def _get(path: str = "/") -> bytes:
    return f"GET {path} HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n".encode()


HALF = b"GET / HTTP/1.1\r\nhost: 127.0.0.1\r\nx-slow: "


def _app(released: asyncio.Event):
    """Answers "ok" at once, or on /slow once ``released`` is set."""

    async def app(scope, receive, send):
        if scope["path"] == "/slow":
            await released.wait()
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]}
        )
        await send({"type": "http.response.body", "body": b"ok"})

    app.released = released  # type: ignore[attr-defined]
    return app


@pytest.fixture(autouse=True)
def quick_heads(monkeypatch):
    monkeypatch.setattr(guard, "HEAD_TIMEOUT_S", 0.3)


@pytest.fixture
async def running():
    """3 connections per address and 6 in all."""
    running = Running(_app(asyncio.Event()), Connections(per_address=3, total=6))
    yield running
    await running.stop()


async def _answer(reader: asyncio.StreamReader) -> tuple[int, dict, bytes]:
    """The next answer on a connection: status, headers, body."""
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    lines = head.decode().split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    content = await reader.readexactly(int(headers.get("content-length", 0)))
    return int(lines[0].split()[1]), headers, content


async def _closed(reader: asyncio.StreamReader) -> bool:
    return await asyncio.wait_for(reader.read(), 5) == b""


async def test_a_head_that_does_not_arrive_in_time_is_answered_408(running):
    reader = await running.connect(HALF)
    status, headers, content = await _answer(reader)
    assert (status, headers["connection"]) == (408, "close")
    assert json.loads(content)["error"]["code"] == "timeout"
    assert await _closed(reader)
    assert await _closed(await running.connect())  # nothing asked: closed without a word


async def test_the_next_head_on_a_kept_alive_connection_is_timed_too(running):
    reader = await running.connect(_get())
    assert (await _answer(reader))[0] == 200
    running.streams[-1].write(HALF)
    assert (await _answer(reader))[0] == 408


async def test_a_head_larger_than_allowed_is_answered_431(running):
    reader = await running.connect(HALF + b"x" * (guard.MAX_HEAD_BYTES + 1))
    status, _, content = await _answer(reader)
    assert status == 431 and json.loads(content)["error"]["code"] == "too_large"


async def test_the_oldest_idle_connection_of_an_address_makes_room(running):
    idle = [await running.connect(HALF) for _ in range(3)]
    latest = await running.connect(_get())
    assert (await _answer(latest))[0] == 200
    assert await _closed(idle[0])  # the oldest, with nothing under way
    running.streams[-1].write(_get())  # the others are still open: they still answer
    assert (await _answer(latest))[0] == 200


async def test_with_every_connection_busy_a_new_one_is_refused_503(running):
    busy = [await running.connect(_get("/slow")) for _ in range(3)]
    await asyncio.sleep(0.1)  # their heads are in: under way
    refused = await running.connect(_get())
    status, headers, content = await _answer(refused)
    assert status == 503 and headers["retry-after"] == "5"
    assert json.loads(content)["error"]["code"] == "busy"
    other = await running.connect(_get(), source="127.0.0.2")  # another address: welcome
    assert (await _answer(other))[0] == 200
    running.released.set()
    for reader in busy:
        assert (await _answer(reader))[0] == 200


async def test_over_the_servers_total_the_oldest_idle_connection_anywhere_makes_room(running):
    idle = [await running.connect(HALF, source=f"127.0.0.{n}") for n in range(2, 8)]
    latest = await running.connect(_get(), source="127.0.0.9")
    assert (await _answer(latest))[0] == 200
    assert await _closed(idle[0])


async def test_a_named_proxy_is_not_limited_per_address():
    proxy = guard.ipaddress.ip_network("127.0.0.1/32")
    running = Running(_app(asyncio.Event()), Connections([proxy], per_address=3, total=100))
    try:
        for _ in range(5):  # every client behind the proxy comes from its address
            await running.connect(_get("/slow"))
        reader = await running.connect(_get())
        assert (await _answer(reader))[0] == 200
    finally:
        await running.stop()


# --- long-polls (server/limits.py) --------------------------------------------------------


@pytest.fixture
async def site(tmp_path):
    site = await Site.start(tmp_path / "server", None, polls_per_member=2, polls_per_address=3)
    yield site
    await site.close()


async def test_a_members_oldest_long_poll_is_answered_when_they_open_one_too_many(site):
    circle, lead = await site.circle_with_lead()
    bo = await site.join(await site.invite(circle), "Bo")
    end = (await site.pull(bo))["next"]
    polls = [asyncio.create_task(site.pull(bo, since=end, wait=20)) for _ in range(3)]
    first = await asyncio.wait_for(polls[0], 5)  # answered at once, with nothing
    assert first == {"ops": [], "next": end, "more": False}
    post = lead.make("channel.create", {"name": "news"})
    await site.push(lead, post)
    for poll in polls[1:]:  # the newer ones were still waiting: the post wakes them
        assert [op["id"] for op in (await asyncio.wait_for(poll, 5))["ops"]] == [post.id]


async def test_an_addresss_oldest_long_poll_is_answered_when_it_opens_one_too_many(site):
    circle, lead = await site.circle_with_lead()
    members = [
        await site.join(await site.invite(circle), name) for name in ("Bo", "Cy", "Di", "Ed")
    ]
    end = (await site.pull(lead))["next"]
    polls = [asyncio.create_task(site.pull(m, since=end, wait=20)) for m in members]
    assert (await asyncio.wait_for(polls[0], 5))["ops"] == []
    post = lead.make("channel.create", {"name": "news"})
    await site.push(lead, post)
    for poll in polls[1:]:
        assert [op["id"] for op in (await asyncio.wait_for(poll, 5))["ops"]] == [post.id]
