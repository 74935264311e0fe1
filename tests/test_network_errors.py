"""A server that cannot be reached is said in plain words: which of the usual reasons it
is (no such name, nothing running there, too slow, not https), never httpx's "All
connection attempts failed". Each error here is a real one, from a real socket."""

import socket
import threading

import httpx
import pytest

from server_helpers import ServerProcess, free_port
from studycircle_tui.sync.http import HttpTransport, unreachable
from studycircle_tui.sync.transport import TransportError


async def _why(url: str) -> str:
    transport = HttpTransport(url, "0" * 26, "token")
    try:
        with pytest.raises(TransportError) as raised:
            await transport.pull(None)
    finally:
        await transport.close()
    return str(raised.value)


async def test_nothing_running_there():
    port = free_port()
    why = await _why(f"http://127.0.0.1:{port}")
    assert why == f"the server at 127.0.0.1:{port} is not running (it refused the connection)"


async def test_no_such_name():
    # .invalid is never a real name (RFC 2606): the lookup fails, online or not.
    why = await _why("http://studycircle.invalid:8000")
    assert why.startswith("no server named studycircle.invalid was found"), why


@pytest.fixture
def silent_server():
    """A socket that accepts connections and never answers, nor closes them."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    taken: list[socket.socket] = []
    done = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not done.is_set():
            try:
                taken.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    done.set()
    thread.join()
    for connection in taken:
        connection.close()
    listener.close()


async def test_a_server_that_stops_answering(silent_server):
    url = f"http://127.0.0.1:{silent_server}"
    async with httpx.AsyncClient(timeout=0.3) as client:
        with pytest.raises(httpx.HTTPError) as raised:
            await client.get(url)
    assert unreachable(raised.value, url) == (
        f"the server at 127.0.0.1:{silent_server} stopped answering (timed out)"
    )


async def test_https_to_a_server_that_speaks_http(tmp_path):
    """The real server, asked in https: the TLS handshake fails, and the hint says why."""
    server = ServerProcess(tmp_path / "server")
    try:
        why = await _why(server.url.replace("http://", "https://"))
    finally:
        server.kill()
    assert why.startswith("the secure connection (TLS) to 127.0.0.1:"), why
    assert why.endswith("failed (does it speak https?)"), why
