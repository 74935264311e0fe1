"""Limits on connections, kept where uvicorn reads them: below the app, which is called
only once a request's head has arrived, too late to refuse what comes before.

- **A head in time.** Each request head must arrive whole within ``HEAD_TIMEOUT_S`` of
  the connection's start (or of the answer before it, on a kept-alive connection), and
  be at most ``MAX_HEAD_BYTES``. uvicorn waits for a head for ever (its keep-alive
  timeout covers only a connection that has sent nothing since its last answer), so
  2,100 half-sent heads used to hold all its connection slots until it refused everyone.
- **Room for everyone.** One client address holds at most ``MAX_PER_ADDRESS``
  connections, and the server ``MAX_CONNECTIONS``. Over either, the oldest idle one
  (no request under way: a head still coming, or kept alive between requests) is closed
  to make room; only when all are busy is the new one refused, with a 503. A client
  that reconnects is thus never shut out by connections doing nothing. A reverse proxy
  named in ``--forwarded-allow-ips`` is not limited per address: all its clients share
  it (the app limits long-polls per client address behind it, see ``limits``).

Refusals are answered as the API answers, in JSON (408, 431, 503), then the connection
is closed.
"""

import asyncio
import ipaddress
from collections.abc import Sequence

import msgspec
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from .onewrite import OneWrite

# Generous for a head on a slow link (a few hundred bytes); nginx allows 60 s, Apache 20.
HEAD_TIMEOUT_S = 10.0
MAX_HEAD_BYTES = 64 * 1024  # a studycircle request head is well under 1 kB
# A school's lab behind one NAT, a few hundred members each with a long-poll and a
# push under way, fits; one address alone cannot fill MAX_CONNECTIONS.
MAX_PER_ADDRESS = 1024
MAX_CONNECTIONS = 8192  # lowered to what the process may open (see serve)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class Connections:
    """Every open connection, oldest first, in all and per client address."""

    def __init__(
        self,
        proxies: Sequence[Network] = (),
        per_address: int = MAX_PER_ADDRESS,
        total: int = MAX_CONNECTIONS,
    ) -> None:
        self.proxies = list(proxies)
        self.per_address, self.total = per_address, total
        self.every: dict[GuardedProtocol, None] = {}
        self.by_address: dict[str, dict[GuardedProtocol, None]] = {}

    def is_proxy(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.proxies)

    def admit(self, connection: "GuardedProtocol") -> bool:
        """Count a new connection in, closing idle ones to make room; False when it
        must be refused instead."""
        self.every[connection] = None
        mine = self.by_address.setdefault(connection.address, {})
        mine[connection] = None
        crowded = len(mine) > self.per_address and not self.is_proxy(connection.address)
        if crowded and not _close_oldest_idle(mine, connection):
            return False
        return len(self.every) <= self.total or _close_oldest_idle(self.every, connection)

    def forget(self, connection: "GuardedProtocol") -> None:
        self.every.pop(connection, None)
        mine = self.by_address.get(connection.address)
        if mine is not None:
            mine.pop(connection, None)
            if not mine:
                del self.by_address[connection.address]


def _close_oldest_idle(connections: dict["GuardedProtocol", None], new: "GuardedProtocol") -> bool:
    for connection in connections:
        if connection is not new and connection.idle:
            connection.drop()
            return True
    return False


def answer(status: int, code: str, message: str, retry_after: int | None = None) -> bytes:
    """A complete HTTP answer with a JSON error body, closing the connection."""
    body = msgspec.json.encode({"error": {"code": code, "message": message}})
    reasons = {408: "Request Timeout", 431: "Request Header Fields Too Large"}
    head = [
        f"HTTP/1.1 {status} {reasons.get(status, 'Service Unavailable')}",
        "content-type: application/json",
        f"content-length: {len(body)}",
        "connection: close",
    ]
    if retry_after is not None:
        head.append(f"retry-after: {retry_after}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def guarded_protocol(connections: Connections) -> type[HttpToolsProtocol]:
    """uvicorn's httptools protocol with the limits above, counted in ``connections``."""

    class Guarded(GuardedProtocol):
        registry = connections

    return Guarded


class GuardedProtocol(HttpToolsProtocol):
    registry: Connections

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.transport = OneWrite(transport)  # type: ignore[assignment]  # see onewrite.py
        self.address = self.client[0] if self.client else "?"
        self._head_timer: asyncio.TimerHandle | None = None
        self._await_head()
        if not self.registry.admit(self):
            message = "too many connections at once; try again in a moment"
            self._refuse(answer(503, "busy", message, retry_after=5))

    def connection_lost(self, exc: Exception | None) -> None:
        self.registry.forget(self)
        self._stop_head_timer()
        super().connection_lost(exc)

    @property
    def idle(self) -> bool:
        """No request under way: its head is still coming, or it is kept alive."""
        return self.cycle is None or self.cycle.response_complete

    def drop(self) -> None:
        """Close to make room for another (nothing is lost: no request is under way)."""
        self._stop_head_timer()
        self.transport.close()

    def _refuse(self, response: bytes) -> None:
        self._stop_head_timer()
        if not self.transport.is_closing():
            self.transport.write(response)
            self.transport.close()

    # --- the head ---------------------------------------------------------------------

    def _await_head(self) -> None:
        self._head_bytes = 0
        self._stop_head_timer()
        self._head_timer = self.loop.call_later(HEAD_TIMEOUT_S, self._head_too_slow)

    def _stop_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_too_slow(self) -> None:
        self._head_timer = None
        if self._head_bytes == 0:  # nothing asked: nothing to answer
            self.transport.close()
        else:
            message = f"the request's head did not arrive within {HEAD_TIMEOUT_S:g} s"
            self._refuse(answer(408, "timeout", message))

    def data_received(self, data: bytes) -> None:
        waiting = self._head_timer is not None
        if waiting:
            self._head_bytes += len(data)
        super().data_received(data)
        if waiting and self._head_timer is not None and self._head_bytes > MAX_HEAD_BYTES:
            message = f"the request's head is larger than {MAX_HEAD_BYTES} bytes"
            self._refuse(answer(431, "too_large", message))

    def on_headers_complete(self) -> None:
        self._stop_head_timer()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self.idle:  # not a pipelined request next
            self._await_head()
