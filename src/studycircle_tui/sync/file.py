"""A circle shared as one JSON Lines file: one op per line, append-only.

Writers take an advisory lock (``fcntl.lockf``: POSIX record locks, which also work on
NFS and most SMB mounts, unlike ``flock``) and append whole lines in one write, then
fsync. The read cursor is a byte offset plus the line number it stands at, so a skipped
line is reported by its number. A line without its newline yet is left for the next
read: it may be a write still in progress. A malformed line is skipped and reported,
and never removed: the file keeps every byte it had.

File-sync tools leave copies when two machines change the file at once (Syncthing's
``NAME.sync-conflict-*``, Dropbox's ``NAME (… conflicted copy …)``). Their ops are merged
into the main file by op id, and the copy is removed once everything in it is safe.
"""

import asyncio
import fcntl
import os
from dataclasses import dataclass, field
from pathlib import Path

from ..core.ops import Op, OpError, decode_op, encode_op
from .transport import Progress, Pulled, Pushed, TransportError


class CircleFileError(Exception):
    """The circle file cannot be used at all (missing, unreadable, not a circle)."""


@dataclass(slots=True)
class ReadResult:
    ops: list[Op]
    offset: int
    line: int  # number of the next line to read (1-based)
    problems: list[str] = field(default_factory=list)
    skipped_bytes: int = 0  # malformed bytes passed over (kept in the file)


def parse_cursor(cursor: str | None) -> tuple[int, int]:
    if not cursor:
        return 0, 1
    offset, _, line = cursor.partition(":")
    return int(offset), int(line or 1)


def read_lines(path: Path, offset: int = 0, line: int = 1) -> ReadResult:
    """Decode the complete lines of ``path`` from byte ``offset`` (line number ``line``)."""
    try:
        with path.open("rb") as handle:
            handle.seek(offset)
            chunk = handle.read()
    except FileNotFoundError:
        raise CircleFileError(f"{path}: no such circle file") from None
    except OSError as error:
        raise CircleFileError(f"{path}: cannot read the circle file ({error.strerror})") from None
    result = ReadResult([], offset, line)
    end = chunk.rfind(b"\n") + 1  # complete lines only; a partial tail waits
    position = 0
    for raw in chunk[:end].split(b"\n")[:-1]:
        stripped = raw.strip()
        if stripped:
            try:
                result.ops.append(decode_op(stripped))
            except OpError as error:
                result.problems.append(f"{path.name} line {result.line}: skipped, {error}")
                result.skipped_bytes += len(raw) + 1
        position += len(raw) + 1
        result.line += 1
    result.offset = offset + position
    tail = chunk[end:]
    if tail.strip():
        result.problems.append(
            f"{path.name} line {result.line}: incomplete last line ({len(tail)} bytes) "
            "left as it is"
        )
    return result


class _Locked:
    """An exclusive POSIX lock on an open file descriptor, released on exit."""

    def __init__(self, fd: int) -> None:
        self._fd = fd

    def __enter__(self) -> None:
        fcntl.lockf(self._fd, fcntl.LOCK_EX)

    def __exit__(self, *exc: object) -> None:
        fcntl.lockf(self._fd, fcntl.LOCK_UN)


def append_ops(path: Path, ops: list[Op]) -> None:
    """Append ops as whole lines under the lock (readers drop any id seen twice).

    If the file does not end in a newline (a writer died mid-line), a newline is written
    first so the torn line stays a line of its own and ours stay intact.
    """
    if not ops:
        return
    payload = b"".join(encode_op(op) + b"\n" for op in ops)
    try:
        fd = os.open(path, os.O_RDWR | os.O_APPEND)
    except FileNotFoundError:
        raise CircleFileError(
            f"{path}: no such circle file (is its drive or share connected?)"
        ) from None
    except OSError as error:
        raise CircleFileError(f"{path}: cannot write the circle file ({error.strerror})") from None
    try:
        with _Locked(fd):
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":
                payload = b"\n" + payload
            _write_all(fd, payload)
            os.fsync(fd)
    finally:
        os.close(fd)


def _write_all(fd: int, payload: bytes) -> None:
    view = memoryview(payload)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def create_circle_file(path: Path, ops: list[Op]) -> None:
    """Write a new circle file; refuse to overwrite one that exists."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        raise CircleFileError(f"{path}: a file is already there; not overwriting it") from None
    except OSError as error:
        raise CircleFileError(f"{path}: cannot create the circle file ({error.strerror})") from None
    try:
        _write_all(fd, b"".join(encode_op(op) + b"\n" for op in ops))
        os.fsync(fd)
    finally:
        os.close(fd)


def conflict_copies(path: Path) -> list[Path]:
    """Copies a file-sync tool left beside ``path``."""
    stem, suffix = path.stem, path.suffix
    found = set(path.parent.glob(f"{stem}.sync-conflict-*{suffix}"))
    found |= set(path.parent.glob(f"{stem} (*conflicted copy*){suffix}"))
    found.discard(path)
    return sorted(found)


def merge_conflict_copies(path: Path) -> list[str]:
    """Append the ops only a conflict copy holds, then remove the copy; return notices.

    A copy with a line that cannot be read is kept (and reported), so nothing is lost.
    """
    notices: list[str] = []
    copies = conflict_copies(path)
    if not copies:
        return notices
    known = {op.id for op in read_lines(path).ops}
    for copy in copies:
        copied = read_lines(copy)
        missing = [op for op in copied.ops if op.id not in known]
        append_ops(path, missing)
        known.update(op.id for op in missing)
        if copied.problems:
            notices.append(
                f"{copy.name}: merged {len(missing)} ops but kept the copy, "
                f"it has lines that cannot be read: {'; '.join(copied.problems)}"
            )
            continue
        copy.unlink()
        notices.append(f"merged {len(missing)} ops from {copy.name} and removed it")
    return notices


class FileTransport:
    """The Transport for a circle file; its cursor is ``"offset:line"``."""

    kind = "local file"
    ordering = "hlc"

    def __init__(self, path: Path) -> None:
        self.path = path
        self._seen_copies: set[Path] = set()

    async def pull(self, cursor: str | None, wait: float = 0.0, limit: int = 0) -> Pulled:
        notices = await asyncio.to_thread(self._merge_copies_if_any)
        offset, line = parse_cursor(cursor)
        try:
            result = await asyncio.to_thread(read_lines, self.path, offset, line)
        except CircleFileError as error:
            raise TransportError(str(error)) from None
        return Pulled(
            result.ops, f"{result.offset}:{result.line}", problems=notices + result.problems
        )

    async def push(self, ops: list[Op], progress: Progress | None = None) -> list[Pushed]:
        # A local append: done before any progress would show.
        try:
            await asyncio.to_thread(append_ops, self.path, ops)
        except CircleFileError as error:
            raise TransportError(str(error)) from None
        return [Pushed(op.id) for op in ops]

    async def close(self) -> None:
        return None

    def _merge_copies_if_any(self) -> list[str]:
        # A cheap directory glob each poll; the full read only when a new copy shows up.
        copies = set(conflict_copies(self.path))
        if not copies - self._seen_copies:
            return []
        try:
            return merge_conflict_copies(self.path)
        except CircleFileError as error:
            return [str(error)]
        finally:
            # Copies kept because they hold unreadable lines are not merged again each poll.
            self._seen_copies = set(conflict_copies(self.path))
