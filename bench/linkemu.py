"""A slow, lossy link between a client and a server, for benchmarks: an asyncio TCP proxy
(netem is not available here) that delays and paces what crosses it as a 56 kbit/s
modem or a poor village link would, and counts every byte a real link would carry.

The model, each direction on its own:

- bandwidth: ``RATE`` bytes a second, headers included: what is written is cut into
  segments of at most ``MSS`` bytes, each costing ``HEADER`` more (IPv4 20, TCP 20, the
  timestamps option 12), sent one after the other;
- latency: each segment arrives ``LATENCY`` seconds after it has been sent;
- loss: about one segment in ``HOLD_EVERY`` is held ``HOLD_S`` more (its retransmission
  after a loss), and, TCP delivering in order, those behind it wait too;
- a connection costs its handshake: data can go ``2 × LATENCY`` after it opens (the
  SYN and SYN-ACK's round trip), counted as 3 segments, and its close as 4 (FIN, ACK
  each way);
- every data segment is acknowledged by a bare ACK (``HEADER`` bytes) the other way:
  counted, not paced (a real receiver acknowledges every other one; this counts more);
- the bottleneck's queue holds about ``QUEUE_BYTES``: beyond, the proxy stops reading,
  so the sender's own socket fills and it is held back as on a real slow link.

Everything crossing is logged (time, direction, connection, payload bytes) for the
benchmark to attribute: heartbeats, polls, pushes.
"""

import asyncio
import contextlib
import random
import socket
import time
from dataclasses import dataclass, field

RATE = 56_000 / 8  # bytes a second
LATENCY = 0.150  # seconds, each way
HOLD_EVERY = 50
HOLD_S = 1.0
MSS = 1448
HEADER = 52
QUEUE_BYTES = 4_096
HANDSHAKE_BYTES = 60 + 60 + 52  # SYN and SYN-ACK carry options
CLOSE_BYTES = 4 * HEADER


@dataclass(slots=True)
class Crossing:
    at: float
    up: bool  # client → server
    connection: int
    payload: int
    wire: int  # with headers
    kind: str  # the method of the request it is part of, or answers ("GET", "POST")
    starts: bool  # the first segment of a request


@dataclass
class Connection:
    number: int
    opened: float
    kind: str = ""  # the method of the request the connection carries now
    up: int = 0  # wire bytes, client → server (with its ACKs of what came down)
    down: int = 0


class _Direction:
    """One way of one connection: paced, delayed, sometimes held, in order."""

    def __init__(self, link: "Link", connection: Connection, up: bool, start: float) -> None:
        self.link, self.connection, self.up = link, connection, up
        self.free_at = start  # when the link is free to send the next segment
        self.last = start  # when the last segment was delivered
        self.queue: asyncio.Queue[tuple[float, bytes] | None] = asyncio.Queue()

    async def carry(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        delivering = asyncio.create_task(self._deliver(writer))
        try:
            while data := await reader.read(65536):
                starts = False
                if self.up and data[:5] in (b"GET /", b"POST "):
                    self.connection.kind, starts = data.split(b" ", 1)[0].decode(), True
                for start in range(0, len(data), MSS):
                    self._send(data[start : start + MSS], starts and not start)
                # A full bottleneck queue: read no more until it drains.
                while (self.free_at - time.monotonic()) * RATE > QUEUE_BYTES:
                    await asyncio.sleep(min(0.05, self.free_at - time.monotonic()))
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            await self.queue.put(None)
            with contextlib.suppress(Exception):
                await delivering

    def _send(self, segment: bytes, starts: bool) -> None:
        now = time.monotonic()
        wire = len(segment) + HEADER
        self.free_at = max(now, self.free_at) + wire / RATE
        arrives = self.free_at + LATENCY
        if self.link.rng.randrange(HOLD_EVERY) == 0:
            arrives += HOLD_S
        self.last = max(self.last, arrives)
        self.queue.put_nowait((self.last, segment))
        self.link.count(self.connection, self.up, len(segment), wire, starts)
        self.link.count(self.connection, not self.up, 0, HEADER)  # its ACK

    async def _deliver(self, writer: asyncio.StreamWriter) -> None:
        try:
            while (item := await self.queue.get()) is not None:
                due, segment = item
                if (wait := due - time.monotonic()) > 0:
                    await asyncio.sleep(wait)
                writer.write(segment)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()


@dataclass
class Link:
    """The emulated link in front of ``target_port``; ``url`` once started."""

    target_port: int
    seed: int = 0
    rng: random.Random = field(init=False)
    crossings: list[Crossing] = field(default_factory=list)
    connections: list[Connection] = field(default_factory=list)
    up: int = 0
    down: int = 0
    server: asyncio.Server | None = None

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    @property
    def total(self) -> int:
        return self.up + self.down

    async def start(self) -> str:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()

    def count(
        self, connection: Connection, up: bool, payload: int, wire: int, starts: bool = False
    ) -> None:
        if up:
            self.up += wire
            connection.up += wire
        else:
            self.down += wire
            connection.down += wire
        if payload:
            crossing = Crossing(
                time.monotonic(), up, connection.number, payload, wire, connection.kind, starts
            )
            self.crossings.append(crossing)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        opened = time.monotonic()
        connection = Connection(len(self.connections), opened)
        self.connections.append(connection)
        # The handshake: SYN, SYN-ACK, ACK; no data before its round trip.
        self.count(connection, True, 0, 60 + 52)
        self.count(connection, False, 0, 60)
        _small_buffers(writer)
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.close()
            return
        _small_buffers(up_writer)
        ready = opened + 2 * LATENCY
        up = _Direction(self, connection, True, ready)
        down = _Direction(self, connection, False, ready)
        try:
            await asyncio.gather(up.carry(reader, up_writer), down.carry(up_reader, writer))
        except asyncio.CancelledError:
            # The link closing under an open connection. Python 3.11's stream server asks a
            # cancelled handler for its exception, and printed "Exception in callback".
            writer.close()
            up_writer.close()
            return
        self.count(connection, True, 0, CLOSE_BYTES // 2)
        self.count(connection, False, 0, CLOSE_BYTES // 2)


def _small_buffers(writer: asyncio.StreamWriter) -> None:
    """The proxy's own sockets hold little, so its pacing reaches the sender (a big
    loopback receive buffer would take a whole upload at once)."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, QUEUE_BYTES)
