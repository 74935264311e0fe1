"""What travels between ssh-serve's front door and a worker, for one player's session.

The front door (the process that speaks SSH) opens one Unix-socket connection to a
worker per session. On it:

- first, the front door sends ``hello``: who the player is and what their terminal is;
- then the front door sends frames: ``k`` the keys the player typed (bytes as the
  terminal sent them), ``w`` a new window size;
- the worker sends back the screen: raw terminal bytes, nothing around them;
- either side closes the connection to end the session.

A frame is one letter, four bytes of length (big-endian), then the payload.
"""

import asyncio
import json
import struct
from dataclasses import asdict, dataclass

KEYS = b"k"
WINDOW = b"w"
HELLO = b"h"
_HEADER = struct.Struct(">cI")
MAX_FRAME = 1 << 20  # a paste of a megabyte is the most a frame carries


@dataclass(frozen=True, slots=True)
class Hello:
    """A new session: the player (as the authorized-keys file names them) and their
    terminal as the SSH client described it."""

    key_id: str
    name: str
    guest: bool
    term: str
    columns: int
    rows: int
    language: str = ""  # what the SSH client's LANG / LC_* asked for ("" if none)


def frame(kind: bytes, payload: bytes) -> bytes:
    return _HEADER.pack(kind, len(payload)) + payload


def hello(who: Hello) -> bytes:
    return frame(HELLO, json.dumps(asdict(who)).encode())


def keys(data: bytes) -> bytes:
    return frame(KEYS, data)


def window(columns: int, rows: int) -> bytes:
    return frame(WINDOW, struct.pack(">HH", max(1, columns), max(1, rows)))


async def read_frame(reader: asyncio.StreamReader) -> tuple[bytes, bytes] | None:
    """The next (kind, payload); None when the other side has closed (or sent nonsense)."""
    try:
        kind, length = _HEADER.unpack(await reader.readexactly(_HEADER.size))
        if length > MAX_FRAME:
            return None
        return kind, await reader.readexactly(length)
    except (asyncio.IncompleteReadError, ConnectionError):
        return None


def read_hello(payload: bytes) -> Hello | None:
    try:
        return Hello(**json.loads(payload))
    except (ValueError, TypeError):
        return None


def read_window(payload: bytes) -> tuple[int, int]:
    columns, rows = struct.unpack(">HH", payload)
    return columns, rows
