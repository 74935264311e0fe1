"""What the server keeps in its database, behind one interface with two implementations
chosen at start: SQLite in the data folder (the default: embedded, one process) and
PostgreSQL (``--database postgresql://…``: many circles, several server processes).

The tables are the same in both (``schema``): circles, their ops by seq, quiz answers
and anonymous suggestions kept until published, members, and only hashes of tokens and
invite codes (both random enough, 128 and 80 bits, that a plain SHA-256 suffices).

Writes go through a ``Transaction``. Before changing a circle the hub ``lock``s its row:
that takes the circle's row lock (PostgreSQL) or the database's write lock (SQLite)
until the commit, and bumps the circle's ``version``. Seqs are thus given one circle at
a time, across every process: a second writer waits for the first one's commit and then
reads what it wrote, so no one can commit seq 7 before seq 6 is visible, nor give seq 7
twice; and a version that moved by more than one says another process wrote the circle
since this one last looked (see hub.Hub).

Statements are written once, with ``?`` placeholders, in SQL both databases speak.
"""

import abc
import hashlib
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..core import ids
from ..core.ops import Op, decode_ops

if TYPE_CHECKING:
    from .circle import Circle, Entry

DB_NAME = "server.sqlite3"
FOUNDER_NAME = "Lead"  # the founding lead's name until they join and give theirs

Statement = tuple[str, Sequence[object]]

# Notices between server processes (PostgreSQL): commits and revocations on CHANNEL,
# answers to a revocation on ACKS. Each process listens on a connection named LISTENER,
# so that they can be counted.
CHANNEL = "studycircle"
ACKS = "studycircle_ack"
LISTENER = "studycircle-serve"

INSERT_OP = "INSERT INTO ops (circle, seq, id, actor, body) VALUES (?, ?, ?, ?, ?)"
INSERT_KEPT = "INSERT INTO sealed (circle, id, actor, body) VALUES (?, ?, ?, ?)"
DELETE_KEPT = "DELETE FROM sealed WHERE circle = ? AND id = ?"
INSERT_CIRCLE = "INSERT INTO circles (id, name, created_ms) VALUES (?, ?, ?)"
INSERT_TOKEN = "INSERT INTO tokens (hash, circle, member, created_ms) VALUES (?, ?, ?, ?)"
PUT_MEMBER = (
    "INSERT INTO members (circle, id, name, joined_ms) VALUES (?, ?, ?, ?)"
    " ON CONFLICT (circle, id) DO UPDATE SET name = excluded.name, joined_ms = excluded.joined_ms"
)
INSERT_INVITE = (
    "INSERT INTO invites (hash, circle, role, uses_left, expires_ms, member, created_ms)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)"
)
# One use of an invite, if it has one left and has not expired (hash, now in ms): the
# check and the change in one statement, so that joins at once, in this process or in
# another on the same database, can never take more uses than there are.
REDEEM_INVITE = (
    "UPDATE invites SET uses_left = uses_left - 1"
    " WHERE hash = ? AND uses_left > 0 AND expires_ms > ?"
)
# The circle's row locked until the commit, and its version moved on (see the doc above).
LOCK_CIRCLE = "UPDATE circles SET version = version + 1 WHERE id = ? RETURNING version"
# A lead gave a member who lost their key the key of the member id their new device
# joined as: that device's tokens are theirs now (to, circle, from).
MOVE_TOKENS = "UPDATE tokens SET member = ? WHERE circle = ? AND member = ?"
SIGNING_KEY = "signing"  # the name of the server's one signing key in server_keys


class StorageError(Exception):
    """The database failed (full disk, lost connection, a lock not had in time): the
    request is answered 503 and what it changed in memory is read again."""


@dataclass(slots=True)
class Invite:
    hash: str
    circle: str
    role: str
    uses_left: int
    expires_ms: int
    member: str | None  # set for the founding lead's invite: redeeming it becomes them


@dataclass(slots=True)
class Snapshot:
    """A circle as stored: its version, its ops' bodies from a seq on, in seq order, and
    the bodies of the ops kept for later (None when not read)."""

    version: int
    ops: list[bytes]
    kept: list[bytes] | None


@dataclass(slots=True)
class MemberRow:
    id: str
    name: str
    joined_ms: int
    tokens: int


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


def invite_row(
    code: str, circle: str, role: str, uses: int, expires_ms: int, member: str | None, now: int
) -> Statement:
    return (
        INSERT_INVITE,
        (hash_secret(normalize_code(code)), circle, role, uses, expires_ms, member, now),
    )


def grouped(statements: Iterable[Statement]) -> list[tuple[str, list[Sequence[object]]]]:
    """Consecutive statements of one kind, to run in one executemany."""
    runs: list[tuple[str, list[Sequence[object]]]] = []
    for sql, params in statements:
        if runs and runs[-1][0] == sql:
            runs[-1][1].append(params)
        else:
            runs.append((sql, [params]))
    return runs


def decode_stored(bodies: list[bytes]) -> list[Op]:
    """Ops this server stored itself, decoded in one pass."""
    return decode_ops(b"[" + b",".join(bodies) + b"]")


class Transaction(abc.ABC):
    """One write transaction: everything in it reaches the disk at its commit, or
    nothing does."""

    @abc.abstractmethod
    async def lock(self, circle: str) -> int:
        """Lock the circle until the commit (see the module's doc); its new version."""

    @abc.abstractmethod
    async def load(self, circle: str, after: int) -> Snapshot:
        """The circle as this transaction sees it: ops after seq ``after``, and the kept."""

    @abc.abstractmethod
    async def changed(self, sql: str, params: Sequence[object]) -> int:
        """Run one statement now; how many rows it changed."""

    @abc.abstractmethod
    async def run(self, statements: Iterable[Statement]) -> None:
        """Run statements, consecutive ones of one kind together."""

    @abc.abstractmethod
    async def rows(self, sql: str, params: Sequence[object]) -> list[tuple]:
        """What a query returns, inside this transaction."""

    def notify(self, payload: str) -> None:  # noqa: B027 (SQLite: no one to tell)
        """Tell the other server processes at the commit (``Store.listen``); nothing
        where there are none to tell."""


Notice = Callable[[str], Awaitable[None] | None]


class Store(abc.ABC):
    kind: str  # "sqlite" or "postgresql"
    where: str  # for messages: the file, or the URL without its password
    # Server processes sharing this database can be told of each other's commits
    # (PostgreSQL's LISTEN/NOTIFY); with SQLite there is only ever one.
    shared: bool = False

    @abc.abstractmethod
    async def open(self) -> None:
        """Connect, and bring the schema up to date (``schema``)."""

    @abc.abstractmethod
    def transaction(self) -> AbstractAsyncContextManager[Transaction]:
        """A write transaction, committed when the block ends without an exception."""

    @abc.abstractmethod
    async def rows(self, sql: str, params: Sequence[object] = ()) -> list[tuple]:
        """What a query returns (outside any write transaction)."""

    @abc.abstractmethod
    async def load(self, circle: str, after: int = 0, kept: bool = True) -> Snapshot:
        """One consistent snapshot of a circle (see ``Transaction.load``)."""

    @abc.abstractmethod
    async def close(self) -> None: ...

    def changed_elsewhere(self) -> bool:
        """Whether another process (an admin command) wrote since the last call, where
        that is cheap to know and not told otherwise (SQLite)."""
        return False

    async def listen(  # noqa: B027 (SQLite: nothing to listen to)
        self,
        channel: str,
        on_notice: Notice,
        on_listening: Callable[[bool], Awaitable[None]],
        name: str | None = None,
    ) -> None:
        """Until cancelled, call ``on_notice`` with each notice on ``channel``, and
        ``on_listening`` each time listening (re)starts (True when notices may have been
        missed meanwhile). ``name``: how the connection is known (see ``listeners``).
        Nothing to listen to here."""

    async def notify(self, channel: str, payload: str) -> None:  # noqa: B027 (SQLite: none)
        """Send one notice now (outside a transaction)."""

    async def listeners(self) -> int:
        """How many server processes listen on this database (1: this one alone)."""
        return 1

    # --- reading, the same SQL for both --------------------------------------------------

    async def circles(self) -> list[tuple[str, str]]:
        return await self.rows("SELECT id, name FROM circles ORDER BY created_ms, id")

    async def circle_name(self, circle: str) -> str | None:
        found = await self.rows("SELECT name FROM circles WHERE id = ?", (circle,))
        return found[0][0] if found else None

    async def server_key(self) -> bytes:
        """The seed of the server's signing key, made (once, whichever process asks
        first) when there is none yet."""
        query = "SELECT seed FROM server_keys WHERE name = ?"
        found = await self.rows(query, (SIGNING_KEY,))
        if not found:
            async with self.transaction() as tx:
                await tx.run(
                    [
                        (
                            "INSERT INTO server_keys (name, seed, created_ms) VALUES (?, ?, ?)"
                            " ON CONFLICT (name) DO NOTHING",
                            (SIGNING_KEY, secrets.token_bytes(32), time.time_ns() // 1_000_000),
                        )
                    ]
                )
            found = await self.rows(query, (SIGNING_KEY,))
        return bytes(found[0][0])

    async def token(self, token_hash: str) -> tuple[str, str] | None:
        found = await self.rows("SELECT circle, member FROM tokens WHERE hash = ?", (token_hash,))
        return (found[0][0], found[0][1]) if found else None

    async def invite(self, code_hash: str) -> Invite | None:
        found = await self.rows(
            "SELECT hash, circle, role, uses_left, expires_ms, member FROM invites WHERE hash = ?",
            (code_hash,),
        )
        return Invite(*found[0]) if found else None

    async def members(self, circle: str) -> list[MemberRow]:
        found = await self.rows(
            "SELECT m.id, m.name, m.joined_ms,"
            " (SELECT count(*) FROM tokens t WHERE t.circle = m.circle AND t.member = m.id)"
            " FROM members m WHERE m.circle = ? ORDER BY m.joined_ms, m.id",
            (circle,),
        )
        return [MemberRow(*row) for row in found]


def open_store(database: str | None, data_dir: Path | None) -> Store:
    """The store ``--database`` names: ``postgresql://…``, ``sqlite:PATH`` (a data
    folder or a database file), or by default SQLite in ``data_dir``; not open yet
    (``Store.open``). psycopg is imported only for PostgreSQL (ImportError without it)."""
    if database and database.startswith(("postgresql://", "postgres://")):
        from .pg_store import PostgresStore

        return PostgresStore(database)
    from .sqlite_store import SqliteStore

    if database:
        if not database.startswith("sqlite:"):
            raise ValueError(f"--database must be postgresql://… or sqlite:PATH, not {database!r}")
        path = Path(database.removeprefix("sqlite:").removeprefix("//")).expanduser()
        return SqliteStore(path.parent if path.suffix == ".sqlite3" else path)
    if data_dir is None:
        raise ValueError("give a data folder or a database")
    return SqliteStore(Path(data_dir))


@dataclass(slots=True)
class Batch:
    """One group commit: its transaction, the statements it writes, the entries readers
    see once they are on disk, and the circles it changes."""

    tx: Transaction
    writes: list[Statement] = field(default_factory=list)
    staged: list[tuple["Circle", "Entry"]] = field(default_factory=list)
    circles: dict[str, "Circle"] = field(default_factory=dict)

    def write(self, sql: str, params: Sequence[object]) -> None:
        self.writes.append((sql, params))

    async def claim(self, sql: str, params: Sequence[object]) -> bool:
        """Run a conditional statement now, in the commit's transaction, and say whether
        it changed a row: a check and a change that no other request or server process
        can come between. Claim last, once nothing else can refuse: what is claimed is
        written with the batch."""
        return await self.tx.changed(sql, params) == 1
