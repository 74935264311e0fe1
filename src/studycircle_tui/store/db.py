"""The local replica: every circle this user belongs to, in one SQLite file.

Tables: ``circles`` (how to reach each circle and who I am there), ``ops`` (every op
this replica holds, as the JSON it travels as, numbered in the order it was stored or
confirmed: ``stored``, and ``signer``: the fingerprint of the key its signature was found
good under, so it is never checked again: core/signing.py), ``outbox`` (ops still to
deliver), ``unechoed`` (ops appended to a circle file but not yet read back from it),
``cursors`` (how far each remote has been read), ``drafts`` (unsent composer text, per
member: an ssh-serve worker's store holds every player's), ``quiz_keys`` (a live quiz's
answer keys, kept by its lead until each reveal), ``keys`` (signing keys, per circle and
member; the log says which one is theirs now, and a server's public key as the join gave
it: no seed); and, kept by their own modules, ``snapshots`` (``snapshots.py``) and the
text index (``texts.py``), which say how far they have taken the ops by their ``stored``
number.

WAL mode with synchronous=FULL: a write returns only once it is in the log on disk, so
an op the app acknowledged survives ``kill -9`` and a power cut alike. Another process
holding the file's write lock makes a write wait (``busy_timeout``), so the app calls
the store from one thread of its own (``CircleService``), never from its event loop.

Threads: a ``Store`` is used by several at once (the app's store thread and its sync
loop). Each thread reads on a connection of its own, and every write is carried out on
the store's one writer thread, on its connection (see ``Store``): no connection is ever
used by two threads.

Nothing that cannot be read back enters the outbox: an op queued to send is decoded again
from the bytes stored for it first. A row that still does not decode (written by an older
version) is skipped and described, never a reason the circle cannot open.

The file holds signing keys, live-quiz keys and the member's ops: it and its
``-wal``/``-shm`` are made readable by their owner only (0600), in a folder only they can
enter (0700). A store made by an older version gains the columns it lacks when opened.

Several processes of one user share the file: the app, and beside it ``studycircle notes
import``, ``quiz import``, a second app. What one of them stores (its own ops, ops it
pulled, a confirmation), the others must fold too, or they never show it: the first
also moves the shared cursor past it. ``stored`` numbers every such change per circle,
and ``changed_elsewhere`` (SQLite's ``data_version`` on the writer's connection) says
cheaply whether another process, or another ``Store`` on the file, wrote at all;
``stored_since`` then hands over what is new.

One module for the one file: each table's queries beside the others they run in a
transaction with (an op, its outbox row, its number), which is why it is over 400 lines.
"""

import contextlib
import functools
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar

from ..config import private_dir
from ..core.ops import OP_TYPES, Op, OpError, decode_op, decode_ops, encode_op
from ..core.signing import Signatures
from . import snapshots, texts

DRAFTS_COLUMNS = (
    "(circle TEXT NOT NULL, member TEXT NOT NULL, place TEXT NOT NULL, text TEXT NOT NULL, "
    "PRIMARY KEY (circle, member, place))"
)
SCHEMA = f"""
CREATE TABLE IF NOT EXISTS circles (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    transport TEXT NOT NULL,
    location TEXT NOT NULL,
    member_id TEXT NOT NULL,
    opened_ms INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS ops (
    circle TEXT NOT NULL,
    id TEXT NOT NULL,
    hlc TEXT NOT NULL,
    seq INTEGER,
    body BLOB NOT NULL,
    stored INTEGER,
    signer BLOB,
    PRIMARY KEY (circle, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ops_by_hlc ON ops (circle, hlc, id);
CREATE TABLE IF NOT EXISTS outbox (
    circle TEXT NOT NULL,
    id TEXT NOT NULL,
    queued INTEGER NOT NULL,
    PRIMARY KEY (circle, id)
);
CREATE TABLE IF NOT EXISTS unechoed (
    circle TEXT NOT NULL,
    id TEXT NOT NULL,
    PRIMARY KEY (circle, id)
);
CREATE TABLE IF NOT EXISTS cursors (
    circle TEXT NOT NULL,
    remote TEXT NOT NULL,
    cursor TEXT NOT NULL,
    PRIMARY KEY (circle, remote)
);
CREATE TABLE IF NOT EXISTS drafts {DRAFTS_COLUMNS};
CREATE TABLE IF NOT EXISTS quiz_keys (
    circle TEXT NOT NULL,
    key_hash TEXT NOT NULL,
    salts TEXT NOT NULL,
    keys BLOB NOT NULL,
    PRIMARY KEY (circle, key_hash)
);
CREATE TABLE IF NOT EXISTS keys (
    circle TEXT NOT NULL,
    member TEXT NOT NULL,
    public TEXT NOT NULL,
    seed BLOB,
    made_ms INTEGER NOT NULL,
    PRIMARY KEY (circle, member, public)
);
"""
# What a store made by an older version lacks in ``ops``: (column, its definition).
ADDED_COLUMNS = [("stored", "INTEGER"), ("signer", "BLOB")]


LOCAL_ONLY_TYPES = tuple(name for name, kind in OP_TYPES.items() if kind.LOCAL_ONLY)


@dataclass(slots=True)
class CircleRecord:
    """A circle this user belongs to: ``transport`` is "file" or "server"; ``location``
    the circle file's path or the server's URL; ``member_id`` who this user is there."""

    id: str
    name: str
    transport: str
    location: str
    member_id: str
    opened_ms: int = 0


def member_in(path: Path, circle_id: str) -> str | None:
    """Who a store at ``path`` is in a circle, read without changing the file (None: the
    store or the circle is not there)."""
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return None
    try:
        row = db.execute("SELECT member_id FROM circles WHERE id = ?", (circle_id,)).fetchone()
    except sqlite3.Error:
        return None
    finally:
        db.close()
    return row[0] if row and row[0] else None


P = ParamSpec("P")
T = TypeVar("T")


def _written(
    method: "Callable[Concatenate[Store, P], T]",
) -> "Callable[Concatenate[Store, P], T]":
    """A method that writes: carried out on the store's writer thread (see ``Store``)."""

    @functools.wraps(method)
    def on_the_writer(store: "Store", *args: P.args, **kwargs: P.kwargs) -> T:
        if threading.get_ident() == store._writer_ident:
            return method(store, *args, **kwargs)
        if store._closed:  # as a closed connection would say
            raise sqlite3.ProgrammingError("the store is closed")
        return store._writer.submit(method, store, *args, **kwargs).result()

    return on_the_writer


class Store:
    """The replica's file, for every thread of the process that asks.

    Each thread reads on a connection of its own (opened at its first read): SQLite
    keeps one last error per connection, and with one connection shared by the app's
    store thread and its sync loop, one thread's statements overwrote the other's error,
    so a refused write was reported as "not an error" or taken for done, and a player's
    answer was lost (issue 13). In WAL mode a reader never waits for a writer.

    Every write runs on one thread of the store's own, on its connection: writes are
    done one at a time, in the order asked, and ``changed_elsewhere`` can ask that
    connection's ``data_version``, which changes only when another connection commits.
    Had each thread written on its own connection, every write of the store thread would
    look like another program's to the sync loop's, and no connection could tell the
    two apart (``data_version`` says that something changed, not how often or by whom).
    """

    def __init__(self, path: Path, busy_timeout_ms: int = 5000) -> None:
        _private_file(path)
        self.path = path
        self._busy_timeout_ms = int(busy_timeout_ms)
        self._local = threading.local()
        self._opened: list[sqlite3.Connection] = []
        self._opening = threading.Lock()  # guards _opened and _closed
        self._closed = False
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="store-writer")
        self._writer_ident = self._writer.submit(threading.get_ident).result()
        self._set_up()

    @_written
    def _set_up(self) -> None:
        self._migrate_drafts()
        self.db.executescript(SCHEMA)
        self._number_stored_ops()
        self.db.executescript(snapshots.SCHEMA + texts.SCHEMA)
        self._data_version = self._version()

    @property
    def db(self) -> sqlite3.Connection:
        """The calling thread's connection, for the store's own modules (snapshots,
        texts) and for reads; opened on its first use."""
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._local.connection = self._connect()
        return connection

    def _connect(self) -> sqlite3.Connection:
        # check_same_thread=False only so that ``close`` may close it from any thread.
        connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        with self._opening:
            if self._closed:
                connection.close()
                raise sqlite3.ProgrammingError("the store is closed")
            self._opened.append(connection)
        # The busy timeout first: a connection opened while another process holds the
        # file waits for it from its first statement on.
        connection.execute(f"PRAGMA busy_timeout={self._busy_timeout_ms}")
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=FULL")
        return connection

    def close(self) -> None:
        """Finish the writes asked for, then close every connection opened, whichever
        thread opened it (a thread still reading gets ProgrammingError)."""
        self._writer.shutdown(wait=True)
        with self._opening:
            self._closed = True
            opened, self._opened = self._opened, []
        for connection in opened:
            connection.close()

    # --- circles ----------------------------------------------------------------------

    @_written
    def save_circle(self, record: CircleRecord) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO circles VALUES (?, ?, ?, ?, ?, ?)",
            (
                record.id,
                record.name,
                record.transport,
                record.location,
                record.member_id,
                record.opened_ms,
            ),
        )

    def circle(self, circle_id: str) -> CircleRecord | None:
        row = self.db.execute("SELECT * FROM circles WHERE id = ?", (circle_id,)).fetchone()
        return CircleRecord(*row) if row else None

    def circles(self) -> list[CircleRecord]:
        """Every circle, the most recently opened first."""
        rows = self.db.execute("SELECT * FROM circles ORDER BY opened_ms DESC, name")
        return [CircleRecord(*row) for row in rows]

    def circle_at(self, transport: str, location: str) -> CircleRecord | None:
        row = self.db.execute(
            "SELECT * FROM circles WHERE transport = ? AND location = ?", (transport, location)
        ).fetchone()
        return CircleRecord(*row) if row else None

    @_written
    def mark_opened(self, circle_id: str, ms: int) -> None:
        self.db.execute("UPDATE circles SET opened_ms = ? WHERE id = ?", (ms, circle_id))

    # --- ops --------------------------------------------------------------------------

    @_written
    def add_ops(
        self,
        circle_id: str,
        ops: Iterable[Op],
        *,
        outbox: bool = False,
        verdicts: Signatures | None = None,
    ) -> list[Op]:
        """Store ops in one transaction; return those that were new (by id).

        With ``outbox``, the new ones are also queued for delivery. A stored op seen
        again with a seq (the server confirming it) gets that seq recorded. With
        ``verdicts``, each op's good signature is recorded beside it.
        """
        added: list[Op] = []
        with self._transaction():
            number = self.last_stored(circle_id) + 1
            for op in ops:
                body = encode_op(op)
                if outbox:
                    decode_op(body)  # raises OpError: an op that cannot be read is never sent
                signer = verdicts.fingerprint_of(op) if verdicts is not None else None
                cursor = self.db.execute(
                    "INSERT OR IGNORE INTO ops (circle, id, hlc, seq, body, stored, signer) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (circle_id, op.id, op.hlc, op.seq, body, number, signer),
                )
                if cursor.rowcount:
                    added.append(op)
                    number += 1
                    if outbox and not op.LOCAL_ONLY:
                        self.db.execute(
                            "INSERT OR IGNORE INTO outbox VALUES (?, ?, "
                            "(SELECT COUNT(*) FROM outbox))",
                            (circle_id, op.id),
                        )
                elif op.seq is not None:
                    # A confirmation is news too, for a process that folded the op pending.
                    # The server's copy replaces ours: the verdict is on it.
                    number += self.db.execute(
                        "UPDATE ops SET seq = ?, body = ?, stored = ?, signer = ? "
                        "WHERE circle = ? AND id = ? AND seq IS NULL",
                        (op.seq, body, number, signer, circle_id, op.id),
                    ).rowcount
        return added

    @_written
    def save_verdicts(self, circle_id: str, found: list[tuple[str, bytes]]) -> None:
        """Record signatures found good since the ops were stored (``Signatures.fresh``)."""
        if found:
            with self._transaction():
                self.db.executemany(
                    "UPDATE ops SET signer = ? WHERE circle = ? AND id = ?",
                    [(fp, circle_id, op_id) for op_id, fp in found],
                )

    def load_ops(
        self,
        circle_id: str,
        problems: list[str] | None = None,
        verdicts: Signatures | None = None,
    ) -> list[Op]:
        """Every op of a circle, in (hlc, id) order; a replica re-sorts for seq circles.

        A stored op that does not decode is left out and described in ``problems``.
        ``verdicts`` is told each op's signature found good before (``add_ops``).
        """
        rows = self.db.execute(
            "SELECT id, body, signer FROM ops WHERE circle = ? ORDER BY hlc, id", (circle_id,)
        ).fetchall()
        return decode_stored(rows, problems, verdicts)

    def shared_op_ids(self, circle_id: str) -> list[str]:
        """The ids of every stored op that travels to other members (not read marks)."""
        rows = self.db.execute(
            "SELECT id FROM ops WHERE circle = ? AND json_extract(body, '$.type') NOT IN "
            f"({','.join('?' * len(LOCAL_ONLY_TYPES))})",
            (circle_id, *LOCAL_ONLY_TYPES),
        )
        return [row[0] for row in rows]

    def last_stored(self, circle_id: str) -> int:
        """The number of the circle's latest stored op or confirmation (0: none)."""
        row = self.db.execute(
            "SELECT MAX(stored) FROM ops WHERE circle = ?", (circle_id,)
        ).fetchone()
        return row[0] or 0

    @_written
    def changed_elsewhere(self) -> bool:
        """Whether another process (or another ``Store`` on the file) has written to it
        since the last time this was asked. This store's own writes do not count, from
        whichever thread: they are all made on this, the writer's, connection, whose
        ``data_version`` changes only when another connection commits. (A statement run
        on a thread's own ``db``, not through a method here, counts as another's.)"""
        version = self._version()
        changed, self._data_version = version != self._data_version, version
        return changed

    def stored_since(
        self,
        circle_id: str,
        number: int,
        problems: list[str] | None = None,
        verdicts: Signatures | None = None,
    ) -> tuple[list[Op], int]:
        """The ops stored or confirmed after ``number`` (a ``last_stored``), in the order
        they were, and the number to ask from next time (``verdicts``: as ``load_ops``)."""
        rows = self.db.execute(
            "SELECT id, body, signer, stored FROM ops WHERE circle = ? AND stored > ? "
            "ORDER BY stored",
            (circle_id, number),
        ).fetchall()
        return decode_stored(rows, problems, verdicts), (rows[-1][3] if rows else number)

    def missing(self, circle_id: str, op_ids: Iterable[str]) -> set[str]:
        """Which of ``op_ids`` the store does not hold (dropped by another process)."""
        wanted = set(op_ids)
        if not wanted:
            return set()
        found = self.db.execute(
            f"SELECT id FROM ops WHERE circle = ? AND id IN ({','.join('?' * len(wanted))})",
            (circle_id, *wanted),
        ).fetchall()
        return wanted - {op_id for (op_id,) in found}

    def count_ops(self, circle_id: str) -> int:
        return self.db.execute(
            "SELECT COUNT(*) FROM ops WHERE circle = ?", (circle_id,)
        ).fetchone()[0]

    # --- outbox and cursors -----------------------------------------------------------

    def outbox(self, circle_id: str, problems: list[str] | None = None) -> list[Op]:
        """The ops still to deliver, oldest first. One that does not decode can never be
        delivered: it leaves the outbox (its row stays) and is described in ``problems``."""
        rows = self.db.execute(
            "SELECT id, ops.body FROM outbox JOIN ops USING (circle, id) "
            "WHERE circle = ? ORDER BY outbox.queued, ops.hlc",
            (circle_id,),
        ).fetchall()
        ops, unreadable = decode_rows(rows)
        if unreadable:
            self.delivered(circle_id, [op_id for op_id, _ in unreadable])
            if problems is not None:
                problems.extend(f"an op cannot be read, not sent: {why}" for _, why in unreadable)
        return ops

    @_written
    def requeue(self, circle_id: str, op_ids: Iterable[str]) -> int:
        """Queue stored ops to be delivered again (the other side lost them); return how
        many were not already waiting."""
        with self._transaction():
            cursor = self.db.executemany(
                "INSERT OR IGNORE INTO outbox VALUES (?, ?, (SELECT COUNT(*) FROM outbox))",
                [(circle_id, op_id) for op_id in op_ids],
            )
        return max(cursor.rowcount, 0)

    def outbox_ids(self, circle_id: str) -> frozenset[str]:
        """The ids of the ops still to deliver."""
        rows = self.db.execute("SELECT id FROM outbox WHERE circle = ?", (circle_id,))
        return frozenset(op_id for (op_id,) in rows.fetchall())

    def outbox_size(self, circle_id: str) -> int:
        return self.db.execute(
            "SELECT COUNT(*) FROM outbox WHERE circle = ?", (circle_id,)
        ).fetchone()[0]

    @_written
    def delivered(
        self, circle_id: str, op_ids: Iterable[str], *, unechoed: Iterable[str] = ()
    ) -> None:
        """Take delivered ops out of the outbox and, in the same step, note those of them
        ``unechoed`` (appended to a file) as yet to be read back (see ``requeue_unechoed``)."""
        rows = [(circle_id, op_id) for op_id in op_ids]
        with self._transaction():
            self.db.executemany("DELETE FROM outbox WHERE circle = ? AND id = ?", rows)
            self.db.executemany(
                "INSERT OR IGNORE INTO unechoed VALUES (?, ?)",
                [(circle_id, op_id) for op_id in unechoed],
            )

    def echoed(self, circle_id: str, op_ids: Iterable[str]) -> int:
        """These ops were read back from the file they were appended to. Being there,
        none waits to be appended again (a run killed between its append and
        ``delivered`` left them in the outbox); returns how many left the outbox."""
        rows = [(circle_id, op_id) for op_id in op_ids]
        # A file is polled: no write (nor a wait for the writer) when nothing waits.
        if not rows or not (self._awaiting_echo(circle_id) or self.outbox_size(circle_id)):
            return 0
        return self._forget_echoed(rows)

    @_written
    def _forget_echoed(self, rows: list[tuple[str, str]]) -> int:
        with self._transaction():
            self.db.executemany("DELETE FROM unechoed WHERE circle = ? AND id = ?", rows)
            left = self.db.executemany("DELETE FROM outbox WHERE circle = ? AND id = ?", rows)
        return max(left.rowcount, 0)

    def requeue_unechoed(self, circle_id: str) -> int:
        """Queue again every op not read back by a read that went to the end of the file
        (it was lost there); return how many."""
        if not self._awaiting_echo(circle_id):
            return 0
        return self._requeue_unechoed(circle_id)

    @_written
    def _requeue_unechoed(self, circle_id: str) -> int:
        with self._transaction():
            lost = self.db.execute(
                "INSERT OR IGNORE INTO outbox "
                "SELECT circle, id, (SELECT COUNT(*) FROM outbox) FROM unechoed WHERE circle = ?",
                (circle_id,),
            ).rowcount
            self.db.execute("DELETE FROM unechoed WHERE circle = ?", (circle_id,))
        return max(lost, 0)

    def _awaiting_echo(self, circle_id: str) -> bool:
        return bool(
            self.db.execute(
                "SELECT 1 FROM unechoed WHERE circle = ? LIMIT 1", (circle_id,)
            ).fetchone()
        )

    @_written
    def drop_op(self, circle_id: str, op_id: str) -> None:
        """Forget an op the server refused: it never became part of the circle."""
        with self._transaction():
            self.db.execute("DELETE FROM outbox WHERE circle = ? AND id = ?", (circle_id, op_id))
            self.db.execute("DELETE FROM ops WHERE circle = ? AND id = ?", (circle_id, op_id))
            texts.forget(self.db, circle_id, op_id)

    def cursor(self, circle_id: str, remote: str) -> str | None:
        row = self.db.execute(
            "SELECT cursor FROM cursors WHERE circle = ? AND remote = ?", (circle_id, remote)
        ).fetchone()
        return row[0] if row else None

    @_written
    def set_cursor(self, circle_id: str, remote: str, cursor: str) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO cursors VALUES (?, ?, ?)", (circle_id, remote, cursor)
        )

    # --- drafts -----------------------------------------------------------------------

    def drafts(self, circle_id: str, member: str) -> dict[str, str]:
        """Every unsent draft of a member in a circle, by place."""
        rows = self.db.execute(
            "SELECT place, text FROM drafts WHERE circle = ? AND member = ?", (circle_id, member)
        )
        return dict(rows.fetchall())

    @_written
    def set_draft(self, circle_id: str, member: str, place: str, text: str) -> None:
        if text:
            self.db.execute(
                "INSERT OR REPLACE INTO drafts VALUES (?, ?, ?, ?)",
                (circle_id, member, place, text),
            )
        else:
            self.db.execute(
                "DELETE FROM drafts WHERE circle = ? AND member = ? AND place = ?",
                (circle_id, member, place),
            )

    def _migrate_drafts(self) -> None:
        """Drafts were kept per circle before a store could serve several members: give
        each old draft to the circle's member (the one this store was made for)."""
        columns = [row[1] for row in self.db.execute("PRAGMA table_info(drafts)")]
        if not columns or "member" in columns:
            return
        with self._transaction():
            self.db.execute("ALTER TABLE drafts RENAME TO drafts_by_circle")
            self.db.execute(f"CREATE TABLE drafts {DRAFTS_COLUMNS}")
            self.db.execute(
                "INSERT INTO drafts SELECT d.circle, c.member_id, d.place, d.text "
                "FROM drafts_by_circle d JOIN circles c ON c.id = d.circle"
            )
            self.db.execute("DROP TABLE drafts_by_circle")

    # --- live quiz keys (local only, never pushed) -----------------------------------

    @_written
    def save_quiz_keys(self, circle_id: str, key_hash: str, salts: str, keys: bytes) -> None:
        """Keep a live quiz's keys (JSON) and salts on this device, under the salted hash
        its ``quiz.create`` publishes; they leave it only one by one, in ``quiz.reveal``."""
        self.db.execute(
            "INSERT OR REPLACE INTO quiz_keys VALUES (?, ?, ?, ?)",
            (circle_id, key_hash, salts, keys),
        )

    def all_quiz_keys(self, circle_id: str) -> dict[str, tuple[str, bytes]]:
        """Every live quiz's salts and keys this device keeps for a circle, by key hash."""
        rows = self.db.execute(
            "SELECT key_hash, salts, keys FROM quiz_keys WHERE circle = ?", (circle_id,)
        )
        return {key_hash: (salts, keys) for key_hash, salts, keys in rows.fetchall()}

    # --- signing keys (this user's, per circle and member) -------------------------------

    @_written
    def save_key(
        self, circle_id: str, member: str, public: str, seed: bytes | None, ms: int
    ) -> None:
        """Keep a key: this user's (``seed``: its private half), or a server's public
        key as its join gave it (member "@server", no seed)."""
        self.db.execute(
            "INSERT OR REPLACE INTO keys VALUES (?, ?, ?, ?, ?)",
            (circle_id, member, public, seed, ms),
        )

    def keys(self, circle_id: str, member: str) -> dict[str, bytes | None]:
        """The keys kept for ``member`` (public: seed), the newest last."""
        rows = self.db.execute(
            "SELECT public, seed FROM keys WHERE circle = ? AND member = ? ORDER BY made_ms",
            (circle_id, member),
        )
        return {public: seed for public, seed in rows}

    # --- plumbing ---------------------------------------------------------------------

    def _transaction(self) -> "_Transaction":
        return _Transaction(self.db)

    def _version(self) -> int:
        return self.db.execute("PRAGMA data_version").fetchone()[0]

    def _number_stored_ops(self) -> None:
        """A store made before ops were numbered, or before signatures were kept: add the
        columns (ops already there stay unnumbered, as every process folds them when it
        opens the circle, and without a verdict, so they are checked once more)."""

        def lacking() -> list[tuple[str, str]]:
            present = {row[1] for row in self.db.execute("PRAGMA table_info(ops)")}
            return [(name, kind) for name, kind in ADDED_COLUMNS if name not in present]

        if lacking():
            with self._transaction():  # another process may be opening it too: ask again
                for name, kind in lacking():
                    self.db.execute(f"ALTER TABLE ops ADD COLUMN {name} {kind}")
        self.db.execute("CREATE INDEX IF NOT EXISTS ops_by_stored ON ops (circle, stored)")
        # Snapshots and the text index count on every op having a number: the older ones
        # are the first (0), before any numbered write.
        if self.db.execute("SELECT 1 FROM ops WHERE stored IS NULL LIMIT 1").fetchone():
            self.db.execute("UPDATE ops SET stored = 0 WHERE stored IS NULL")


def decode_stored(
    rows: list[tuple], problems: list[str] | None, verdicts: Signatures | None
) -> list[Op]:
    """Stored rows (id, body, signer, ...) decoded, their verdicts handed back: what
    could not be read is described in ``problems``."""
    ops, unreadable = decode_rows([(op_id, body) for op_id, body, *_ in rows])
    if problems is not None:
        problems.extend(f"a stored op cannot be read, left out: {why}" for _, why in unreadable)
    if verdicts is not None:
        signers = {op_id: signer for op_id, _, signer, *_ in rows if signer is not None}
        for op in ops:
            found = signers.get(op.id)
            if found is not None:
                verdicts.remember(op, found)
    return ops


def decode_rows(rows: list[tuple[str, bytes]]) -> tuple[list[Op], list[tuple[str, str]]]:
    """The ops of (id, body) rows, and (id, why) for each row that does not decode."""
    if not rows:
        return [], []
    try:
        # One decode of a JSON array is several times faster than one decode per row.
        return decode_ops(b"[" + b",".join(body for _, body in rows) + b"]"), []
    except OpError:
        pass
    ops: list[Op] = []
    unreadable: list[tuple[str, str]] = []
    for op_id, body in rows:
        try:
            ops.append(decode_op(body))
        except OpError as error:
            unreadable.append((op_id, f"op {op_id}: {error}"))
    return ops, unreadable


def _private_file(path: Path) -> None:
    """Create ``path`` (and its folder) readable by its owner only, or make it so.

    SQLite gives the ``-wal`` and ``-shm`` files the main file's mode, so they follow.
    Only a new file is opened here: closing any descriptor of a database file drops every
    lock this process holds on it (POSIX locks are per process), behind the back of a
    connection already open on it. (An empty file is an empty database.)
    """
    private_dir(path.parent)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    for each in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if each.exists():
            os.chmod(each, 0o600)


class _Transaction:
    """BEGIN IMMEDIATE … COMMIT, rolled back on error (the connection is in autocommit)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        try:
            if kind is None:
                self._db.execute("COMMIT")
        finally:
            # A failed statement or COMMIT may leave the transaction open (or SQLite may
            # have ended it already): the writer's next BEGIN must find none.
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
