"""The HTTP API (docs/architecture.md, "Sync protocol"): join, pull ops by seq, push ops.

Every answer is JSON; every refusal is ``{"error": {"code", "message"}}`` with its
status. Each endpoint runs inside ``_guarded``, which turns any exception into such an
answer, so no request, however malformed, can take the server down or leak a traceback.
"""

import logging
import math
import time
import zlib
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import msgspec
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from ..core.ops import TOO_DEEP, Name, Op, OpError, PublicKey, UnsupportedVersion, decode_op
from .circle import MAX_WAIT_S, Circle
from .errors import ApiError
from .hub import Hub
from .limits import POLLS_PER_ADDRESS, POLLS_PER_MEMBER, LongPolls, RateLimiter
from .pages import (
    MAX_BEAT_S,
    MAX_PREVIEW_BUDGET,
    MAX_STREAMED_WAIT_S,
    MIN_BEAT_S,
    PREVIEW_BUDGET,
    encoded,
    heartbeats,
    news,
    page,
    preview_page,
)
from .storage import Batch, hash_secret, normalize_code

log = logging.getLogger("studycircle.server")

T = TypeVar("T")

MAX_BODY = 4 * 1024 * 1024  # a whole note (up to a million characters) fits one push
MAX_OPS_PER_PUSH = 1000
MAX_LIMIT = 1000


class JoinBody(msgspec.Struct):
    invite: Annotated[str, msgspec.Meta(max_length=200)]
    display_name: Name
    key: PublicKey | None = None  # the joiner's public key (an app from before signing: none)


class PushBody(msgspec.Struct):
    ops: list[msgspec.Raw]


_join_decoder = msgspec.json.Decoder(JoinBody)
_push_decoder = msgspec.json.Decoder(PushBody)
_id_probe = msgspec.json.Decoder(dict[str, object])


def _decoded(decoder: msgspec.json.Decoder[T], body: bytes, expected: str) -> T:
    """``body`` decoded, or a 400 that says what was expected. msgspec gives up on
    deeply nested JSON with a RecursionError rather than a decode error: that too."""
    try:
        return decoder.decode(body)
    except msgspec.MsgspecError as error:
        raise ApiError(400, "bad_request", f"expected {expected}: {error}") from None
    except RecursionError:
        raise ApiError(400, "bad_request", f"expected {expected}: {TOO_DEEP}") from None


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    body = msgspec.json.encode({"error": {"code": code, "message": message}})
    return Response(body, status, headers=headers, media_type="application/json")


def _page_response(page: tuple[bytes, bool]) -> Response:
    body, gzipped = page
    headers = {"content-encoding": "gzip", "vary": "accept-encoding"} if gzipped else None
    return Response(body, 200, headers=headers, media_type="application/json")


def _json(request: Request, body: bytes) -> Response:
    return _page_response(encoded(body, "gzip" in request.headers.get("accept-encoding", "")))


def _guarded(endpoint: Callable[[Request], Awaitable[Response]]) -> Callable:
    async def guarded(request: Request) -> Response:
        try:
            return await endpoint(request)
        except ApiError as error:
            return _error(error.status, error.code, error.message, error.headers)
        except ClientDisconnect:  # gone before its body arrived: no one to answer
            return _error(400, "disconnected", "the client hung up before sending its body")
        except Exception:  # a bug: log it, answer in JSON, keep serving
            log.exception("unexpected error on %s %s", request.method, request.url.path)
            return _error(500, "internal", "the server hit an unexpected error")

    return guarded


async def _read_body(request: Request, limit: int) -> bytes:
    """The request body, gunzipped if sent so, refused past ``limit`` bytes either way."""
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > limit):
        if not length.isdigit():
            raise ApiError(400, "bad_request", "Content-Length is not a number")
        raise ApiError(413, "too_large", f"the body is larger than {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, "too_large", f"the body is larger than {limit} bytes")
        chunks.append(chunk)
    body = b"".join(chunks)
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding == "gzip":
        inflater = zlib.decompressobj(wbits=31)
        try:
            body = inflater.decompress(body, limit + 1)
        except zlib.error:
            raise ApiError(400, "bad_request", "the body is not valid gzip") from None
        if len(body) > limit or inflater.unconsumed_tail:
            raise ApiError(413, "too_large", f"the body unpacks to more than {limit} bytes")
        if not inflater.eof:
            raise ApiError(400, "bad_request", "the gzip body is cut short")
    elif encoding not in ("identity", ""):
        raise ApiError(415, "unsupported_encoding", "send the body as is or gzip-compressed")
    return body


def _int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    text = request.query_params.get(name)
    if text is None or text == "":
        return default
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        raise ApiError(400, "bad_request", f"{name} must be a whole number")
    value = int(text)
    if not low <= value <= high:
        raise ApiError(400, "bad_request", f"{name} must be between {low} and {high}")
    return value


def _seconds_param(request: Request, name: str) -> float:
    text = request.query_params.get(name)
    if text is None or text == "":
        return 0.0
    try:
        value = float(text)
    except ValueError:
        raise ApiError(400, "bad_request", f"{name} must be a number of seconds") from None
    if not math.isfinite(value) or value < 0:
        raise ApiError(400, "bad_request", f"{name} must be a number of seconds, 0 or more")
    return value


def _wait_param(request: Request, most: float) -> float:
    return min(_seconds_param(request, "wait"), most)


def _beat_param(request: Request) -> float:
    """Seconds between heartbeats the client asks for (0: none, the answer as a whole)."""
    beat = _seconds_param(request, "beat")
    return min(max(beat, MIN_BEAT_S), MAX_BEAT_S) if beat else 0.0


def _id_of(raw: bytes) -> str | None:
    """The id a malformed op claims, so its error can still be matched to it."""
    try:
        found = _id_probe.decode(raw).get("id")
    except (msgspec.MsgspecError, RecursionError):
        return None
    return found if isinstance(found, str) and len(found) <= 64 else None


def create_app(
    hub: Hub,
    *,
    max_body: int = MAX_BODY,
    rate: float = 100.0,
    burst: float = 200.0,
    join_rate: float = 0.2,
    join_burst: float = 12.0,
    polls_per_member: int = POLLS_PER_MEMBER,
    polls_per_address: int = POLLS_PER_ADDRESS,
) -> Starlette:
    """The API over ``hub``. ``rate``/``burst``: requests a second per token; joins are
    limited per client address (``join_*``), as they come before any token; long-polls
    waiting at once per member and per address (``polls_*``: see ``limits``)."""

    # With several server processes on one database, each applies its share of every
    # limit (hub.peers.processes: how many), so that together they never allow more.
    def share() -> int:
        return hub.peers.processes

    per_token = RateLimiter(rate, burst, share)
    per_address = RateLimiter(join_rate, join_burst, share)
    polls = LongPolls(polls_per_member, polls_per_address, share)

    def limit(limiter: RateLimiter, key: str) -> None:
        wait = limiter.retry_after(key)
        if wait:
            seconds = str(max(1, math.ceil(wait)))
            raise ApiError(
                429,
                "rate_limited",
                f"too many requests; try again in {seconds} s",
                {"retry-after": seconds},
            )

    async def member_of(request: Request) -> tuple[Circle, str]:
        """The circle in the path and the member the bearer token belongs to."""
        auth = request.headers.get("authorization", "")
        scheme, _, token = auth.partition(" ")
        token_hash = hash_secret(token.strip()) if scheme.lower() == "bearer" else None
        client = request.client.host if request.client else "?"
        known = hub.known_token(token_hash) if token_hash else None
        if known is None:  # counted against the address, before the database is asked
            limit(per_token, f"@{client}")
            known = await hub.token(token_hash) if token_hash else None
        if known is not None:
            limit(per_token, known[1])
        circle = await hub.circle(request.path_params["circle"])
        if known is None:
            message = "no token given" if not auth else "this token is not valid"
            raise ApiError(401, "unauthorized", message, {"www-authenticate": "Bearer"})
        if circle is None:
            raise ApiError(404, "not_found", "no such circle on this server")
        if known[0] != circle.id:
            raise ApiError(403, "forbidden", "your token is for another circle")
        if circle.replica.state.role_of(known[1]) is None:
            await hub.fresh(circle)  # they may have joined through another server process
            if circle.replica.state.role_of(known[1]) is None and token_hash is not None:
                # A lead may have given the token's device to a member who lost their key
                # (another process moved the token): ask the database again.
                hub.tokens.pop(token_hash, None)
                known = await hub.token(token_hash) or known
            if circle.replica.state.role_of(known[1]) is None:
                raise ApiError(403, "removed", "you are no longer a member of this circle")
        return circle, known[1]

    async def join(request: Request) -> Response:
        client = request.client.host if request.client else "?"
        limit(per_address, client)
        body = await _read_body(request, 16 * 1024)
        wanted = _decoded(_join_decoder, body, "{invite, display_name}")
        invite = await hub.invite(hash_secret(normalize_code(wanted.invite)))
        if invite is None:
            raise ApiError(404, "no_such_invite", "no such invite code on this server")
        circle = await hub.circle(invite.circle)
        if circle is None:
            raise ApiError(404, "not_found", "the invite's circle no longer exists")
        name = wanted.display_name.strip()
        if not name:
            raise ApiError(400, "bad_request", "display_name cannot be blank")
        result = await hub.submit(
            circle.id, lambda batch: hub.admission.join(circle, invite, name, batch, wanted.key)
        )
        return _json(request, msgspec.json.encode(result))

    async def pull(request: Request) -> Response:
        circle, member = await member_of(request)
        since = _int_param(request, "since", 0, 0, 2**62)
        count = _int_param(request, "limit", 500, 1, MAX_LIMIT)
        beat = _beat_param(request)
        wait = _wait_param(request, MAX_STREAMED_WAIT_S if beat else MAX_WAIT_S)
        if since > len(circle.log):  # another server process may have logged them
            await hub.fresh(circle)
        if since > len(circle.log):
            raise ApiError(
                409,
                "cursor_ahead",
                f"this server has {len(circle.log)} ops, fewer than your cursor {since}"
                " (was it restored from an older backup?)",
            )
        gzipped = "gzip" in request.headers.get("accept-encoding", "")
        if not wait:
            return _page_response(page(circle, member, since, count, len(circle.log), gzipped))
        deadline = time.monotonic() + wait
        address = request.client.host if request.client else "?"
        if not beat:
            poll = polls.start(member, address)
            try:
                circle = await news(hub, circle, member, since, deadline, wait, poll)
            finally:
                polls.stop(poll)
            return _page_response(page(circle, member, since, count, circle.published, gzipped))
        return StreamingResponse(
            heartbeats(hub, polls, address, circle, member, since, count, deadline, beat, gzipped),
            headers={
                **({"content-encoding": "gzip", "vary": "accept-encoding"} if gzipped else {}),
                "x-accel-buffering": "no",  # nginx: pass each heartbeat on as it comes
            },
            media_type="application/json",
        )

    async def preview_ops(request: Request) -> Response:
        """What a member far behind (at ``since``) folds first: see pages.preview_page."""
        circle, member = await member_of(request)
        since = _int_param(request, "since", 0, 0, 2**62)
        budget = _int_param(request, "budget", PREVIEW_BUDGET, 1_000, MAX_PREVIEW_BUDGET)
        return _json(request, preview_page(circle, member, since, budget))

    async def push(request: Request) -> Response:
        circle, member = await member_of(request)
        body = await _read_body(request, max_body)
        raws = _decoded(_push_decoder, body, "{ops: [...]}").ops
        if len(raws) > MAX_OPS_PER_PUSH:
            raise ApiError(413, "too_many_ops", f"send at most {MAX_OPS_PER_PUSH} ops at a time")
        items: list[Op | tuple[str | None, str, str]] = []
        for raw in raws:
            try:
                items.append(decode_op(raw))
            except UnsupportedVersion as error:  # a newer app's: it can tell its member why
                items.append((_id_of(raw), str(error), "unsupported_version"))
            except OpError as error:
                items.append((_id_of(raw), str(error), "invalid_op"))

        def work(batch: Batch) -> list[dict[str, object]]:
            return [hub.admission.push(circle, member, item, batch) for item in items]

        results = await hub.submit(circle.id, work)
        return _json(request, msgspec.json.encode({"results": results}))

    async def http_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, HTTPException)
        codes = {404: "not_found", 405: "method_not_allowed"}
        message = "no such endpoint" if error.status_code == 404 else str(error.detail)
        return _error(error.status_code, codes.get(error.status_code, "bad_request"), message)

    routes = [
        Route("/api/v1/join", _guarded(join), methods=["POST"]),
        Route("/api/v1/circles/{circle}/ops", _guarded(pull), methods=["GET"]),
        Route("/api/v1/circles/{circle}/preview", _guarded(preview_ops), methods=["GET"]),
        Route("/api/v1/circles/{circle}/ops", _guarded(push), methods=["POST"]),
    ]
    return Starlette(routes=routes, exception_handlers={HTTPException: http_error})
