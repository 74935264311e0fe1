"""Hybrid logical clock: wall time that never runs backwards, plus a counter.

An HLC stamp is 16 hex digits: 12 for milliseconds, 4 for the counter, so comparing the
strings compares the stamps. A file circle folds ops in (hlc, id) order; a clock that
observes every op it receives stamps new ops after everything already seen, so a reply
always sorts after the post it answers even when the writers' clocks disagree.

Clocks are not trusted blindly. A stamp more than ``FUTURE_SLACK_MS`` (a day) ahead of the
reader's own clock comes from a wrong clock or a hostile writer: the replica holds that op
back (``core/replica.py``) and the server refuses it, so it is never observed and cannot
drag everyone's later stamps into the future.

The clock is bounded: it never issues a stamp outside the 16 digits, whatever the wall
clock says or what it observes. At the very end of the range (the year 10889) it keeps
issuing the last stamp, ``ffffffffffffffff``: ops made there tie on their stamp and are
ordered by id, so every replica still folds them the same way.
"""

from dataclasses import dataclass

HLC_PATTERN = r"^[0-9a-f]{16}\Z"  # \Z: see ids.ULID_PATTERN
MAX_MS = 0xFFFF_FFFF_FFFF  # 48 bits of milliseconds
_MAX_COUNTER = 0xFFFF
FUTURE_SLACK_MS = 86_400_000  # how far ahead of the reader's clock a stamp may be


def encode(ms: int, counter: int) -> str:
    return f"{ms:012x}{counter:04x}"


def decode(stamp: str) -> tuple[int, int]:
    return int(stamp[:12], 16), int(stamp[12:], 16)


def physical_ms(stamp: str) -> int:
    return int(stamp[:12], 16)


def horizon(now_ms: int) -> str:
    """The last stamp not too far ahead of the wall time ``now_ms``: a stamp after it is
    more than a day ahead (a string comparison, cheap enough for every op of a circle)."""
    return encode(min(max(now_ms + FUTURE_SLACK_MS, 0), MAX_MS), _MAX_COUNTER)


def too_far_ahead(stamp: str, now_ms: int) -> bool:
    """Whether ``stamp`` is more than a day ahead of the wall time ``now_ms``."""
    return stamp > horizon(now_ms)


def describe_ahead(stamp: str, now_ms: int) -> str:
    """How far ahead of ``now_ms`` the stamp is, in words ("3 days", "8,059 years")."""
    days = (physical_ms(stamp) - now_ms) // 86_400_000
    if days >= 730:
        return f"{days // 365:,} years"
    return f"{days:,} days" if days != 1 else "1 day"


@dataclass
class Clock:
    """The last stamp issued or observed; ``tick`` and ``observe`` take the wall time."""

    ms: int = 0
    counter: int = 0

    def tick(self, wall_ms: int) -> str:
        wall_ms = min(max(wall_ms, 0), MAX_MS)
        if wall_ms > self.ms:
            self.ms, self.counter = wall_ms, 0
        elif self.counter < _MAX_COUNTER:
            self.counter += 1
        elif self.ms < MAX_MS:
            self.ms, self.counter = self.ms + 1, 0
        # else: the end of the range, where the last stamp is issued again (see above)
        return encode(self.ms, self.counter)

    def observe(self, stamp: str) -> None:
        """Move past a stamp seen on an incoming op (one that fits the schema)."""
        ms, counter = decode(stamp)
        in_range = ms <= MAX_MS and counter <= _MAX_COUNTER
        if in_range and (ms, counter) > (self.ms, self.counter):
            self.ms, self.counter = ms, counter
