"""Limits per member and per client address, as the API applies them: request rates,
and how many long-polls may wait at once.

Each waiting long-poll holds a connection and a task: one member holding 2,000 of them
on one token used to fill every slot the server has. Over a cap, the *oldest* long-poll
of that member (or address) is answered at once, with what there is (often nothing):
a client that reconnects, its old poll still waiting on a connection it gave up, is
then never shut out by its own leftovers, and one that opens more only cuts its own
short. Connections themselves are limited below the app, in ``guard``.

Several server processes on one database (``serve --workers``, or other machines) each
apply their share of every limit: ``share()`` says how many processes there are (see
peers.Peers.processes), and each allows 1/share of the rate and of each cap, so that a
client spread over all of them still gets no more than the limit in all.
"""

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

POLLS_PER_MEMBER = 4  # one app syncs a circle with one; a few apps on one token are fine
POLLS_PER_ADDRESS = 512  # half guard.MAX_PER_ADDRESS: room is left for their pushes


@dataclass(slots=True)
class Bucket:
    tokens: float
    stamp: float


def _alone() -> int:
    return 1


class RateLimiter:
    """A token bucket per key: ``rate`` requests a second, bursts up to ``burst``
    (this process's share of them)."""

    def __init__(self, rate: float, burst: float, share: Callable[[], int] = _alone) -> None:
        self.rate, self.burst, self.share = rate, burst, share
        self.buckets: dict[str, Bucket] = {}

    def retry_after(self, key: str) -> float:
        """0 when the request may go ahead, else the seconds to wait."""
        now = time.monotonic()
        share = self.share()
        rate, burst = self.rate / share, max(1.0, self.burst / share)
        bucket = self.buckets.get(key)
        if bucket is None:
            if len(self.buckets) > 50_000:  # forget idle keys rather than grow forever
                self.buckets = {k: b for k, b in self.buckets.items() if now - b.stamp < 60}
            bucket = self.buckets[key] = Bucket(burst, now)
        bucket.tokens = min(burst, bucket.tokens + (now - bucket.stamp) * rate)
        bucket.stamp = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / rate


@dataclass(eq=False, slots=True)
class LongPoll:
    """One waiting long-poll; ``end`` answers it now."""

    keys: tuple[str, ...]
    ended: bool = False
    waiter: asyncio.Future | None = None

    def end(self) -> None:
        self.ended = True
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)


@dataclass(slots=True)
class LongPolls:
    """The long-polls waiting, oldest first, per key (a member, a client address)."""

    per_member: int = POLLS_PER_MEMBER
    per_address: int = POLLS_PER_ADDRESS
    share: Callable[[], int] = _alone
    waiting: dict[str, dict[LongPoll, None]] = field(default_factory=dict)

    def start(self, member: str, address: str) -> LongPoll:
        poll = LongPoll((member, f"@{address}"))
        share = self.share()
        caps = (max(1, self.per_member // share), max(1, self.per_address // share))
        for key, cap in zip(poll.keys, caps, strict=True):
            polls = self.waiting.setdefault(key, {})
            polls[poll] = None
            while len(polls) > cap:
                oldest = next(iter(polls))
                del polls[oldest]
                oldest.end()
        return poll

    def stop(self, poll: LongPoll) -> None:
        for key in poll.keys:
            polls = self.waiting.get(key)
            if polls is not None:
                polls.pop(poll, None)
                if not polls:
                    del self.waiting[key]
