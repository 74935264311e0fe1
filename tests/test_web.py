"""`studycircle web`: the page and everything it loads come from this machine, and the
app answers on the websocket."""

import asyncio
import re
import socket
import subprocess
import sys
import time

import httpx
import pytest

pytest.importorskip("textual_serve")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def web_server():
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "studycircle_tui.cli", "web", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                httpx.get(base + "/", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(10)


def test_the_page_loads_nothing_from_outside_this_machine(web_server):
    page = httpx.get(web_server + "/").text
    assert "googleapis" not in page and "gstatic" not in page
    assets = re.findall(r'(?:src|href)="([^"]+)"|url\("?([^")]+)"?\)', page)
    urls = [first or second for first, second in assets]
    assert any(url.endswith("textual.js") for url in urls)
    assert any(url.endswith(".ttf") for url in urls)  # the font, served locally
    for url in urls:
        assert url.startswith(web_server + "/"), url
        response = httpx.get(url)
        assert response.status_code == 200, url
        if url.endswith(".css"):
            for linked in re.findall(r'url\("?([^")]+)"?\)', response.text):
                assert not re.match(r"^(https?:)?//", linked), linked
    # textual.js itself fetches only what it is given: the websocket and a ping URL.
    script = httpx.get(web_server + "/static/js/textual.js").text
    assert "googleapis" not in script and "cdn." not in script


def test_the_app_runs_behind_the_websocket(web_server):
    aiohttp = pytest.importorskip("aiohttp")

    async def first_screen() -> bytes:
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(web_server + "/ws?width=80&height=24") as ws,
        ):
            received = b""
            end = time.monotonic() + 30
            while b"Channels" not in received and time.monotonic() < end:
                message = await asyncio.wait_for(ws.receive(), 30)
                if message.type == aiohttp.WSMsgType.BINARY:
                    received += message.data
            return received

    assert b"Channels" in asyncio.run(first_screen())
