"""The server's tables, as numbered migrations for each database.

A database records the migrations it has had in ``schema_migrations``; at start a
server (or an admin command) applies those it lacks, in order, in one transaction, so
a file made by an earlier version is upgraded in place. Several processes starting at
once on one PostgreSQL database take turns (an advisory lock); on SQLite the write lock
does the same. A database upgraded by a newer version than this one is refused rather
than misread.

Version 1 is the schema before migrations were numbered (its ``CREATE … IF NOT EXISTS``
leaves such a file as it is); version 2 gives each circle the version that tells
server processes whether another one wrote it (see storage), and an index to find a
member's tokens (``server members``, ``server revoke``); version 3 keeps the server's
signing key (core/signing.py: what it writes itself, and members' admissions, are signed
by it), one for every process on the database, made the first time it is needed.
"""

from .storage import StorageError

SQLITE: list[list[str]] = [
    [
        "CREATE TABLE IF NOT EXISTS circles ("
        " id TEXT PRIMARY KEY, name TEXT NOT NULL, created_ms INTEGER NOT NULL) WITHOUT ROWID",
        "CREATE TABLE IF NOT EXISTS ops ("
        " circle TEXT NOT NULL, seq INTEGER NOT NULL, id TEXT NOT NULL, actor TEXT NOT NULL,"
        " body BLOB NOT NULL, PRIMARY KEY (circle, seq)) WITHOUT ROWID",
        "CREATE UNIQUE INDEX IF NOT EXISTS ops_by_id ON ops (circle, id)",
        "CREATE TABLE IF NOT EXISTS sealed ("
        " circle TEXT NOT NULL, id TEXT NOT NULL, actor TEXT NOT NULL, body BLOB NOT NULL,"
        " PRIMARY KEY (circle, id)) WITHOUT ROWID",
        "CREATE TABLE IF NOT EXISTS members ("
        " circle TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL,"
        " joined_ms INTEGER NOT NULL, PRIMARY KEY (circle, id)) WITHOUT ROWID",
        "CREATE TABLE IF NOT EXISTS tokens ("
        " hash TEXT PRIMARY KEY, circle TEXT NOT NULL, member TEXT NOT NULL,"
        " created_ms INTEGER NOT NULL) WITHOUT ROWID",
        "CREATE TABLE IF NOT EXISTS invites ("
        " hash TEXT PRIMARY KEY, circle TEXT NOT NULL, role TEXT NOT NULL,"
        " uses_left INTEGER NOT NULL, expires_ms INTEGER NOT NULL, member TEXT,"
        " created_ms INTEGER NOT NULL) WITHOUT ROWID",
    ],
    [
        "ALTER TABLE circles ADD COLUMN version INTEGER NOT NULL DEFAULT 0",
        "CREATE INDEX tokens_by_member ON tokens (circle, member)",
    ],
    [
        "CREATE TABLE server_keys ("
        " name TEXT PRIMARY KEY, seed BLOB NOT NULL, created_ms INTEGER NOT NULL) WITHOUT ROWID",
    ],
]

POSTGRES: list[list[str]] = [
    [
        "CREATE TABLE circles ("
        " id TEXT PRIMARY KEY, name TEXT NOT NULL, created_ms BIGINT NOT NULL)",
        "CREATE TABLE ops (circle TEXT NOT NULL, seq BIGINT NOT NULL, id TEXT NOT NULL,"
        " actor TEXT NOT NULL, body BYTEA NOT NULL, PRIMARY KEY (circle, seq))",
        "CREATE UNIQUE INDEX ops_by_id ON ops (circle, id)",
        "CREATE TABLE sealed (circle TEXT NOT NULL, id TEXT NOT NULL, actor TEXT NOT NULL,"
        " body BYTEA NOT NULL, PRIMARY KEY (circle, id))",
        "CREATE TABLE members (circle TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL,"
        " joined_ms BIGINT NOT NULL, PRIMARY KEY (circle, id))",
        "CREATE TABLE tokens (hash TEXT PRIMARY KEY, circle TEXT NOT NULL, member TEXT NOT NULL,"
        " created_ms BIGINT NOT NULL)",
        "CREATE TABLE invites (hash TEXT PRIMARY KEY, circle TEXT NOT NULL, role TEXT NOT NULL,"
        " uses_left INTEGER NOT NULL, expires_ms BIGINT NOT NULL, member TEXT,"
        " created_ms BIGINT NOT NULL)",
    ],
    [
        "ALTER TABLE circles ADD COLUMN version BIGINT NOT NULL DEFAULT 0",
        "CREATE INDEX tokens_by_member ON tokens (circle, member)",
    ],
    [
        "CREATE TABLE server_keys ("
        " name TEXT PRIMARY KEY, seed BYTEA NOT NULL, created_ms BIGINT NOT NULL)",
    ],
]

assert len(SQLITE) == len(POSTGRES)  # one numbering for both
LATEST = len(SQLITE)

CREATE_MIGRATIONS = (
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INTEGER PRIMARY KEY, applied_ms BIGINT NOT NULL)"
)
APPLIED = "SELECT coalesce(max(version), 0) FROM schema_migrations"
RECORD = "INSERT INTO schema_migrations (version, applied_ms) VALUES (?, ?)"


class SchemaTooNew(StorageError):
    def __init__(self, found: int) -> None:
        super().__init__(
            f"this database was upgraded by a newer studycircle (schema {found}; this one"
            f" knows up to {LATEST}): upgrade studycircle, or use a backup"
        )


def pending(applied: int, migrations: list[list[str]]) -> list[tuple[int, list[str]]]:
    """The migrations a database at ``applied`` still needs, numbered from 1."""
    if applied > LATEST:
        raise SchemaTooNew(applied)
    return [(number, migrations[number - 1]) for number in range(applied + 1, LATEST + 1)]
