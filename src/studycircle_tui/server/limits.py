"""Limits per member and per client address, as the API applies them: request rates,
and how many long-polls may wait at once.

Each waiting long-poll holds a connection and a task: one member holding 2,000 of them
on one token used to fill every slot the server has. Over a cap, the *oldest* long-poll
of that member (or address) is answered at once, with what there is (often nothing):
a client that reconnects, its old poll still waiting on a connection it gave up, is
then never shut out by its own leftovers, and one that opens more only cuts its own
short. Connections themselves are limited below the app, in ``guard``.
"""

import asyncio
import time
from dataclasses import dataclass, field

POLLS_PER_MEMBER = 4  # one app syncs a circle with one; a few apps on one token are fine
POLLS_PER_ADDRESS = 512  # half guard.MAX_PER_ADDRESS: room is left for their pushes


@dataclass(slots=True)
class Bucket:
    tokens: float
    stamp: float


class RateLimiter:
    """A token bucket per key: ``rate`` requests a second, bursts up to ``burst``."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst = rate, burst
        self.buckets: dict[str, Bucket] = {}

    def retry_after(self, key: str) -> float:
        """0 when the request may go ahead, else the seconds to wait."""
        now = time.monotonic()
        bucket = self.buckets.get(key)
        if bucket is None:
            if len(self.buckets) > 50_000:  # forget idle keys rather than grow forever
                self.buckets = {k: b for k, b in self.buckets.items() if now - b.stamp < 60}
            bucket = self.buckets[key] = Bucket(self.burst, now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.stamp) * self.rate)
        bucket.stamp = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / self.rate


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
    waiting: dict[str, dict[LongPoll, None]] = field(default_factory=dict)

    def start(self, member: str, address: str) -> LongPoll:
        poll = LongPoll((member, f"@{address}"))
        for key, cap in zip(poll.keys, (self.per_member, self.per_address), strict=True):
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
