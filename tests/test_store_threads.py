"""One Store used by two threads at once, as a CircleService uses it: the store thread
writes members' ops while the sync loop reads (and writes what it delivered). Issue 13:
with one SQLite connection shared by both, a write was refused with another thread's
error ("not an error", "no more rows available") and a player's answer was lost."""

import sqlite3
import threading

import pytest

from circles import circle_ops
from studycircle_tui.store.db import Store

WRITES = 1500


def test_every_op_is_stored_while_another_thread_reads_and_writes_beside_it(tmp_path):
    store = Store(tmp_path / "replica.sqlite3")
    circle, ops = circle_ops(WRITES)
    refused: list[BaseException] = []
    written = threading.Event()

    def store_thread() -> None:
        for op in ops:  # one transaction per op, as a player's answer is
            try:
                store.add_ops(circle, [op], outbox=True)
            except sqlite3.Error as error:
                refused.append(error)
        written.set()

    def sync_loop() -> None:
        seen = 0
        while not written.is_set():
            try:
                _, seen = store.stored_since(circle, seen)
                queued = store.outbox_ids(circle)
                store.missing(circle, queued)
                store.last_stored(circle)
                store.changed_elsewhere()
                store.delivered(circle, list(queued)[:2])  # the loop writes too
            except sqlite3.Error as error:
                refused.append(error)

    def indexer() -> None:  # another connection committing meanwhile (the text index)
        beside = Store(store.path)
        while not written.is_set():
            beside.set_cursor("elsewhere", "file", str(len(refused)))
        beside.close()

    threads = [threading.Thread(target=work) for work in (store_thread, sync_loop, indexer)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert refused == []
    assert store.missing(circle, [op.id for op in ops]) == set()
    assert store.last_stored(circle) == len(ops)  # each numbered once, in turn
    store.close()


def test_a_write_by_the_stores_other_thread_is_not_elsewhere(tmp_path):
    """``changed_elsewhere`` is for what other processes (or another Store on the file)
    wrote; what this Store wrote, from whichever thread, the service folded itself."""
    store = Store(tmp_path / "replica.sqlite3")
    circle, ops = circle_ops(3)
    store.changed_elsewhere()
    store.add_ops(circle, ops[:1], outbox=True)  # on this thread
    assert not store.changed_elsewhere()
    other = threading.Thread(target=lambda: store.add_ops(circle, ops[1:2], outbox=True))
    other.start()
    other.join()
    store.set_draft(circle, "m1", "thread", "typed")
    assert not store.changed_elsewhere()
    store.close()


def test_a_write_by_another_store_on_the_file_is_elsewhere(tmp_path):
    path = tmp_path / "replica.sqlite3"
    store, beside = Store(path), Store(path)  # the app and a `notes import` beside it
    circle, ops = circle_ops(2)
    store.changed_elsewhere()
    store.add_ops(circle, ops[:1])
    beside.add_ops(circle, ops[1:])
    assert store.changed_elsewhere()
    assert not store.changed_elsewhere()  # said once
    # Its write is seen even when this Store's other thread writes right after it.
    beside.set_cursor(circle, "file", "7")
    other = threading.Thread(target=lambda: store.set_cursor(circle, "file", "8"))
    other.start()
    other.join()
    assert store.changed_elsewhere()
    store.close()
    beside.close()


def test_a_store_closed_from_another_thread_closes_every_connection_it_opened(tmp_path):
    path = tmp_path / "replica.sqlite3"
    store = Store(path)
    circle, ops = circle_ops(1)
    store.add_ops(circle, ops)
    reader = threading.Thread(target=lambda: store.count_ops(circle))  # its own connection
    reader.start()
    reader.join()
    store.count_ops(circle)
    closing = threading.Thread(target=store.close)
    closing.start()
    closing.join()
    # SQLite removes the write-ahead log when the file's last connection closes.
    assert not path.with_name(path.name + "-wal").exists()
    for use in (lambda: store.count_ops(circle), lambda: store.set_cursor(circle, "f", "1")):
        with pytest.raises(sqlite3.ProgrammingError):
            use()
