"""The one interface every transport implements; the rest of the app cannot tell them apart."""

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol, runtime_checkable

from ..core.ops import Op


@dataclass(slots=True)
class Pulled:
    """Ops the other side has that arrived since ``cursor``; ``problems`` are readable lines
    about input that was skipped (a malformed line in a file, say), never fatal.
    ``complete``: these are all the ops the other side holds (a file read from its first
    line), so any op this replica holds beyond them was lost there and is sent again."""

    ops: list[Op]
    cursor: str
    more: bool = False
    problems: list[str] = field(default_factory=list)
    complete: bool = False
    head: int = 0  # how many ops the other side has, when it says (and there is more)


@dataclass(slots=True)
class Preview:
    """A server's preview of a circle (core/preview.py): ops to show first, taken from
    its log up to ``upto`` (a cursor)."""

    ops: list[Op]
    upto: str
    problems: list[str] = field(default_factory=list)


# Told how much of something has gone or come: (done, of total), in bytes.
Progress = Callable[[int, int], None]


@dataclass(slots=True)
class Pushed:
    """The other side's answer for one pushed op: its seq (server), or why it was refused."""

    id: str
    seq: int | None = None
    error: str | None = None
    sealed: bool = False  # taken by the server, its seq to come (a quiz answer)


class TransportKind(StrEnum):
    """How a circle syncs, as the status line names it."""

    FILE = "local file"
    SERVER = "server"


class TransportError(Exception):
    """The other side cannot be reached or read right now; sync retries later."""


class Transport(Protocol):
    #: shown in the status line
    kind: TransportKind
    #: "hlc" for a file circle, "seq" for a server circle (see core/replica.py)
    ordering: str
    #: whether a pushed op comes back in the next pull (a file: it is appended after the
    #: cursor). One that a pull reading to the end does not bring back was lost on the
    #: way (the file was cut short) and is sent again. A server withholds some (sealed
    #: answers), so it says False.
    echoes: bool

    async def pull(self, cursor: str | None, wait: float = 0.0, limit: int = 0) -> Pulled:
        """Ops since ``cursor`` (None: from the start), at most ``limit`` (0: as many as
        the other side likes). ``wait`` > 0 may block until something arrives or the time
        passes (a long-poll)."""
        ...

    async def push(self, ops: list[Op], progress: Progress | None = None) -> list[Pushed]:
        """Deliver ops; pushing the same op twice is harmless and gets the same answer.
        ``progress`` may be told how much of a big push has gone."""
        ...

    async def changed(self) -> None:
        """Return when the other side may have something new: the sync loop waits on
        this between pulls of a circle file. (A server's long-poll is its own wait.)"""
        ...

    async def close(self) -> None: ...


@runtime_checkable
class Previewing(Protocol):
    """A transport that can hand a new member a preview of a busy circle (a server)."""

    async def preview(self, cursor: str | None, progress: Progress | None = None) -> Preview:
        """A preview for a replica at ``cursor``; no ops when it is not far behind."""
        ...
