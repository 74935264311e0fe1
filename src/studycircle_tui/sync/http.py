"""The server transport: the HTTP API of docs/architecture.md ("Sync protocol") over httpx.

Ordering is the server's seq; the cursor is the last seq read, as text. A pull with
``wait`` is a long-poll the server answers as soon as something arrives; it asks for
heartbeats (``beat``), so one poll may wait ten minutes with a few bytes a minute
keeping the connection alive through proxies and NATs (docs/architecture.md, "Sync
over a slow link"). Bodies travel gzip-compressed both ways, a pulled page as a whole,
when that makes them smaller, and the client sends only the headers the server needs:
a new post reaching another member costs a few hundred bytes beyond the op itself,
however long the circle's history.
"""

import asyncio
import errno
import gzip
import socket
import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import msgspec

from .. import __version__
from ..core.messages import N_, Message, os_reason
from ..core.ops import AnyOp, Op, OpError, encode_op, read_op
from ..store.db import CircleRecord
from .server_errors import op_refusal, sentence
from .transport import Preview, Progress, Pulled, Pushed, TransportError, TransportKind

MAX_BATCH_OPS = 500
MAX_BATCH_BYTES = 1024 * 1024  # well under the server's 4 MiB body limit
# A push is sent gzip-compressed when that is smaller, header included: even one small
# op shrinks (its text and field names do; its ids and signature barely), and a one-line
# note edit must stay under a kilobyte on the wire (bench/poor_link.py).
GZIP_FROM = 128
GZIP_HEADER = len(b"content-encoding: gzip\r\n")
HEARTBEAT_S = 45.0  # asked of the server during a long-poll: under 60 s (see the README)
# A body this big goes out in pieces, each reported (the status line's "sending …").
PROGRESS_FROM, PIECE_BYTES = 16_384, 4_096
# Idle connections are kept this long (the server keeps them longer): a post after a
# minute of reading goes out without a new connection's round trip first.
KEEPALIVE_S = 55.0
# The kernel takes at most this much of an upload ahead of the wire (it would take a
# whole note), so what was handed over is about what was sent: progress that moves
# with the link. Uploads are small here; downloads are not held back by it.
SEND_BUFFER = 16_384


class ServerError(TransportError):
    """The server answered, but with a refusal (``status``, ``code``): a removed member,
    a bad token, a rate limit (``retry_after`` seconds). Sync retries it like any other
    TransportError; the message is the server's own sentence."""

    def __init__(
        self, message: str, status: int, code: str, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.retry_after = status, code, retry_after


class _Pull(msgspec.Struct):
    ops: list[AnyOp]
    next: int
    more: bool = False
    head: int = 0  # the circle's length, when there is more


class _PullRaw(msgspec.Struct):
    """The same page, each op left undecoded: read this way only when one of them does
    not fit the schema, to keep the others."""

    ops: list[msgspec.Raw]
    next: int
    more: bool = False
    head: int = 0


class _Preview(msgspec.Struct):
    ops: list[msgspec.Raw]
    upto: int


class _Result(msgspec.Struct):
    id: str | None = None
    seq: int | None = None
    sealed: bool = False
    error: str | None = None
    code: str | None = None  # a refusal's, stable (docs/architecture.md)


class _Push(msgspec.Struct):
    results: list[_Result]


class _Error(msgspec.Struct):
    code: str = "error"
    message: str = ""


class _ErrorBody(msgspec.Struct):
    error: _Error


_pull_decoder = msgspec.json.Decoder(_Pull)
_preview_decoder = msgspec.json.Decoder(_Preview)


def tokens_dir(data_dir: Path | None = None) -> Path:
    if data_dir is None:
        from .. import config

        data_dir = config.data_dir()
    return data_dir / "tokens"


def token_path(circle_id: str, data_dir: Path | None = None) -> Path:
    return tokens_dir(data_dir) / f"{circle_id}.token"


def read_token(circle_id: str, data_dir: Path | None = None) -> str:
    path = token_path(circle_id, data_dir)
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError as error:
        raise TransportError(
            Message(
                "no member token for this circle ({path}: {reason}); join it again",
                path=str(path),
                reason=os_reason(error),
            )
        ) from None


def _causes(error: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    while error is not None and error not in chain:
        chain.append(error)
        error = error.__cause__ or error.__context__  # type: ignore[assignment]
    return chain


def unreachable(error: httpx.HTTPError, url: str) -> str:
    """Why the server at ``url`` cannot be reached, in plain words: its name is not
    found, nothing answers there, it is too slow, the secure connection failed. (httpx
    says "All connection attempts failed" for most of them; the cause says which.)"""
    parts = urlsplit(url)
    host = parts.hostname or url
    where = parts.netloc or url
    causes = _causes(error)

    def caused_by(kind: type[BaseException]) -> BaseException | None:
        return next((cause for cause in causes if isinstance(cause, kind)), None)

    if caused_by(socket.gaierror):
        return Message(
            "no server named {host} was found (is the address right, and this computer online?)",
            host=host,
        )
    if caused_by(ConnectionRefusedError):
        return Message(
            "the server at {where} is not running (it refused the connection)", where=where
        )
    if isinstance(error, httpx.ConnectTimeout):
        return Message(
            "the server at {where} did not answer in time (it may be down, or the network slow)",
            where=where,
        )
    if isinstance(error, httpx.TimeoutException):
        return Message("the server at {where} stopped answering (timed out)", where=where)
    untrusted = caused_by(ssl.SSLCertVerificationError)
    if untrusted is not None:
        why = getattr(untrusted, "verify_message", "") or "unknown"
        return Message(
            "the server at {host} has a certificate this computer does not trust ({why})",
            host=host,
            why=why,
        )
    tls = caused_by(ssl.SSLError)
    if tls is not None:
        if "WRONG_VERSION_NUMBER" in str(tls):
            return Message(
                "the secure connection (TLS) to {where} failed (does it speak https?)", where=where
            )
        return Message("the secure connection (TLS) to {where} failed", where=where)
    stuck = caused_by(OSError)
    if stuck is not None and getattr(stuck, "errno", None) in (
        errno.ENETUNREACH,
        errno.EHOSTUNREACH,
    ):
        return Message("no network route to {host} (is this computer online?)", host=host)
    if isinstance(error, httpx.RemoteProtocolError):
        return Message("the server at {where} closed the connection without answering", where=where)
    return Message(
        "cannot reach {where}: {error}", where=where, error=str(error) or type(error).__name__
    )


def _refusal(response: httpx.Response) -> ServerError:
    try:
        error = msgspec.json.decode(response.content, type=_ErrorBody).error
        message, code = sentence(error.code, response.status_code, error.message), error.code
    except msgspec.MsgspecError:
        message, code = sentence("error", response.status_code, ""), "error"
    retry_after = None
    header = response.headers.get("retry-after", "")
    if header.isdigit():
        retry_after = float(header)
    return ServerError(message, response.status_code, code, retry_after)


class HttpTransport:
    kind = TransportKind.SERVER
    ordering = "seq"
    echoes = False

    def __init__(
        self,
        url: str,
        circle_id: str,
        token: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.circle_id = circle_id
        self._token = token
        self._transport = transport  # an ASGI app in tests; the network otherwise
        self._client: httpx.AsyncClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._path = f"/api/v1/circles/{circle_id}/ops"

    @classmethod
    def for_record(cls, record: CircleRecord, data_dir: Path | None = None) -> "HttpTransport":
        """The transport for a server circle in the store (a ``store.db.CircleRecord``)."""
        return cls(record.location, record.id, read_token(record.id, data_dir))

    def _http(self) -> httpx.AsyncClient:
        # A client belongs to the event loop it was made in; the app may sync once in
        # one loop (asyncio.run at start-up) and then run in another.
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            transport = self._transport or httpx.AsyncHTTPTransport(
                limits=httpx.Limits(keepalive_expiry=KEEPALIVE_S),
                socket_options=[(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER)],
            )
            client = httpx.AsyncClient(
                base_url=self.url,
                transport=transport,
                timeout=httpx.Timeout(15.0),
                headers={
                    "accept-encoding": "gzip",
                    "user-agent": f"studycircle/{__version__}",
                    "authorization": f"Bearer {self._token}",
                },
            )
            # Every byte of every long-poll counts on a slow link: HTTP/1.1 keeps the
            # connection alive anyway, and the server always answers JSON.
            for name in ("accept", "connection"):
                del client.headers[name]
            self._client, self._loop = client, loop
        return self._client

    async def _send(self, request: httpx.Request) -> httpx.Response:
        try:
            return await self._http().send(request)
        except httpx.HTTPError as error:
            raise TransportError(unreachable(error, self.url)) from None

    async def pull(self, cursor: str | None, wait: float = 0.0, limit: int = 0) -> Pulled:
        since = cursor or "0"
        if not since.isdigit():
            raise TransportError(f"not a server cursor: {since!r}")
        params = {"since": since}
        if limit:
            params["limit"] = str(limit)
        read = 15.0
        if wait > 0:
            params["wait"], params["beat"] = f"{wait:g}", f"{HEARTBEAT_S:g}"
            read = HEARTBEAT_S + 30.0  # silence this long: the link is gone
        client = self._http()
        request = client.build_request(
            "GET", self._path, params=params, timeout=httpx.Timeout(15.0, read=read)
        )
        content = await self._receive(request)
        try:
            # One pass over the whole page; a page of 200 quiz answers decodes in about
            # two thirds of the time it takes one op at a time.
            page = _pull_decoder.decode(content)
            return Pulled(page.ops, str(page.next), page.more, head=page.head)
        except msgspec.MsgspecError:
            pass
        try:
            body = msgspec.json.decode(content, type=_PullRaw)
        except msgspec.MsgspecError as error:
            raise TransportError(
                Message("the server sent something unreadable: {error}", error=str(error))
            ) from None
        ops, problems = _readable(body.ops)
        return Pulled(ops, str(body.next), body.more, problems, head=body.head)

    async def preview(self, cursor: str | None, progress: Progress | None = None) -> Preview:
        """What a member at ``cursor`` folds first when far behind (core/preview.py: none
        when not), ``progress`` told how much of it has come (bytes on the wire, of how
        many)."""
        since = cursor or "0"
        path = self._path.replace("/ops", "/preview")
        request = self._http().build_request("GET", path, params={"since": since})
        content = await self._receive(request, progress)
        try:
            body = _preview_decoder.decode(content)
        except msgspec.MsgspecError as error:
            raise TransportError(
                Message("the server sent something unreadable: {error}", error=str(error))
            ) from None
        ops, problems = _readable(body.ops)
        return Preview(ops, str(body.upto), problems)

    async def _receive(self, request: httpx.Request, progress: Progress | None = None) -> bytes:
        """The body of a 200 answer, read as it comes (a long-poll's heartbeats, a big
        page's progress); raises ServerError for any other answer."""
        try:
            response = await self._http().send(request, stream=True)
            try:
                if response.status_code != 200:
                    await response.aread()
                    raise _refusal(response)
                total = int(response.headers.get("content-length", 0) or 0)
                if progress is not None and total:
                    progress(0, total)  # the head says how much: the bar shows its length
                chunks = []
                async for chunk in response.aiter_bytes():
                    chunks.append(chunk)
                    if progress is not None and total:
                        progress(response.num_bytes_downloaded, total)
                return b"".join(chunks)
            finally:
                await response.aclose()
        except httpx.HTTPError as error:
            raise TransportError(unreachable(error, self.url)) from None

    async def push(self, ops: list[Op], progress: Progress | None = None) -> list[Pushed]:
        results: list[Pushed] = []
        batch: list[tuple[Op, bytes]] = []
        size = 0
        for op in ops:
            raw = encode_op(msgspec.structs.replace(op, seq=None, at=None))
            if batch and (len(batch) >= MAX_BATCH_OPS or size + len(raw) > MAX_BATCH_BYTES):
                results.extend(await self._push_batch(batch, progress))
                batch, size = [], 0
            batch.append((op, raw))
            size += len(raw) + 1
        if batch:
            results.extend(await self._push_batch(batch, progress))
        return results

    async def _push_batch(
        self, batch: list[tuple[Op, bytes]], progress: Progress | None = None
    ) -> list[Pushed]:
        body = b'{"ops":[' + b",".join(raw for _, raw in batch) + b"]}"
        headers = {"content-type": "application/json"}
        if len(body) >= GZIP_FROM:
            packed = gzip.compress(body, compresslevel=6, mtime=0)
            if len(packed) + GZIP_HEADER < len(body):
                body = packed
                headers["content-encoding"] = "gzip"
        content: bytes | AsyncIterator[bytes] = body
        if progress is not None and len(body) >= PROGRESS_FROM:
            headers["content-length"] = str(len(body))
            content = _pieces(body, progress)
        request = self._http().build_request("POST", self._path, content=content, headers=headers)
        response = await self._send(request)
        if response.status_code == 413 and len(batch) == 1:
            # One op too big for the server: it will never be taken, so say why.
            return [Pushed(batch[0][0].id, error=_refusal(response).args[0])]
        if response.status_code == 413:
            half = len(batch) // 2
            first = await self._push_batch(batch[:half], progress)
            return [*first, *await self._push_batch(batch[half:], progress)]
        if response.status_code != 200:
            raise _refusal(response)
        try:
            answers = msgspec.json.decode(response.content, type=_Push).results
        except msgspec.MsgspecError as error:
            raise TransportError(
                Message("the server sent something unreadable: {error}", error=str(error))
            ) from None
        if len(answers) != len(batch):
            raise TransportError(N_("the server answered a different number of ops than sent"))
        # Results come in the order sent; the op's own id is the one to report.
        return [
            Pushed(op.id, error=op_refusal(answer.code, answer.error))
            if answer.error is not None
            else Pushed(op.id, seq=answer.seq, sealed=answer.sealed)
            for (op, _), answer in zip(batch, answers, strict=True)
        ]

    async def changed(self) -> None:
        # The long-poll is how a server says it has news; this wait never ends by itself.
        await asyncio.Event().wait()

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None and self._loop is asyncio.get_running_loop():
            await client.aclose()


async def _pieces(body: bytes, progress: Progress) -> AsyncIterator[bytes]:
    """``body`` in pieces, each reported once it is handed to the connection."""
    for start in range(0, len(body), PIECE_BYTES):
        yield body[start : start + PIECE_BYTES]
        progress(min(start + PIECE_BYTES, len(body)), len(body))


def _readable(raws: list[msgspec.Raw]) -> tuple[list[Op], list[str]]:
    """The ops of a page read one by one: those this app can read, and a line about
    each one skipped (a newer schema, say) rather than stop syncing."""
    ops: list[Op] = []
    problems: list[str] = []
    for raw in raws:
        try:
            op, repair = read_op(raw)
            ops.append(op)
            if repair:
                problems.append(f"an op from the server was {repair}")
        except OpError as error:
            problems.append(f"skipped an op from the server this app cannot read: {error}")
    return ops, problems
