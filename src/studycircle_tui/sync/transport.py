"""The one interface every transport implements; the rest of the app cannot tell them apart."""

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

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

    async def pull(self, cursor: str | None, wait: float = 0.0) -> Pulled:
        """Ops since ``cursor`` (None: from the start). ``wait`` > 0 may block until
        something arrives or the time passes (a long-poll)."""
        ...

    async def push(self, ops: list[Op]) -> list[Pushed]:
        """Deliver ops; pushing the same op twice is harmless and gets the same answer."""
        ...

    async def changed(self) -> None:
        """Return when the other side may have something new: the sync loop waits on
        this between pulls of a circle file. (A server's long-poll is its own wait.)"""
        ...

    async def close(self) -> None: ...
