"""What a pull and a preview send: pages of ops compressed as a whole, long-polls that
beat while they wait, and a busy circle's preview (core/preview.py). The endpoints that
check who asks and what they may see are in app.py."""

import gzip
import time
from collections.abc import AsyncIterator

from ..core import preview
from .circle import Circle, Entry
from .hub import Hub
from .limits import LongPoll, LongPolls

GZIP_FROM = 256  # smaller bodies grow or barely shrink, and pay the extra headers
# A long-poll with heartbeats (``beat``) may wait this long: an idle hour then costs a
# few polls and a heartbeat a minute, not a poll every 25 s (docs/architecture.md,
# "Sync over a slow link").
MAX_STREAMED_WAIT_S = 1800.0
# The heartbeat a client asks for is kept within these: at most 55 s apart, under the
# 60 s that nginx (the README's config), most proxies and many NATs let a connection idle.
MIN_BEAT_S, MAX_BEAT_S = 1.0, 55.0
GZIP_HEADER = gzip.compress(b"", compresslevel=6, mtime=0)[:10]  # as encoded's pages start
EMPTY_DEFLATE_BLOCK = b"\x00\x00\x00\xff\xff"  # a stored block of no bytes, not the last
PREVIEW_BUDGET = 96_000  # bytes of threads in a preview: ~30 KB packed, ~5 s at 56 kbit/s
PREVIEW_FROM = 300  # ops a member is behind from which a preview is worth making
MAX_PREVIEW_BUDGET = 4_000_000


def encoded(body: bytes, gzipped: bool) -> tuple[bytes, bool]:
    if gzipped and len(body) >= GZIP_FROM:
        return gzip.compress(body, compresslevel=6, mtime=0), True
    return body, False


def _served(entry: Entry, member: str, sees_authors: bool) -> bytes:
    """An op as this member may see it: an anonymous suggestion's author hidden."""
    if entry.redacted is None or sees_authors or entry.author == member:
        return entry.raw
    return entry.redacted


def _alone(entries: list[Entry]) -> list[Entry]:
    """The page ``entries`` start: an anonymous suggestion makes a page of its own, so
    that no one receives it together with what its author sent around the same time."""
    for index, entry in enumerate(entries):
        if entry.redacted is not None:
            return entries[: index or 1]
    return entries


def page(
    circle: Circle, member: str, since: int, count: int, end: int, gzipped: bool
) -> tuple[bytes, bool]:
    """The ops after ``since`` (at most ``count``, none past ``end``) as a pull's answer,
    compressed as a whole when asked: ``{ops, next, more}``, and ``head`` (the circle's
    length) when there is more, for a client's progress.

    A hundred members long-polling at the same cursor get the same answer: it is built
    (and compressed) once. Answers that hide an author differ per member: not kept."""
    entries = _alone(circle.log[since : min(end, since + count)])
    upto = since + len(entries)
    key = (since, upto, upto < end, gzipped)
    page = circle.pages.get(key)
    if page is not None:
        return page
    sees_authors = circle.replica.state.role_of(member) == "lead"
    bodies = b",".join(_served(entry, member, sees_authors) for entry in entries)
    if upto < end:
        tail = b',"next":%d,"more":true,"head":%d}' % (upto, end)
    else:
        tail = b',"next":%d,"more":false}' % upto
    page = encoded(b'{"ops":[%s]%s' % (bodies, tail), gzipped)
    if all(entry.redacted is None for entry in entries):
        if len(circle.pages) >= 64:
            circle.pages.clear()
        circle.pages[key] = page
    return page


async def news(
    hub: Hub,
    circle: Circle,
    member: str,
    since: int,
    deadline: float,
    most: float,
    poll: LongPoll,
) -> Circle:
    """Wait until there is something past ``since`` to send (or ``deadline``, or for at
    most ``most`` seconds this time, or ``poll`` is ended: limits.py); the circle then.

    A long-poll sees the ops published at the last wake-up (see circle.Circle.notify),
    so the members it wakes together get the same page."""
    end = min(deadline, time.monotonic() + most)
    while not hub.closing and not poll.ended:
        hold = circle.hold_for(since, member) if since < circle.published else end
        if hold <= 0 or (left := end - time.monotonic()) <= 0:
            break
        await circle.wait(min(left, hold), poll, since, member)
        circle = hub.circles.get(circle.id, circle)
    return circle


async def heartbeats(
    hub: Hub,
    polls: LongPolls,
    address: str,
    circle: Circle,
    member: str,
    since: int,
    count: int,
    deadline: float,
    beat: float,
    gzipped: bool,
) -> AsyncIterator[bytes]:
    """A long-poll that may last many minutes: until news comes, a few bytes every
    ``beat`` seconds keep proxies and NATs from taking the idle connection for dead
    (docs/architecture.md, "Sync over a slow link"). With gzip, the heartbeats are
    empty deflate blocks between the gzip header and the page's own deflate data and
    trailer: the client unpacks the page alone; without, they are spaces before the
    JSON."""
    poll = polls.start(member, address)
    try:
        yield GZIP_HEADER if gzipped else b" "
        while True:
            circle = await news(hub, circle, member, since, deadline, beat, poll)
            over = hub.closing or poll.ended or time.monotonic() >= deadline
            if since < circle.published or over:
                break
            yield EMPTY_DEFLATE_BLOCK if gzipped else b" "
    finally:
        polls.stop(poll)
    body, packed = page(circle, member, since, count, circle.published, gzipped)
    if gzipped and not packed:  # too small to pack, but the answer is gzip already
        body, packed = gzip.compress(body, compresslevel=6, mtime=0), True
    yield body[len(GZIP_HEADER) :] if packed else body


def preview_page(circle: Circle, member: str, since: int, budget: int) -> bytes:
    """What a member far behind (at ``since``) folds first (core/preview.py): every op
    about the circle, then the newest threads whole, within ``budget`` bytes; and how far
    it reaches. No ops for a member only a page or two behind."""
    entries = circle.log  # every durable op, as a plain pull sees them
    if len(entries) - since < PREVIEW_FROM:
        return b'{"ops":[],"upto":%d}' % len(entries)
    chosen = preview.choose(
        circle.replica.state,
        [(entry.kind, entry.thread, len(entry.raw)) for entry in entries],
        budget,
    )
    sees_authors = circle.replica.state.role_of(member) == "lead"
    bodies = b",".join(_served(entries[index], member, sees_authors) for index in chosen)
    return b'{"ops":[%s],"upto":%d}' % (bodies, len(entries))
