"""What a one-line note edit costs on the wire, against a real ``serve`` process: its
push goes gzip-compressed when that is smaller, and every answer leaves the server in
one TCP segment (head and body together), so the edit stays under a kilobyte with the
link's headers counted (bench/poor_link.py measures it over the emulated link)."""

import gzip
import socket
import struct

import httpx
import pytest

from server_helpers import Member, ServerProcess, join_over_http, server_circle
from studycircle_tui.core import notetext
from studycircle_tui.core.ops import encode_op
from studycircle_tui.sync.http import HttpTransport

# Linux's struct tcp_info: tcpi_data_segs_in, the segments with data this socket took in.
DATA_SEGS_IN = 152


@pytest.fixture
def served(tmp_path):
    _, [code] = server_circle(tmp_path / "server", name="Biologi")
    process = ServerProcess(tmp_path / "server")
    yield process, join_over_http(process.url, code)
    process.stop()


class Recorder(httpx.AsyncBaseTransport):
    """The real network transport, keeping each request and response as sent."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.exchanges: list[tuple[httpx.Request, httpx.Response]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        await response.aread()
        self.exchanges.append((request, response))
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


def _head_bytes(start_line: str, headers: httpx.Headers) -> int:
    lines = [start_line, *(f"{name}: {value}" for name, value in headers.multi_items())]
    return sum(len(line.encode()) + 2 for line in lines) + 2


def _big_note(member: Member):
    lines = [f"baris {n}: sel membran mitosis enzim protein ribosom\n" for n in range(2000)]
    note = member.make("note.create", {"title": "Kamus", "text": "".join(lines)})
    member.replica.add_local(note)
    return note, lines


async def test_a_one_line_edit_of_a_big_note_is_a_small_gzipped_push(served):
    process, lea = served
    recorder = Recorder()
    transport = HttpTransport(process.url, lea.circle, lea.token, transport=recorder)
    try:
        lea.replica.add((await transport.pull(None)).ops)  # the circle, as the app has it
        note, lines = _big_note(lea)
        [created] = await transport.push([note])
        assert created.error is None
        lines[1000] = "baris 1000: diubah oleh Lea\n"
        state = lea.replica.state.notes[note.id]
        payload = notetext.revise_payload(state, note.id, "".join(lines))
        edit = lea.make("note.revise", {"note": note.id, "base": note.id, **payload})
        [pushed] = await transport.push([edit])
        assert pushed.error is None and pushed.seq is not None
    finally:
        await transport.close()
    request, response = recorder.exchanges[-1]
    assert request.headers["content-encoding"] == "gzip"
    assert gzip.decompress(request.content) == b'{"ops":[' + encode_op(edit) + b"]}"
    sent = _head_bytes(f"POST {request.url.raw_path.decode()} HTTP/1.1", request.headers)
    sent += len(request.content)
    answered = _head_bytes("HTTP/1.1 200 OK", response.headers) + len(response.content)
    # One segment each way (their own ACKs beside them) leaves 4 × 52 bytes of IP and TCP
    # headers within the kilobyte: what HTTP carries must fit in the rest.
    assert sent + answered <= 1000 - 4 * 52, (sent, answered)


def _data_segments_in(sock: socket.socket) -> int:
    info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256)
    return struct.unpack_from("I", info, DATA_SEGS_IN)[0]


def _answer(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, body = data.split(b"\r\n\r\n", 1)
    length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
    while len(body) < length:
        body += sock.recv(65536)
    return head


@pytest.mark.parametrize("authorized", [True, False])
def test_an_answer_leaves_the_server_in_one_segment(served, authorized):
    process, lea = served
    auth = f"authorization: Bearer {lea.token}\r\n" if authorized else ""
    with socket.create_connection(("127.0.0.1", process.port)) as sock:
        for since in (0, 1):  # and again on the kept-alive connection
            before = _data_segments_in(sock)
            path = f"/api/v1/circles/{lea.circle}/ops?since={since}"
            sock.sendall(f"GET {path} HTTP/1.1\r\nhost: circle\r\n{auth}\r\n".encode())
            head = _answer(sock)
            assert head.startswith(b"HTTP/1.1 200" if authorized else b"HTTP/1.1 401")
            assert _data_segments_in(sock) - before == 1
