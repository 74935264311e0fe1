"""Hybrid logical clock: wall time that never runs backwards, plus a counter.

An HLC stamp is 16 hex digits: 12 for milliseconds, 4 for the counter, so comparing the
strings compares the stamps. A file circle folds ops in (hlc, id) order; a clock that
observes every op it receives stamps new ops after everything already seen, so a reply
always sorts after the post it answers even when the writers' clocks disagree.
"""

from dataclasses import dataclass

HLC_PATTERN = r"^[0-9a-f]{16}\Z"  # \Z: see ids.ULID_PATTERN
_MAX_COUNTER = 0xFFFF


def encode(ms: int, counter: int) -> str:
    return f"{ms:012x}{counter:04x}"


def decode(stamp: str) -> tuple[int, int]:
    return int(stamp[:12], 16), int(stamp[12:], 16)


def physical_ms(stamp: str) -> int:
    return int(stamp[:12], 16)


@dataclass
class Clock:
    """The last stamp issued or observed; ``tick`` and ``observe`` take the wall time."""

    ms: int = 0
    counter: int = 0

    def tick(self, wall_ms: int) -> str:
        if wall_ms > self.ms:
            self.ms, self.counter = wall_ms, 0
        else:
            self._bump()
        return encode(self.ms, self.counter)

    def observe(self, stamp: str) -> None:
        """Move past a stamp seen on an incoming op."""
        ms, counter = decode(stamp)
        if (ms, counter) > (self.ms, self.counter):
            self.ms, self.counter = ms, counter

    def _bump(self) -> None:
        if self.counter == _MAX_COUNTER:
            self.ms, self.counter = self.ms + 1, 0
        else:
            self.counter += 1
