"""An answer's head and body in one TCP segment, not two.

uvicorn writes a response's status line and headers as soon as the app starts the
answer, and its body with the next message: with Nagle off (asyncio's default) each
write leaves as a segment of its own. On a slow link that second segment costs its
own 52 bytes of IP/TCP headers, and the client's acknowledgement of it as much again:
about a hundred bytes on every small answer (a push's results, a poll's page), a tenth
of a one-line note edit's whole cost (bench/poor_link.py).

``OneWrite`` stands in for the connection's transport: what is written within one turn
of the event loop goes out as one write at the end of that turn. A streamed answer
(a long-poll's heartbeats) still leaves as each part is written, a turn later.
"""

import asyncio
from typing import Any


class OneWrite:
    """The transport, with the writes of one event-loop turn joined into one."""

    def __init__(self, transport: asyncio.Transport) -> None:
        self._transport = transport
        self._pending: list[bytes] = []

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not self._pending:
            asyncio.get_running_loop().call_soon(self.flush)
        self._pending.append(bytes(data))

    def flush(self) -> None:
        if self._pending:
            data = b"".join(self._pending)
            self._pending.clear()
            if not self._transport.is_closing():
                self._transport.write(data)

    def close(self) -> None:
        self.flush()  # a refusal is written, then the connection closed: the answer first
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)
