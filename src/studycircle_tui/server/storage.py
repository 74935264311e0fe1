"""The server's own SQLite file: circles, their ops by seq, members, token and invite hashes.

WAL with synchronous=FULL: a commit returns only once it is on disk, so an op the server
has acknowledged survives a crash or power cut. Only hashes of tokens and invite codes
are stored; both are random enough (128 and 80 bits) that a plain SHA-256 suffices.

The admin commands (``studycircle server create-circle`` and ``invite``) write here too,
possibly while ``serve`` runs: SQLite's locking keeps the two processes apart, and the
server reads circles and invites it has not seen yet from the file when asked for them.
"""

import contextlib
import hashlib
import os
import secrets
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..core import hlc, ids
from ..core.ops import OP_TYPES, SCHEMA_VERSION, Op, decode_ops, encode_op, validate_data

if TYPE_CHECKING:
    from .circle import Circle, Entry

DB_NAME = "server.sqlite3"
FOUNDER_NAME = "Lead"  # the founding lead's name until they join and give theirs

_SCHEMA = """
CREATE TABLE IF NOT EXISTS circles (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, created_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ops (
    circle TEXT NOT NULL, seq INTEGER NOT NULL, id TEXT NOT NULL, actor TEXT NOT NULL,
    body BLOB NOT NULL, PRIMARY KEY (circle, seq)
) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS ops_by_id ON ops (circle, id);
CREATE TABLE IF NOT EXISTS sealed (
    circle TEXT NOT NULL, id TEXT NOT NULL, actor TEXT NOT NULL, body BLOB NOT NULL,
    PRIMARY KEY (circle, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS members (
    circle TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL, joined_ms INTEGER NOT NULL,
    PRIMARY KEY (circle, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tokens (
    hash TEXT PRIMARY KEY, circle TEXT NOT NULL, member TEXT NOT NULL,
    created_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS invites (
    hash TEXT PRIMARY KEY, circle TEXT NOT NULL, role TEXT NOT NULL,
    uses_left INTEGER NOT NULL, expires_ms INTEGER NOT NULL, member TEXT,
    created_ms INTEGER NOT NULL
) WITHOUT ROWID;
"""

Statement = tuple[str, Sequence[object]]

# One use of an invite, if it has one left and has not expired (hash, now in ms): the
# check and the change in one statement, so that joins at once, in this process or in
# another on the same database, can never take more uses than there are.
REDEEM_INVITE = (
    "UPDATE invites SET uses_left = uses_left - 1"
    " WHERE hash = ? AND uses_left > 0 AND expires_ms > ?"
)


@dataclass(slots=True)
class Invite:
    hash: str
    circle: str
    role: str
    uses_left: int
    expires_ms: int
    member: str | None  # set for the founding lead's invite: redeeming it becomes them


def hash_secret(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


_CROCKFORD_FIXES = str.maketrans({"I": "1", "L": "1", "O": "0"})


def normalize_code(code: str) -> str:
    """Invite codes are read aloud and typed: case, dashes, spaces and I/L/O slips pass."""
    kept = "".join(char for char in code.upper() if char not in "- \t")
    return kept.translate(_CROCKFORD_FIXES)


def new_invite_code() -> str:
    """80 random bits as 16 Crockford base32 characters, grouped by four."""
    value = int.from_bytes(secrets.token_bytes(10), "big")
    chars = [ids.ALPHABET[(value >> shift) & 31] for shift in range(75, -1, -5)]
    return "-".join("".join(chars[i : i + 4]) for i in range(0, 16, 4))


def new_token() -> str:
    return secrets.token_urlsafe(16)  # 128 bits


class Storage:
    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / DB_NAME
        _private(data_dir, self.path)
        # Each connection is used by one thread at a time: the server opens one to write
        # and one to read (see hub.Hub), the admin commands their own.
        # isolation_level=None: transactions are explicit.
        self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA busy_timeout = 10000")
        self.db.execute("PRAGMA journal_mode = WAL")
        self.db.execute("PRAGMA synchronous = FULL")
        self.db.executescript(_SCHEMA)
        # The WAL and its index, made by an older version with the umask's 0644.
        for suffix in ("-wal", "-shm"):
            with contextlib.suppress(OSError):  # not there now, or no modes here
                os.chmod(f"{self.path}{suffix}", 0o600)

    def close(self) -> None:
        self.db.close()

    # --- reading ----------------------------------------------------------------------

    def circles(self) -> list[tuple[str, str]]:
        return self.db.execute("SELECT id, name FROM circles ORDER BY created_ms").fetchall()

    def circle_name(self, circle: str) -> str | None:
        row = self.db.execute("SELECT name FROM circles WHERE id = ?", (circle,)).fetchone()
        return None if row is None else row[0]

    def op_bodies(self, circle: str) -> list[bytes]:
        rows = self.db.execute("SELECT body FROM ops WHERE circle = ? ORDER BY seq", (circle,))
        return [row[0] for row in rows]

    def sealed_bodies(self, circle: str) -> list[bytes]:
        # Arrival order: rowid-less tables sort by key, so keep it by op id (a ULID).
        rows = self.db.execute("SELECT body FROM sealed WHERE circle = ? ORDER BY id", (circle,))
        return [row[0] for row in rows]

    def tokens(self) -> list[tuple[str, str, str]]:
        return self.db.execute("SELECT hash, circle, member FROM tokens").fetchall()

    def invite(self, code_hash: str) -> Invite | None:
        row = self.db.execute(
            "SELECT hash, circle, role, uses_left, expires_ms, member FROM invites WHERE hash = ?",
            (code_hash,),
        ).fetchone()
        return None if row is None else Invite(*row)

    # --- writing ----------------------------------------------------------------------

    def begin(self) -> None:
        """Open a write transaction, for ``changed`` and then ``execute(..., begun=True)``."""
        self.db.execute("BEGIN IMMEDIATE")

    def changed(self, sql: str, params: Sequence[object]) -> int:
        """Run one statement in the open transaction; how many rows it changed."""
        return self.db.execute(sql, params).rowcount

    def execute(self, statements: Iterable[Statement], *, begun: bool = False) -> None:
        """Run statements in one transaction (the one ``begin`` opened, when ``begun``):
        all of them reach the disk, or none."""
        db = self.db
        # Consecutive statements of one kind go in one executemany.
        runs: list[tuple[str, list[Sequence[object]]]] = []
        for sql, params in statements:
            if runs and runs[-1][0] == sql:
                runs[-1][1].append(params)
            else:
                runs.append((sql, [params]))
        if not begun:
            db.execute("BEGIN IMMEDIATE")
        try:
            for sql, rows in runs:
                db.executemany(sql, rows)
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise

    def create_circle(
        self, name: str, now_ms: int, channels: Sequence[str] = ()
    ) -> tuple[str, str]:
        """A new hosted circle (with ``channels`` opened by its lead) and a one-use
        invite for its founding lead.

        The circle's creator must be a member (core refuses a circle led by "@server"),
        so the circle is created by a member id that no one holds yet; whoever redeems
        the founding invite receives that id and with it the lead's role.
        """
        founder = ids.ulid(now_ms, secrets.token_bytes(10))
        circle = ids.ulid(now_ms, secrets.token_bytes(10))
        made = [("circle.create", {"name": name, "lead_name": FOUNDER_NAME, "hosted": True})]
        made += [("channel.create", {"name": channel}) for channel in channels]
        ops = [
            OP_TYPES[type_name](
                v=SCHEMA_VERSION,
                id=circle if seq == 1 else ids.ulid(now_ms, secrets.token_bytes(10)),
                circle=circle,
                actor=founder,
                hlc=hlc.encode(now_ms, seq - 1),
                data=validate_data(type_name, data),
                seq=seq,
                at=now_ms,
            )
            for seq, (type_name, data) in enumerate(made, 1)
        ]
        code = new_invite_code()
        self.execute(
            [
                ("INSERT INTO circles VALUES (?, ?, ?)", (circle, name, now_ms)),
                *(
                    (
                        "INSERT INTO ops VALUES (?, ?, ?, ?, ?)",
                        (circle, op.seq, op.id, founder, encode_op(op)),
                    )
                    for op in ops
                ),
                (
                    "INSERT INTO members VALUES (?, ?, ?, ?)",
                    (circle, founder, FOUNDER_NAME, now_ms),
                ),
                _invite_row(code, circle, "lead", 1, now_ms + 30 * 86_400_000, founder, now_ms),
            ]
        )
        return circle, code

    def add_invite(self, circle: str, role: str, uses: int, expires_ms: int, now_ms: int) -> str:
        code = new_invite_code()
        self.execute([_invite_row(code, circle, role, uses, expires_ms, None, now_ms)])
        return code


@dataclass(slots=True)
class Batch:
    """One group commit: the statements it writes, the entries readers see once they
    are on disk, and the circles it changes (read again from disk if it fails)."""

    storage: Storage
    writes: list[Statement] = field(default_factory=list)
    staged: list[tuple["Circle", "Entry"]] = field(default_factory=list)
    circles: dict[str, "Circle"] = field(default_factory=dict)
    begun: bool = False

    def write(self, sql: str, params: Sequence[object]) -> None:
        self.writes.append((sql, params))

    def claim(self, sql: str, params: Sequence[object]) -> bool:
        """Run a conditional statement now, in the commit's transaction (opened by the
        first claim), and say whether it changed a row: a check and a change that no
        other request or server process can come between. Claim last, once nothing
        else can refuse: what is claimed is written with the batch."""
        if not self.begun:
            self.storage.begin()
            self.begun = True
        return self.storage.changed(sql, params) == 1

    def commit(self) -> None:
        if self.writes or self.begun:
            self.storage.execute(self.writes, begun=self.begun)


def _invite_row(
    code: str, circle: str, role: str, uses: int, expires_ms: int, member: str | None, now: int
) -> Statement:
    return (
        "INSERT INTO invites VALUES (?, ?, ?, ?, ?, ?, ?)",
        (hash_secret(normalize_code(code)), circle, role, uses, expires_ms, member, now),
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


def decode_stored(bodies: list[bytes]) -> list[Op]:
    """Ops this server stored itself, decoded in one pass."""
    return decode_ops(b"[" + b",".join(bodies) + b"]")
