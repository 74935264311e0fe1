"""One client holding thousands of connections against a real ``serve`` process: half-sent
request heads, and long-polls on one member's token. Meanwhile the other members push,
pull and long-poll as usual, and every one of their requests is answered (not a 503).

The attacker connects from 127.0.0.2, another address of this machine's loopback
network, as a client elsewhere would; the members from 127.0.0.1. bench/server_attack.py
runs the same attacks and measures what the members see.
"""

import asyncio
import json

import httpx
import pytest

from server_helpers import (
    Member,
    ServerProcess,
    body,
    http_request,
    join_over_http,
    server_circle,
)
from studycircle_tui.server.guard import MAX_PER_ADDRESS
from studycircle_tui.server.limits import POLLS_PER_MEMBER

ATTACKER = "127.0.0.2"
Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


async def _connections(port: int, count: int, request: bytes) -> list[Connection]:
    """``count`` connections from the attacker's address, each sending ``request``."""
    connections = []
    for _ in range(count):
        reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(ATTACKER, 0))
        writer.write(request)
        connections.append((reader, writer))  # a writer no longer held closes its connection
    return connections


async def _answered(connections: list[Connection], within: float) -> list[bytes]:
    """What the server sent on each connection it answered or closed within ``within``
    seconds (b"" for a close without a word)."""
    reads = [asyncio.ensure_future(reader.read(4096)) for reader, _ in connections]
    done, pending = await asyncio.wait(reads, timeout=within)
    for read in pending:
        read.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    return [read.result() for read in done if read.exception() is None]


async def _members_carry_on(url: str, lead: Member, bo: Member) -> list[int]:
    """The lead posts ten times; Bo long-polls for each post and pulls the log. Every
    status they get, in order."""
    statuses = []
    path = f"/api/v1/circles/{lead.circle}/ops"
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        first = await client.get(path, headers=bo.auth)
        if first.status_code != 200:
            return [first.status_code]
        since = first.json()["next"]
        for count in range(10):
            poll = asyncio.create_task(
                client.get(path, params={"since": since, "wait": 20}, headers=bo.auth)
            )
            post = lead.make("suggestion.create", {"text": f"Idea {count}"})
            pushed = await client.post(path, content=body(post), headers=lead.auth)
            woken = await poll
            pulled = await client.get(path, params={"since": since}, headers=bo.auth)
            statuses += [pushed.status_code, woken.status_code, pulled.status_code]
            if woken.status_code == 200:
                assert post.id in {op["id"] for op in woken.json()["ops"]}
                since = woken.json()["next"]
    return statuses


@pytest.fixture
async def attacked(tmp_path):
    """A real server, its log, and the circle's lead, Bo and Ana (the attacker)."""
    data = tmp_path / "server"
    _, codes = server_circle(data, invites=2)
    server = await asyncio.to_thread(ServerProcess, data)
    names = ("Lea", "Bo", "Ana")
    members = [join_over_http(server.url, c, name) for c, name in zip(codes, names, strict=True)]
    yield server, *members
    await asyncio.to_thread(server.stop)
    assert "Traceback" not in (data / "server.log").read_text()


async def test_half_sent_request_heads_leave_other_members_unaffected(attacked):
    server, lead, bo, _ = attacked
    half = b"GET /api/v1/circles/x/ops HTTP/1.1\r\nhost: 127.0.0.1\r\nx-slow: "
    attack = await _connections(server.port, 2_100, half)
    assert await _members_carry_on(server.url, lead, bo) == [200] * 30
    # Past its share the attacker's oldest connections were closed to make room.
    closed = await _answered(attack, within=5)
    assert len(closed) >= 2_100 - MAX_PER_ADDRESS
    # The heads that never came are answered and closed (HEAD_TIMEOUT_S: 10 s).
    late = await _answered(attack, within=20)
    assert len(late) == 2_100
    assert any(b" 408 " in answer.split(b"\r\n")[0] for answer in late)


async def test_thousands_of_long_polls_on_one_token_leave_other_members_unaffected(attacked):
    server, lead, bo, ana = attacked
    path = f"/api/v1/circles/{ana.circle}/ops"
    end = httpx.get(f"{server.url}{path}", headers=ana.auth).json()["next"]
    path += f"?since={end}&wait=25"  # nothing new: each would wait 25 s
    attack = await _connections(server.port, 2_000, http_request("GET", path, headers=ana.auth))
    assert await _members_carry_on(server.url, lead, bo) == [200] * 30
    # Ana's oldest long-polls were answered at once: she keeps a few waiting.
    answered = await _answered(attack, within=10)
    assert len(answered) >= 2_000 - POLLS_PER_MEMBER
    assert all(answer.startswith(b"HTTP/1.1 200 ") for answer in answered)
    assert json.loads(answered[0].partition(b"\r\n\r\n")[2])["ops"] == []
