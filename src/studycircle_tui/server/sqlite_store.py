"""The default store: one SQLite file in the server's data folder (see storage).

WAL with synchronous=FULL: a commit returns only once it is on disk, so an op the
server has acknowledged survives a crash or power cut.

Two connections: writes on the event loop's own thread, reads that may be long (a
circle's whole history, an invite) on a worker thread. Handing the commit to a worker
thread keeps the loop free during the flush, but a busy loop holds the GIL, and every
hand-over then waits its turn: on the 2-core machine of bench/server_load.py that made
a sub-millisecond commit take 5-15 ms and the write p99 miss its target.

An admin command (``studycircle server …``) writing while the server runs holds the
file's write lock for one short transaction. The server never blocks its event loop
waiting for it: a write that finds the lock taken tries again a moment later
(``BUSY_RETRY_S``), while pulls and long-polls go on.
"""

import asyncio
import contextlib
import os
import sqlite3
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from . import schema
from .storage import (
    DB_NAME,
    LOCK_CIRCLE,
    Snapshot,
    Statement,
    StorageError,
    Store,
    Transaction,
    grouped,
)

BUSY_RETRY_S = 0.002  # how soon a write tries again for the lock another process holds
BUSY_GIVE_UP_S = 10.0  # then the request is answered 503


class SqliteTransaction(Transaction):
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    async def lock(self, circle: str) -> int:
        # BEGIN IMMEDIATE already holds the whole file's write lock: this moves the version.
        row = self.db.execute(LOCK_CIRCLE, (circle,)).fetchone()
        if row is None:
            raise StorageError(f"no circle {circle} in the database")
        return row[0]

    async def load(self, circle: str, after: int) -> Snapshot:
        return _snapshot(self.db, circle, after, kept=True)

    async def changed(self, sql: str, params: Sequence[object]) -> int:
        return self.db.execute(sql, params).rowcount

    async def run(self, statements: Iterable[Statement]) -> None:
        for sql, rows in grouped(statements):
            self.db.executemany(sql, rows)

    async def rows(self, sql: str, params: Sequence[object]) -> list[tuple]:
        return self.db.execute(sql, params).fetchall()


class SqliteStore(Store):
    kind = "sqlite"

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / DB_NAME
        self.where = str(self.path)
        self._data_dir = Path(data_dir)
        self._write: sqlite3.Connection | None = None
        self._read: sqlite3.Connection | None = None
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="studycircle-db")
        self._data_version = -1

    async def open(self) -> None:
        try:
            _private(self._data_dir, self.path)
            self._write = _connect(self.path, busy_ms=0)
            self._read = _connect(self.path, busy_ms=10_000)
            async with self._begun() as db:
                db.execute(schema.CREATE_MIGRATIONS)
                applied = db.execute(schema.APPLIED).fetchone()[0]
                for number, statements in schema.pending(applied, schema.SQLITE):
                    for sql in statements:
                        db.execute(sql)
                    db.execute(schema.RECORD, (number, time.time_ns() // 1_000_000))
        except (sqlite3.Error, OSError) as error:
            raise StorageError(f"cannot open {self.path}: {error}") from error
        # The WAL and its index, made by an older version with the umask's 0644.
        for suffix in ("-wal", "-shm"):
            with contextlib.suppress(OSError):  # not there now, or no modes here
                os.chmod(f"{self.path}{suffix}", 0o600)
        self.changed_elsewhere()

    async def close(self) -> None:
        self._thread.shutdown(wait=True)
        for db in (self._read, self._write):
            if db is not None:
                db.close()

    @contextlib.asynccontextmanager
    async def _begun(self) -> AsyncIterator[sqlite3.Connection]:
        db = self._write
        assert db is not None, "open() first"
        deadline = time.monotonic() + BUSY_GIVE_UP_S
        while True:
            try:
                db.execute("BEGIN IMMEDIATE")
                break
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) and "busy" not in str(error):
                    raise StorageError(str(error)) from error
                if time.monotonic() > deadline:
                    raise StorageError("the database stayed locked by another process") from error
                await asyncio.sleep(BUSY_RETRY_S)
        try:
            yield db
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        try:
            async with self._begun() as db:
                yield SqliteTransaction(db)
        except sqlite3.Error as error:
            raise StorageError(str(error)) from error

    async def rows(self, sql: str, params: Sequence[object] = ()) -> list[tuple]:
        return await self._reading(lambda db: db.execute(sql, params).fetchall())

    async def load(self, circle: str, after: int = 0, kept: bool = True) -> Snapshot:
        return await self._reading(lambda db: _snapshot(db, circle, after, kept))

    async def _reading(self, read):
        def run():
            assert self._read is not None, "open() first"
            return read(self._read)

        try:
            return await asyncio.get_running_loop().run_in_executor(self._thread, run)
        except sqlite3.Error as error:
            raise StorageError(str(error)) from error

    def changed_elsewhere(self) -> bool:
        """``PRAGMA data_version`` moves when another connection commits: here, only an
        admin command does (the server's reads write nothing). Microseconds to ask."""
        assert self._write is not None
        now = self._write.execute("PRAGMA data_version").fetchone()[0]
        changed, self._data_version = now != self._data_version, now
        return changed


def _connect(path: Path, busy_ms: int) -> sqlite3.Connection:
    # isolation_level=None: transactions are explicit. Each connection serves one
    # thread at a time, but not always the one that opened it.
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.execute(f"PRAGMA busy_timeout = {busy_ms}")
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = FULL")
    return db


def _snapshot(db: sqlite3.Connection, circle: str, after: int, kept: bool) -> Snapshot:
    """Read in one read transaction: WAL gives it one snapshot of the file."""
    own = not db.in_transaction
    if own:
        db.execute("BEGIN")
    try:
        found = db.execute("SELECT version FROM circles WHERE id = ?", (circle,)).fetchone()
        ops = db.execute(
            "SELECT body FROM ops WHERE circle = ? AND seq > ? ORDER BY seq", (circle, after)
        ).fetchall()
        # Arrival order: rowid-less tables sort by key, so keep it by op id (a ULID).
        held = (
            db.execute("SELECT body FROM sealed WHERE circle = ? ORDER BY id", (circle,)).fetchall()
            if kept
            else None
        )
    finally:
        if own:
            db.execute("COMMIT")
    return Snapshot(
        found[0] if found else 0,
        [row[0] for row in ops],
        None if held is None else [row[0] for row in held],
    )


def _private(data_dir: Path, db_path: Path) -> None:
    """The folder 0700 and the database file 0600, before SQLite opens it.

    Tokens and invites are stored as hashes, but sealed quiz answers and every circle's
    posts are not, and the folder given with ``--data`` may already exist with the
    umask's 0755. SQLite makes the WAL (``-wal``) and its index (``-shm``) with the mode
    of the database file, so a database made 0600 here keeps them 0600 too.
    """
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    with contextlib.suppress(OSError):  # a file system without modes: nothing to do
        os.chmod(data_dir, 0o700)
    # An empty file is an empty database. Only a new one is opened here: closing any
    # descriptor of a database file drops every lock this process holds on it (POSIX
    # locks are per process), behind the back of a connection already open on it.
    with contextlib.suppress(FileExistsError):
        os.close(os.open(db_path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600))
    with contextlib.suppress(OSError):
        os.chmod(db_path, 0o600)  # one made by an older version
