"""The local replica on disk: dedup by id, outbox, cursors, drafts, and durability."""

import contextlib
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading

from circles import circle_ops
from studycircle_tui.store.db import CircleRecord, Store


def test_ops_are_stored_once_and_load_in_fold_order(tmp_path):
    store = Store(tmp_path / "r.sqlite3")
    circle, ops = circle_ops(20)
    shuffled = ops[::-1]
    assert len(store.add_ops(circle, shuffled)) == len(ops)
    assert store.add_ops(circle, ops) == []  # the same ids again: nothing new
    assert [op.id for op in store.load_ops(circle)] == [op.id for op in ops]
    assert store.count_ops(circle) == len(ops)


def test_outbox_holds_new_ops_until_delivered(tmp_path):
    store = Store(tmp_path / "r.sqlite3")
    circle, ops = circle_ops(3)
    store.add_ops(circle, ops[:2])
    store.add_ops(circle, ops[2:], outbox=True)
    assert [op.id for op in store.outbox(circle)] == [op.id for op in ops[2:]]
    store.delivered(circle, [ops[2].id])
    assert store.outbox_size(circle) == len(ops) - 3


def test_confirmation_records_the_seq(tmp_path):
    import msgspec

    store = Store(tmp_path / "r.sqlite3")
    circle, ops = circle_ops(1)
    store.add_ops(circle, ops)
    confirmed = msgspec.structs.replace(ops[1], seq=7)
    assert store.add_ops(circle, [confirmed]) == []
    assert {op.id: op.seq for op in store.load_ops(circle)}[ops[1].id] == 7


def test_dropped_op_leaves_store_and_outbox(tmp_path):
    store = Store(tmp_path / "r.sqlite3")
    circle, ops = circle_ops(1)
    store.add_ops(circle, ops, outbox=True)
    store.drop_op(circle, ops[-1].id)
    assert ops[-1].id not in {op.id for op in store.load_ops(circle)}
    assert ops[-1].id not in {op.id for op in store.outbox(circle)}


def test_circles_cursors_and_drafts_survive_reopening(tmp_path):
    path = tmp_path / "r.sqlite3"
    store = Store(path)
    store.save_circle(CircleRecord("C1", "Club", "file", "/x/c.jsonl", "M1", 5))
    store.save_circle(CircleRecord("C2", "Other", "file", "/x/d.jsonl", "M2", 9))
    store.set_cursor("C1", "local file", "120:4")
    store.set_draft("C1", "M1", "T1", "half a thought")
    store.set_draft("C1", "M9", "T1", "another member's")
    store.close()
    again = Store(path)
    assert [c.id for c in again.circles()] == ["C2", "C1"]  # most recently opened first
    assert again.circle_at("file", "/x/c.jsonl").member_id == "M1"
    assert again.cursor("C1", "local file") == "120:4"
    assert again.drafts("C1", "M1") == {"T1": "half a thought"}
    assert again.drafts("C1", "M9") == {"T1": "another member's"}  # one store, several members
    again.set_draft("C1", "M1", "T1", "")
    assert again.drafts("C1", "M1") == {}
    assert again.drafts("C1", "M9") == {"T1": "another member's"}


def test_a_draft_saved_during_another_threads_transaction_is_not_rolled_back_with_it(tmp_path):
    """The app's store thread and its sync loop share one connection. A draft written
    while the other thread is inside a transaction waits for it, rather than joining it
    and being lost when that transaction fails and rolls back."""
    store = Store(tmp_path / "r.sqlite3")
    inside = threading.Event()

    def save() -> None:
        inside.wait()
        store.set_draft("C1", "M1", "T1", "half a thought")

    saving = threading.Thread(target=save)
    saving.start()
    with contextlib.suppress(RuntimeError), store._transaction():
        inside.set()
        saving.join(timeout=0.3)  # time enough for a write that does not wait to land here
        raise RuntimeError("the disk said no")
    saving.join()
    assert store.drafts("C1", "M1") == {"T1": "half a thought"}


def test_drafts_from_before_members_had_their_own_go_to_the_stores_member(tmp_path):
    import sqlite3

    path = tmp_path / "old.sqlite3"
    old = sqlite3.connect(path)
    old.executescript(
        "CREATE TABLE circles (id TEXT PRIMARY KEY, name TEXT NOT NULL, transport TEXT NOT "
        "NULL, location TEXT NOT NULL, member_id TEXT NOT NULL, opened_ms INTEGER NOT NULL "
        "DEFAULT 0);"
        "CREATE TABLE drafts (circle TEXT NOT NULL, place TEXT NOT NULL, text TEXT NOT NULL, "
        "PRIMARY KEY (circle, place));"
        "INSERT INTO circles VALUES ('C1', 'Club', 'file', '/x/c.jsonl', 'M1', 5);"
        "INSERT INTO drafts VALUES ('C1', 'T1', 'kept from before');"
    )
    old.commit()
    old.close()
    store = Store(path)
    assert store.drafts("C1", "M1") == {"T1": "kept from before"}
    store.close()
    assert Store(path).drafts("C1", "M1") == {"T1": "kept from before"}  # migrated once


def test_a_read_this_thread_left_open_does_not_refuse_a_write(tmp_path):
    """The sync loop reads while the store thread writes, and another connection (the
    text indexer) commits in between. When the two threads shared a connection, SQLite
    refused the write at once (the read's snapshot was too old to write from), and a
    player's answer was lost; now the write is on the writer's own connection."""
    store = Store(tmp_path / "replica.sqlite3")
    for circle in ("c1", "c2"):  # two rows: a read of one is left open on the next
        store.save_circle(CircleRecord(circle, "Club", "file", f"/{circle}", "m1"))
    indexer = sqlite3.connect(store.path, isolation_level=None)
    indexer.execute("CREATE TABLE elsewhere (x)")
    reading = store.db.execute("SELECT id FROM circles")
    reading.fetchone()  # the loop's read, not finished
    indexer.execute("INSERT INTO elsewhere VALUES (1)")  # a commit meanwhile
    store.set_cursor("c1", "file", "42")  # a lone write
    store.drop_op("c1", "none")  # a transaction (BEGIN IMMEDIATE)
    assert reading.fetchone() is not None  # the read went on all along
    assert store.cursor("c1", "file") == "42"
    indexer.close()


def test_store_uses_wal(tmp_path):
    store = Store(tmp_path / "r.sqlite3")
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    sys.path.insert(0, sys.argv[2])
    from circles import circle_ops
    from studycircle_tui.store.db import Store

    store = Store(Path(sys.argv[1]))
    circle, ops = circle_ops(100_000)
    print(circle, flush=True)
    for op in ops:
        store.add_ops(circle, [op], outbox=True)
        print(op.id, flush=True)  # acknowledged: add_ops has returned
    """
)


def test_acknowledged_ops_survive_sigkill(tmp_path):
    path = tmp_path / "r.sqlite3"
    tests_dir = str(__import__("pathlib").Path(__file__).parent)
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), tests_dir],
        stdout=subprocess.PIPE,
        text=True,
    )
    circle = writer.stdout.readline().strip()
    acknowledged = [writer.stdout.readline().strip() for _ in range(300)]
    writer.send_signal(signal.SIGKILL)  # in the middle of its writes
    writer.wait()
    acknowledged += [line.strip() for line in writer.stdout if line.strip()]
    store = Store(path)
    stored = {op.id for op in store.load_ops(circle)}
    assert set(acknowledged) <= stored
    assert set(acknowledged) <= {op.id for op in store.outbox(circle)}
