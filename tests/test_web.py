"""`studycircle web`: the page and everything it loads come from this machine, and the
app answers on the websocket."""

import asyncio
import contextlib
import re
import subprocess
import sys
import time

import httpx
import pytest

from server_helpers import free_port

pytest.importorskip("textual_serve")


@contextlib.contextmanager
def serving(*options: str):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "studycircle_tui.cli", "web", "--port", str(port), *options],
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


@pytest.fixture
def web_server():
    with serving() as base:
        yield base


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


def test_each_page_points_where_its_browser_came_in_unless_a_public_url_says():
    """The browser's own address (its Host header) for the script and the websocket;
    behind a reverse proxy, --public-url. (tests/test_web_browser.py: a real browser.)"""
    with serving("--host", "0.0.0.0") as base:
        port = base.rsplit(":", 1)[1]
        page = httpx.get(base + "/", headers={"host": f"192.0.2.7:{port}"}).text
        assert f'src="http://192.0.2.7:{port}/static/js/textual.js"' in page
        assert f'data-session-websocket-url="ws://192.0.2.7:{port}/ws"' in page
        assert "0.0.0.0" not in page
    with serving("--public-url", "https://quiz.example.org/") as base:
        page = httpx.get(base + "/").text
        assert 'src="https://quiz.example.org/static/js/textual.js"' in page
        assert 'data-session-websocket-url="wss://quiz.example.org/ws"' in page


@pytest.mark.parametrize(
    ("options", "says"),
    [
        (["--public-url", "quiz.example.org"], "--public-url must be an address like"),
        (["--port", "99999"], "must be a number from 0 to 65535"),
        (["--port", "http"], "must be a number from 0 to 65535"),
    ],
)
def test_a_bad_address_or_port_is_one_line(options, says, capsys):
    from studycircle_tui.cli import main

    try:
        code = main(["web", *options])
    except SystemExit as exit_:  # argparse's own refusal of a --port
        code = exit_.code
    assert code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and says in err, err
