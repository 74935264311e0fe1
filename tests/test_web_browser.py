"""`studycircle web --host 0.0.0.0` as another machine's browser meets it: a real
headless Chromium, in a network namespace of its own, loads the page from this machine's
non-loopback address and gets the app on screen through the websocket. (With the page
pointing at http://0.0.0.0:PORT, as textual-serve writes it by default, the script and
the websocket went to the browser's own machine, and nothing came.)"""

import subprocess
import sys
import time

import httpx
import pytest

import netns_browser
from server_helpers import free_port

pytest.importorskip("textual_serve")


@pytest.fixture
def other_machine():
    why = netns_browser.unavailable()
    if why:
        pytest.skip(why)
    try:
        with netns_browser.other_machine() as machine:
            yield machine
    except PermissionError as error:
        pytest.skip(f"this kernel will not make a network namespace: {error}")


def test_a_browser_on_another_machine_gets_the_app_from_a_server_on_every_address(
    other_machine,
):
    port = free_port("0.0.0.0")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "studycircle_tui.cli",
            "web",
            "--host",
            "0.0.0.0",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    browser = None
    try:
        for _ in range(200):
            try:
                httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        browser = netns_browser.Chromium(other_machine)
        base = f"http://{other_machine.host}:{port}"
        log = browser.open(base + "/", until=b"Channels")
    finally:
        if browser is not None:
            browser.close()
        server.terminate()
        server.wait(10)

    script = f"{base}/static/js/textual.js"
    assert log.responses.get(script) == 200, (log.requests, log.failed)
    assert [url for url in log.requests.values() if "0.0.0.0" in url] == []
    assert log.websockets and all(
        url.startswith(f"ws://{other_machine.host}:{port}/ws") for url in log.websockets
    ), log.websockets
    # The app's first screen arrived in the browser, through that websocket.
    assert b"Channels" in log.received
