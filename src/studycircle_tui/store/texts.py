"""Post texts in the local store: read when a post is drawn, and searched through an index.

The circle's state does not hold post texts (``core/posts.py``): every version of every
post's text is in the op that carried it, in ``ops``. ``texts_of`` reads them back.

The index is SQLite's FTS5 over one row per version (``texts``): the post it belongs to,
the op that carried it, and the text folded as ``core.search.searchable`` folds it (with
its thread's title for an opening post). ``matching`` gives the (post, op) rows whose
text contains every term; ``core.search.search`` keeps those whose op is the text the
post shows now (an edit makes the older versions stop counting, a refused edit never
counts) and applies the filters (deleted, hidden, author:, in:, is:).

The tokenizer is FTS5's ``trigram``, not ``unicode61``: search finds a term anywhere
inside a word ("pergi" in "bepergian", "buku" in "bukunya"), which is what Bahasa
Indonesia's affixes need and what people already rely on. ``unicode61`` indexes whole
words and finds prefixes, so "pergi" would find "pergilah" but not "bepergian" unless the
index also held every word with its prefixes stripped, an Indonesian stemmer's guesses
that would make search find some inside-word matches and miss others. Trigrams find
every substring of three characters or more, exactly; the text is folded by ``core``
first (case, accents, compatibility forms, emoji marks) and the tokenizer told to change
nothing (``case_sensitive 1``), so the index matches what ``core.search.contains_all``
says and nothing else. A term shorter than three characters cannot use trigrams: those
are checked with ``instr`` on the folded text (on the index's matches when there are
longer terms too, else on every row).

Indexing follows the ops' ``stored`` number (see ``db.py``): ``index_since`` takes the
ops stored after the last one indexed, a batch at a time, in one transaction with the
mark of how far it got, so a crash leaves the index whole and it carries on where it
stopped.
"""

import sqlite3
from collections.abc import Iterable

import msgspec

from ..core.search import searchable

SCHEMA = """
CREATE TABLE IF NOT EXISTS texts (
    rowid INTEGER PRIMARY KEY,
    circle TEXT NOT NULL,
    op TEXT NOT NULL,
    post TEXT NOT NULL,
    folded TEXT NOT NULL,
    UNIQUE (circle, op)
);
CREATE INDEX IF NOT EXISTS texts_by_post ON texts (circle, post);
CREATE VIRTUAL TABLE IF NOT EXISTS texts_search USING fts5(
    folded, content='texts', content_rowid='rowid', tokenize='trigram case_sensitive 1'
);
CREATE TRIGGER IF NOT EXISTS texts_added AFTER INSERT ON texts BEGIN
    INSERT INTO texts_search (rowid, folded) VALUES (new.rowid, new.folded);
END;
CREATE TRIGGER IF NOT EXISTS texts_removed AFTER DELETE ON texts BEGIN
    INSERT INTO texts_search (texts_search, rowid, folded) VALUES ('delete', old.rowid, old.folded);
END;
CREATE TRIGGER IF NOT EXISTS texts_changed AFTER UPDATE ON texts BEGIN
    INSERT INTO texts_search (texts_search, rowid, folded) VALUES ('delete', old.rowid, old.folded);
    INSERT INTO texts_search (rowid, folded) VALUES (new.rowid, new.folded);
END;
CREATE TABLE IF NOT EXISTS texts_indexed (
    circle TEXT PRIMARY KEY,
    arrival INTEGER NOT NULL,
    id TEXT NOT NULL
);
"""

SHORTEST_TRIGRAM_TERM = 3
# Ops per indexing transaction. It holds the store's write lock, and the app's own writes
# (a post, a read mark) wait for it, at most the store's busy timeout (5 s): 2,000 took
# longer than that on a machine loaded twenty times over, and the app's write failed.
BATCH = 200


class _TextData(msgspec.Struct):
    text: str = ""
    title: str = ""
    post: str = ""


class _TextOp(msgspec.Struct):
    """Just what indexing and drawing need of an op (no validation: it was checked when
    stored, and this is read a hundred thousand times)."""

    id: str
    type: str
    data: _TextData


_read = msgspec.json.Decoder(_TextOp).decode
TEXT_OPS = ("post.create", "thread.create", "post.edit")


def texts_of(db: sqlite3.Connection, circle_id: str, op_ids: Iterable[str]) -> dict[str, str]:
    """The texts the ops carried (a post's, or one of its edits'), by op id; an op not
    stored, or carrying no text, is left out."""
    wanted = list(dict.fromkeys(op_ids))
    found: dict[str, str] = {}
    for start in range(0, len(wanted), 500):  # SQLite's limit on bound values
        chunk = wanted[start : start + 500]
        marks = ",".join("?" * len(chunk))
        rows = db.execute(
            f"SELECT body FROM ops WHERE circle = ? AND id IN ({marks})", (circle_id, *chunk)
        )
        for (body,) in rows:
            op = _read(body)
            if op.type in TEXT_OPS:
                found[op.id] = op.data.text
    return found


def _title_of(db: sqlite3.Connection, circle_id: str, post_id: str) -> str | None:
    """The title of the thread ``post_id`` opens, if it opens one (and is stored)."""
    row = db.execute(
        "SELECT body FROM ops WHERE circle = ? AND id = ?", (circle_id, post_id)
    ).fetchone()
    if row is None:
        return None
    op = _read(row[0])
    return op.data.title if op.type == "thread.create" else None


def index_since(db: sqlite3.Connection, circle_id: str, batch: int = BATCH) -> int:
    """Index the next ``batch`` ops stored after the last one indexed; how many ops it
    looked at (0: the index is up to date)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        mark = db.execute(
            "SELECT arrival, id FROM texts_indexed WHERE circle = ?", (circle_id,)
        ).fetchone() or (-1, "")
        rows = db.execute(
            "SELECT stored, id, body FROM ops WHERE circle = ? "
            "AND (stored, id) > (?, ?) ORDER BY stored, id LIMIT ?",
            (circle_id, mark[0], mark[1], batch),
        ).fetchall()
        for _, _, body in rows:
            try:
                op = _read(body)
            except msgspec.DecodeError:
                continue  # unreadable here is unreadable everywhere: load_ops says so
            if op.type in TEXT_OPS:
                _index(db, circle_id, op)
        if rows:
            db.execute(
                "INSERT OR REPLACE INTO texts_indexed VALUES (?, ?, ?)",
                (circle_id, rows[-1][0], rows[-1][1]),
            )
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    return len(rows)


def _index(db: sqlite3.Connection, circle_id: str, op: _TextOp) -> None:
    if op.type == "post.edit":
        post, title = op.data.post, _title_of(db, circle_id, op.data.post)
    else:
        post, title = op.id, op.data.title if op.type == "thread.create" else None
    db.execute(
        "INSERT OR IGNORE INTO texts (circle, op, post, folded) VALUES (?, ?, ?, ?)",
        (circle_id, op.id, post, searchable(op.data.text, title)),
    )
    if op.type == "thread.create":
        # Edits of an opening post indexed before its thread.create (a circle file's
        # lines in another order): fold them again with the title.
        edits = db.execute(
            "SELECT op FROM texts WHERE circle = ? AND post = ? AND op != post",
            (circle_id, op.id),
        ).fetchall()
        for edit_id, text in texts_of(db, circle_id, [row[0] for row in edits]).items():
            db.execute(
                "UPDATE texts SET folded = ? WHERE circle = ? AND op = ?",
                (searchable(text, op.data.title), circle_id, edit_id),
            )


def unindexed(db: sqlite3.Connection, circle_id: str) -> int:
    """How many ops are stored after the last one indexed."""
    mark = db.execute(
        "SELECT arrival, id FROM texts_indexed WHERE circle = ?", (circle_id,)
    ).fetchone() or (-1, "")
    return db.execute(
        "SELECT COUNT(*) FROM ops WHERE circle = ? AND (stored, id) > (?, ?)",
        (circle_id, mark[0], mark[1]),
    ).fetchone()[0]


def matching(db: sqlite3.Connection, circle_id: str, terms: list[str]) -> list[tuple[str, str]]:
    """(post, op) of every indexed text version containing all the (folded) terms."""
    long = [term for term in terms if len(term) >= SHORTEST_TRIGRAM_TERM]
    short = [term for term in terms if len(term) < SHORTEST_TRIGRAM_TERM]
    where = ["circle = ?", *(["instr(folded, ?) > 0"] * len(short))]
    values: list[object] = [circle_id, *short]
    if long:
        # Each term a quoted string: trigrams match it as written, spaces and all.
        phrase = " AND ".join('"' + term.replace('"', '""') + '"' for term in long)
        where.append("rowid IN (SELECT rowid FROM texts_search WHERE texts_search MATCH ?)")
        values.append(phrase)
    rows = db.execute(f"SELECT post, op FROM texts WHERE {' AND '.join(where)}", values)
    return rows.fetchall()


def forget(db: sqlite3.Connection, circle_id: str, op_id: str) -> None:
    """An op dropped from the store leaves the index too."""
    db.execute("DELETE FROM texts WHERE circle = ? AND op = ?", (circle_id, op_id))
