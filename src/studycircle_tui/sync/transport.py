"""The one interface every transport implements; the rest of the app cannot tell them apart."""

from dataclasses import dataclass, field
from typing import Protocol

from ..core.ops import Op


@dataclass(slots=True)
class Pulled:
    """Ops the other side has that arrived since ``cursor``; ``problems`` are readable lines
    about input that was skipped (a malformed line in a file, say), never fatal."""

    ops: list[Op]
    cursor: str
    more: bool = False
    problems: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Pushed:
    """The other side's answer for one pushed op: its seq (server), or why it was refused."""

    id: str
    seq: int | None = None
    error: str | None = None
    sealed: bool = False  # taken by the server, its seq to come (a quiz answer)


class TransportError(Exception):
    """The other side cannot be reached or read right now; sync retries later."""


class Transport(Protocol):
    #: shown in the status line: "local file", "server"
    kind: str
    #: "hlc" for a file circle, "seq" for a server circle (see core/replica.py)
    ordering: str

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
