"""Snapshots of circles' folded states in the local store (see ``core/snapshot.py``).

One row per circle: the snapshot's bytes (msgpack, not compressed: decompressing a
100,000-op circle's 16 MB cost more CPU at every opening than reading the 10 MB more from
the disk cache, and the bytes are not kept in memory) and the marks that say whether it
may still be used:

- ``ordering``, ``shape``, ``reducer``, ``schema``: the circle's fold order, and the code
  that made it (the state's fingerprint, the reducer's and the op schema's versions);
- ``arrival``: every op it covers was stored by then (their ``stored`` number, see
  ``db.py``, is at most this), so an op stored later that sorts at or before its
  position (a late op of a file circle) makes it stale: ``stale`` finds one by reading
  only what was stored since;
- ``checksum``: a CRC-32 of the bytes, so a torn or damaged row reads as no snapshot.

A row is replaced in one transaction: a process killed while writing one leaves the old
row (SQLite's journal), and a row that does not read back whole is ignored, so the
circle opens either way, from the log if need be.
"""

import sqlite3
import zlib

SCHEMA = """
CREATE TABLE IF NOT EXISTS snapshots (
    circle TEXT PRIMARY KEY,
    ordering TEXT NOT NULL,
    shape TEXT NOT NULL,
    reducer INTEGER NOT NULL,
    schema INTEGER NOT NULL,
    arrival INTEGER NOT NULL,
    checksum INTEGER NOT NULL,
    body BLOB NOT NULL
);
"""


Marks = tuple[str, str, int, int]  # ordering, state shape, reducer version, op schema
Position = tuple[str, str] | int


def read(db: sqlite3.Connection, circle_id: str, marks: Marks) -> tuple[int, bytes] | None:
    """(arrival, bytes) of the circle's snapshot when it was made by this code
    for this ordering (``marks``: ordering, shape, reducer and schema versions) and reads
    back whole; None otherwise."""
    row = db.execute(
        "SELECT ordering, shape, reducer, schema, arrival, checksum, body FROM snapshots "
        "WHERE circle = ?",
        (circle_id,),
    ).fetchone()
    if row is None or tuple(row[:4]) != marks:
        return None
    arrival, checksum, body = row[4], row[5], row[6]
    if zlib.crc32(body) != checksum:
        return None
    return arrival, body


def write(
    db: sqlite3.Connection,
    circle_id: str,
    marks: Marks,
    arrival: int,
    data: bytes,
) -> None:
    """Keep ``data`` as the circle's snapshot."""
    # One statement: its own transaction (the store's connections are in autocommit).
    db.execute(
        "INSERT OR REPLACE INTO snapshots VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (circle_id, *marks, arrival, zlib.crc32(data), data),
    )


def drop(db: sqlite3.Connection, circle_id: str) -> None:
    db.execute("DELETE FROM snapshots WHERE circle = ?", (circle_id,))


def last_arrival(db: sqlite3.Connection, circle_id: str) -> int:
    return db.execute(
        "SELECT IFNULL(MAX(stored), 0) FROM ops WHERE circle = ?", (circle_id,)
    ).fetchone()[0]


def _at_or_before(position: Position) -> tuple[str, tuple[object, ...]]:
    """SQL for "sorts at or before ``position``" in the circle's fold order."""
    if isinstance(position, int):
        return "seq IS NOT NULL AND seq <= ?", (position,)
    hlc, op_id = position
    return "(hlc < ? OR (hlc = ? AND id <= ?))", (hlc, hlc, op_id)


def stale(db: sqlite3.Connection, circle_id: str, position: Position, arrival: int) -> bool:
    """Whether an op stored after ``arrival`` sorts at or before ``position``."""
    where, values = _at_or_before(position)
    row = db.execute(
        f"SELECT 1 FROM ops WHERE circle = ? AND stored > ? AND {where} LIMIT 1",
        (circle_id, arrival, *values),
    ).fetchone()
    return row is not None


def rows_after(
    db: sqlite3.Connection, circle_id: str, position: Position | None
) -> list[tuple[str, bytes, bytes | None]]:
    """(id, body, signer) of the ops to fold on top of a snapshot at ``position``: in a file
    circle those after it (by (hlc, id)); in a server circle the confirmed ones after it
    (by seq), then the local-only and pending ones (never in a snapshot)."""
    if position is None:
        query = "SELECT id, body, signer FROM ops WHERE circle = ? ORDER BY hlc, id"
        return db.execute(query, (circle_id,)).fetchall()
    if isinstance(position, int):
        confirmed = db.execute(
            "SELECT id, body, signer FROM ops WHERE circle = ? AND seq > ? ORDER BY seq",
            (circle_id, position),
        ).fetchall()
        unconfirmed = db.execute(
            "SELECT id, body, signer FROM ops WHERE circle = ? AND seq IS NULL ORDER BY hlc, id",
            (circle_id,),
        ).fetchall()
        return confirmed + unconfirmed
    # A row value, not "hlc > ? OR (hlc = ? AND id > ?)": SQLite seeks ops_by_hlc to it
    # instead of scanning the circle's every op (0.8 s of a 100,000-op circle's opening).
    return db.execute(
        "SELECT id, body, signer FROM ops WHERE circle = ? AND (hlc, id) > (?, ?) ORDER BY hlc, id",
        (circle_id, *position),
    ).fetchall()


def rows_between(
    db: sqlite3.Connection,
    circle_id: str,
    after: Position | None,
    upto: Position,
    arrival: int,
    limit: int,
) -> list[tuple[str, bytes, bytes | None, Position]]:
    """(id, body, signer, position) of up to ``limit`` ops a snapshot moved from ``after`` to
    ``upto`` takes in, stored by ``arrival``, in fold order (in a server circle only the
    confirmed ones): read in batches, each from the last one's position."""
    where, values = _at_or_before(upto)
    if after is None:
        above, above_values = "1", ()
    elif isinstance(after, int):
        above, above_values = "seq > ?", (after,)
    else:
        above, above_values = "(hlc, id) > (?, ?)", after
    seq = isinstance(upto, int)
    rows = db.execute(
        f"SELECT id, body, signer, hlc, seq FROM ops WHERE circle = ? AND stored <= ? AND {above} "
        f"AND {where} ORDER BY {'seq' if seq else 'hlc, id'} LIMIT ?",
        (circle_id, arrival, *above_values, *values, limit),
    ).fetchall()
    return [
        (op_id, body, signer, number if seq else (hlc, op_id))
        for op_id, body, signer, hlc, number in rows
    ]


def position_behind(
    db: sqlite3.Connection, circle_id: str, ordering: str, behind: int, latest_hlc: str
) -> Position | None:
    """The position ``behind`` ops before the newest one a snapshot may cover: in a file
    circle among the ops stamped no later than ``latest_hlc`` (the writer's horizon: a
    snapshot covers no op that could be held back), in a server circle among the
    confirmed ones."""
    if ordering == "seq":
        row = db.execute(
            "SELECT seq FROM ops WHERE circle = ? AND seq IS NOT NULL "
            "ORDER BY seq DESC LIMIT 1 OFFSET ?",
            (circle_id, behind),
        ).fetchone()
        return row[0] if row else None
    row = db.execute(
        "SELECT hlc, id FROM ops WHERE circle = ? AND hlc <= ? "
        "ORDER BY hlc DESC, id DESC LIMIT 1 OFFSET ?",
        (circle_id, latest_hlc, behind),
    ).fetchone()
    return (row[0], row[1]) if row else None
