"""Long-polls that last minutes on a real ``serve`` process: the heartbeats that keep an
idle connection alive through proxies and NATs, and the page that ends the poll, gzip
or not, read exactly as a client reads it."""

import asyncio
import gzip
import json

import httpx
import pytest

from server_helpers import Member, ServerProcess, join_over_http, server_circle
from studycircle_tui.sync.http import HttpTransport


@pytest.fixture
def server(tmp_path):
    _, [code] = server_circle(tmp_path / "server", name="Physics")
    process = ServerProcess(tmp_path / "server")
    yield process, join_over_http(process.url, code)
    process.stop()


async def _poll(url: str, lead: Member, upto: int, encoding: str, chunks: list[bytes]) -> None:
    """A long-poll with a heartbeat a second, its raw bytes (not unpacked) as they come."""
    headers = {**lead.auth, "accept-encoding": encoding}
    params = {"since": upto, "wait": 60, "beat": 1}
    async with (
        httpx.AsyncClient(base_url=url, timeout=30) as client,
        client.stream(
            "GET", f"/api/v1/circles/{lead.circle}/ops", params=params, headers=headers
        ) as reply,
    ):
        assert reply.status_code == 200
        chunks.append(reply.headers.get("content-encoding", "").encode())
        async for chunk in reply.aiter_raw():
            chunks.append(chunk)


async def _head(process: ServerProcess, lead: Member) -> int:
    """The seq of the circle's last op as it was made (its creation, the lead's key)."""
    reader = HttpTransport(process.url, lead.circle, lead.token)
    try:
        return int((await reader.pull(None)).cursor)
    finally:
        await reader.close()


async def _until(condition, limit: float = 20.0) -> None:
    async with asyncio.timeout(limit):
        while not condition():
            await asyncio.sleep(0.02)


@pytest.mark.parametrize("encoding", ["gzip", "identity"])
async def test_an_idle_long_poll_beats_then_brings_the_post(server, encoding):
    process, lead = server
    upto = await _head(process, lead)
    chunks: list[bytes] = []
    polling = asyncio.create_task(_poll(process.url, lead, upto, encoding, chunks))
    # The headers and the first bytes come at once; then a heartbeat a second, no news.
    await _until(lambda: len(chunks) >= 4)
    assert not polling.done()
    beats = chunks[2:]
    if encoding == "gzip":
        assert chunks[0] == b"gzip" and chunks[1][:2] == b"\x1f\x8b"
        assert all(beat == b"\x00\x00\x00\xff\xff" for beat in beats)
    else:
        assert chunks[0] == b"" and all(beat.strip() == b"" for beat in [chunks[1], *beats])
    post = lead.make("channel.create", {"name": "mechanics"})
    transport = HttpTransport(process.url, lead.circle, lead.token)
    [pushed] = await transport.push([post])
    await transport.close()
    await asyncio.wait_for(polling, 10)
    body = b"".join(chunks[1:])
    page = json.loads(gzip.decompress(body) if encoding == "gzip" else body)
    assert [op["id"] for op in page["ops"]] == [post.id]
    assert (page["next"], page["more"]) == (pushed.seq, False)


async def test_the_transport_reads_a_beating_poll_as_one_page(server, monkeypatch):
    process, lead = server
    monkeypatch.setattr("studycircle_tui.sync.http.HEARTBEAT_S", 1.0)
    reader = HttpTransport(process.url, lead.circle, lead.token)
    first = await reader.pull(None)
    waiting = asyncio.create_task(reader.pull(first.cursor, wait=30))
    await asyncio.sleep(2.5)  # two heartbeats or so, and still waiting
    assert not waiting.done()
    writer = HttpTransport(process.url, lead.circle, lead.token)
    post = lead.make("channel.create", {"name": "optics"})
    await writer.push([post])
    pulled = await asyncio.wait_for(waiting, 10)
    assert [op.id for op in pulled.ops] == [post.id] and not pulled.more
    for transport in (reader, writer):
        await transport.close()


async def test_stopping_the_server_ends_a_beating_poll_with_a_page(server):
    process, lead = server
    chunks: list[bytes] = []
    upto = await _head(process, lead)
    polling = asyncio.create_task(_poll(process.url, lead, upto, "gzip", chunks))
    await _until(lambda: len(chunks) >= 3)
    await asyncio.to_thread(process.stop)
    await asyncio.wait_for(polling, 20)
    assert json.loads(gzip.decompress(b"".join(chunks[1:]))) == {
        "ops": [],
        "next": upto,
        "more": False,
    }
    assert "Traceback" not in (process.data_dir / "server.log").read_text()
