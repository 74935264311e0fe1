"""A circle shared as one JSON Lines file: one op per line, append-only.

Writers take an advisory lock (``fcntl.lockf``: POSIX record locks, which also work on
NFS and most SMB mounts, unlike ``flock``) and append whole lines in one write, then
fsync. POSIX locks belong to the process and are dropped when it closes *any* descriptor
of the file, so while the lock is held the file is read through the locked descriptor
only. A line without its newline yet is left for the next read: it may be a write still
in progress. A malformed line is skipped and reported, and never removed: the file keeps
every byte it had. Nothing that would not decode is ever written: each line is read back
from its bytes before it is appended.

The read cursor (``Cursor``) is a byte offset plus the line number it stands at (so a
skipped line is reported by its number), and what it stands on: the file's identity
(device and inode) and a hash of the bytes just before the offset. A synced folder can
replace the file under us (Syncthing and Dropbox write a new file and rename it over the
old one; when two machines changed it at once, one version wins and the other is left as
a conflict copy), and a file can be cut short (a crash on a USB stick, a restore from a
backup). So the cursor is checked before each read: another file, a shorter one, or other
bytes before the offset, and the reader starts again from the first line. A read from the
start is ``complete``: the service compares it with every op it holds and appends again
what the file lost (``sync/engine.py``), so no acknowledged op is lost and every replica
converges. A replaced file costs one read of the whole file.

File-sync tools' copies (Syncthing's ``NAME.sync-conflict-*``, Dropbox's ``NAME (…
conflicted copy …)``) are merged into the main file by op id under its lock, and the copy
is removed once everything in it is safe. Several apps may find the same copy at once:
whoever takes the lock first merges it, the others find it gone.
"""

import asyncio
import contextlib
import fcntl
import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import BinaryIO

from ..core.messages import Message, os_reason
from ..core.ops import Op, OpError, decode_op, encode_op, read_op
from .filewatch import FileWatch
from .transport import Progress, Pulled, Pushed, TransportError, TransportKind

_MARK_BEFORE = 256  # at least this many bytes before the cursor are checked...
_MARK_SPAN = 2048  # ...and of a longer stretch, its first and last this many bytes


class CircleFileError(Exception):
    """The circle file cannot be used at all (missing, unreadable, not a circle)."""


@dataclass(slots=True)
class ReadResult:
    ops: list[Op]
    offset: int
    line: int  # number of the next line to read (1-based)
    problems: list[str] = field(default_factory=list)
    skipped_bytes: int = 0  # malformed bytes passed over (kept in the file)
    last_line_at: int = 0  # where the last complete line read starts


@dataclass(slots=True, frozen=True)
class Cursor:
    """How far a reader got, and what the file looked like there (see the module doc)."""

    offset: int = 0
    line: int = 1
    device: int = 0
    inode: int = 0
    mark_from: int = 0  # the checked bytes are [mark_from, offset)
    mark: str = ""

    @classmethod
    def parse(cls, text: str | None) -> "Cursor":
        """Read a stored cursor; one from an older version (or damaged) starts over."""
        try:
            offset, line, device, inode, mark_from, mark = (text or "").split(":")
            return cls(int(offset), int(line), int(device), int(inode), int(mark_from), mark)
        except ValueError:
            return cls()

    def __str__(self) -> str:
        return f"{self.offset}:{self.line}:{self.device}:{self.inode}:{self.mark_from}:{self.mark}"


def _decode_lines(chunk: bytes, offset: int, line: int, name: str) -> ReadResult:
    """Decode the complete lines of ``chunk``, which starts at byte ``offset`` (line ``line``)."""
    result = ReadResult([], offset, line, last_line_at=offset)
    end = chunk.rfind(b"\n") + 1  # complete lines only; a partial tail waits
    position = 0
    for raw in chunk[:end].split(b"\n")[:-1]:
        stripped = raw.strip()
        if stripped:
            try:
                op, repair = read_op(stripped)
                result.ops.append(op)
                if repair:
                    result.problems.append(f"{name} line {result.line}: {repair}")
            except OpError as error:
                result.problems.append(f"{name} line {result.line}: skipped, {error}")
                result.skipped_bytes += len(raw) + 1
        result.last_line_at = offset + position
        position += len(raw) + 1
        result.line += 1
    result.offset = offset + position
    tail = chunk[end:]
    if tail.strip():
        result.problems.append(
            f"{name} line {result.line}: incomplete last line ({len(tail)} bytes) left as it is"
        )
    return result


def read_lines(path: Path, offset: int = 0, line: int = 1) -> ReadResult:
    """Decode the complete lines of ``path`` from byte ``offset`` (line number ``line``)."""
    with _opened(path) as handle:
        handle.seek(offset)
        return _decode_lines(handle.read(), offset, line, path.name)


@contextlib.contextmanager
def _opened(path: Path) -> Iterator[BinaryIO]:
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        raise CircleFileError(Message("{path}: no such circle file", path=str(path))) from None
    except OSError as error:
        raise CircleFileError(
            Message(
                "{path}: cannot read the circle file ({error})",
                path=str(path),
                error=os_reason(error),
            )
        ) from None
    with handle:
        yield handle


def _mark(fd: int, start: int, end: int) -> str:
    """A hash of the bytes [start, end): all of them, or the first and last stretch."""
    if end - start <= 2 * _MARK_SPAN:
        data = os.pread(fd, end - start, start)
    else:
        data = os.pread(fd, _MARK_SPAN, start) + os.pread(fd, _MARK_SPAN, end - _MARK_SPAN)
    return hashlib.blake2b(data, digest_size=8).hexdigest()


def _stands(fd: int, cursor: Cursor) -> bool:
    """Whether reading on from ``cursor`` in this open file continues what was read."""
    if cursor.offset == 0:
        return True
    status = os.fstat(fd)
    return (
        cursor.mark != ""
        and (status.st_dev, status.st_ino) == (cursor.device, cursor.inode)
        and status.st_size >= cursor.offset
        and _mark(fd, cursor.mark_from, cursor.offset) == cursor.mark
    )


def read_since(path: Path, cursor: Cursor) -> tuple[ReadResult, Cursor, bool]:
    """The lines after ``cursor``, the cursor after them, and whether the read was complete
    (from the first line: the file was new to us, replaced, cut short or rewritten)."""
    with _opened(path) as handle:
        fd = handle.fileno()
        if not _stands(fd, cursor):
            cursor = Cursor()
        handle.seek(cursor.offset)
        result = _decode_lines(handle.read(), cursor.offset, cursor.line, path.name)
        status = os.fstat(fd)
        after = replace(cursor, device=status.st_dev, inode=status.st_ino)
        if result.offset > cursor.offset:
            mark_from = max(0, min(result.last_line_at, result.offset - _MARK_BEFORE))
            mark = _mark(fd, mark_from, result.offset)
            after = replace(
                after, offset=result.offset, line=result.line, mark_from=mark_from, mark=mark
            )
    return result, after, cursor.offset == 0


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[int]:
    """The circle file opened for appending, under its exclusive lock."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_APPEND)
    except FileNotFoundError:
        raise CircleFileError(
            f"{path}: no such circle file (is its drive or share connected?)"
        ) from None
    except OSError as error:
        raise CircleFileError(
            Message(
                "{path}: cannot write the circle file ({error})",
                path=str(path),
                error=os_reason(error),
            )
        ) from None
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX)
        try:
            yield fd
        finally:
            fcntl.lockf(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _lines(ops: list[Op]) -> tuple[bytes, dict[str, str]]:
    """The ops as lines, and why each op left out would not decode (by id)."""
    lines: list[bytes] = []
    refused: dict[str, str] = {}
    for op in ops:
        line = encode_op(op)
        try:
            decode_op(line)
        except OpError as error:
            refused[op.id] = f"op {op.id} would not be readable ({error}); not written"
            continue
        lines.append(line + b"\n")
    return b"".join(lines), refused


def _append(fd: int, payload: bytes) -> None:
    """Append under the lock, after a newline if a writer died mid-line (so the torn line
    stays a line of its own and ours stay intact)."""
    if not payload:
        return
    size = os.fstat(fd).st_size
    if size and os.pread(fd, 1, size - 1) != b"\n":
        payload = b"\n" + payload
    _write_all(fd, payload)
    os.fsync(fd)


def append_ops(path: Path, ops: list[Op]) -> dict[str, str]:
    """Append ops as whole lines under the lock (readers drop any id seen twice).

    Returns the ops left out because they would not decode, with why (by id).
    """
    payload, refused = _lines(ops)
    if payload:
        with _locked(path) as fd:
            _append(fd, payload)
    return refused


def _write_all(fd: int, payload: bytes) -> None:
    view = memoryview(payload)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def create_circle_file(path: Path, ops: list[Op], mode: int = 0o644) -> None:
    """Write a new circle file; refuse to overwrite one that exists."""
    payload, refused = _lines(ops)
    if refused:
        raise CircleFileError(f"{path}: {next(iter(refused.values()))}")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:
        raise CircleFileError(
            Message("{path}: a file is already there; not overwriting it", path=str(path))
        ) from None
    except OSError as error:
        raise CircleFileError(
            Message(
                "{path}: cannot create the circle file ({error})",
                path=str(path),
                error=os_reason(error),
            )
        ) from None
    try:
        _write_all(fd, payload)
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

    Done under the main file's lock, so two apps finding the same copy merge it once. A
    copy with a line that cannot be read is kept (and reported), so nothing is lost.
    """
    notices: list[str] = []
    if not conflict_copies(path):
        return notices
    with _locked(path) as fd:
        size = os.fstat(fd).st_size
        known = {op.id for op in _decode_lines(os.pread(fd, size, 0), 0, 1, path.name).ops}
        for copy in conflict_copies(path):  # again: another app may have merged some
            try:
                copied = read_lines(copy)
            except CircleFileError:
                if not copy.exists():
                    continue  # removed since the listing: nothing left to merge
                raise
            missing = [op for op in copied.ops if op.id not in known]
            payload, refused = _lines(missing)
            _append(fd, payload)
            known.update(op.id for op in missing)
            problems = copied.problems + list(refused.values())
            merged = _changes(len(missing) - len(refused))
            if problems:
                notices.append(
                    f"{copy.name}: merged {merged} but kept the copy, "
                    f"it has lines that cannot be read: {'; '.join(problems)}"
                )
                continue
            copy.unlink(missing_ok=True)
            notices.append(f"merged {merged} from {copy.name} and removed it")
    return notices


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        status = path.stat()
    except OSError:
        return None  # the append says why
    return status.st_dev, status.st_ino


def _changes(count: int) -> str:
    return "1 change" if count == 1 else f"{count} changes"


class FileTransport:
    """The Transport for a circle file; its cursor is a ``Cursor`` as text.

    Given the circle's id, a file that now holds another circle (the wrong file copied
    over it) stops sync with a clear error instead of having this circle appended to it;
    what this member writes meanwhile waits, and goes out once the right file is back.
    """

    kind = TransportKind.FILE
    ordering = "hlc"
    echoes = True

    def __init__(
        self, path: Path, circle_id: str | None = None, *, notifications: bool | None = None
    ) -> None:
        self.path = path
        self.circle_id = circle_id
        self._seen_copies: set[Path] = set()
        self._foreign: tuple[int, int] | None = None  # (device, inode) of another circle
        self.watch = FileWatch(path, notifications=notifications)

    async def pull(self, cursor: str | None, wait: float = 0.0, limit: int = 0) -> Pulled:
        try:
            notices, (result, after, complete) = await asyncio.to_thread(
                self._merge_and_read, Cursor.parse(cursor)
            )
        except CircleFileError as error:
            raise TransportError(str(error)) from None
        if complete and self._another_circle(result.ops):
            self._foreign = (after.device, after.inode)
            raise self._refusal()
        # Read without finding another circle: the right file is back, by a rename or
        # written into the same inode (``cp``, some sync tools), so pushes go out again.
        self._foreign = None
        return Pulled(result.ops, str(after), problems=notices + result.problems, complete=complete)

    async def push(self, ops: list[Op], progress: Progress | None = None) -> list[Pushed]:
        # A local append: done before any progress would show.
        try:
            paused = self._foreign and _identity(self.path) == self._foreign
            if paused and await asyncio.to_thread(self._still_foreign):
                raise self._refusal()
            refused = await asyncio.to_thread(append_ops, self.path, ops)
        except CircleFileError as error:
            raise TransportError(str(error)) from None
        return [Pushed(op.id, error=refused.get(op.id)) for op in ops]

    async def changed(self) -> None:
        await self.watch.changed()

    async def close(self) -> None:
        await self.watch.close()

    def _another_circle(self, ops: list[Op]) -> bool:
        return bool(self.circle_id and ops) and all(op.circle != self.circle_id for op in ops)

    def _still_foreign(self) -> bool:
        """Whether the file found holding another circle still does: the right bytes may
        have been written back into the same inode (``cp``, some sync tools). Read whole,
        but only while sync is paused on a foreign file."""
        if self._another_circle(read_lines(self.path).ops):
            return True
        self._foreign = None
        return False

    def _refusal(self) -> TransportError:
        return TransportError(
            f"{self.path}: holds another circle now; nothing is written to it until "
            "this circle's file (or a copy of it) is put back"
        )

    def _merge_and_read(self, cursor: Cursor) -> tuple[list[str], tuple[ReadResult, Cursor, bool]]:
        """Merge new conflict copies, then read past ``cursor``: one trip to a thread, as
        each trip back waits for a turn of the event loop, and in an ssh-serve worker
        drawing thirty apps a turn is long (a reveal reached the players a turn later)."""
        notices = self._merge_copies_if_any()
        return notices, read_since(self.path, cursor)

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
