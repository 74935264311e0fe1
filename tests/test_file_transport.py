"""The shared circle file: whole-line appends under a lock, torn and malformed lines,
and the copies file-sync tools leave behind."""

import asyncio
import multiprocessing
import os

from circles import circle_ops
from studycircle_tui.core.ops import encode_op
from studycircle_tui.sync import file
from studycircle_tui.sync.file import (
    FileTransport,
    append_ops,
    conflict_copies,
    create_circle_file,
    merge_conflict_copies,
    read_lines,
)


def _append_each(path, ops_bytes):
    from studycircle_tui.core.ops import decode_op

    for raw in ops_bytes:
        append_ops(path, [decode_op(raw)])


def test_two_processes_appending_at_once_lose_and_double_nothing(tmp_path):
    path = tmp_path / "circle.jsonl"
    _, ops = circle_ops(2_000)
    create_circle_file(path, ops[:3])
    halves = [[encode_op(op) for op in ops[3:1003]], [encode_op(op) for op in ops[1003:2003]]]
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_append_each, args=(path, half)) for half in halves]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(120)
        assert writer.exitcode == 0
    result = read_lines(path)
    ids = [op.id for op in result.ops]
    assert result.problems == []
    assert len(ids) == 2_003 and len(set(ids)) == 2_003
    assert set(ids) == {op.id for op in ops[:2003]}


def test_garbage_and_torn_lines_are_reported_by_number_and_kept(tmp_path):
    path = tmp_path / "circle.jsonl"
    _, ops = circle_ops(2)
    good = [encode_op(op) for op in ops]
    content = b"\n".join([good[0], good[1], b"this is not json", good[2], good[3]]) + b"\n"
    content += good[4][:40]  # a writer died halfway through its line
    path.write_bytes(content)

    result = read_lines(path)
    assert [op.id for op in result.ops] == [op.id for op in ops[:4]]
    assert any("line 3" in problem and "not valid JSON" in problem for problem in result.problems)
    assert any("line 6" in problem and "incomplete" in problem for problem in result.problems)
    assert path.read_bytes() == content  # reading changed nothing

    append_ops(path, [ops[4]])
    after = path.read_bytes()
    assert after.startswith(content)  # every byte it had is still there
    again = read_lines(path)
    assert ops[4].id in {op.id for op in again.ops}
    assert any("line 6" in problem for problem in again.problems)  # the torn line, skipped


def test_a_schema_error_names_the_field(tmp_path):
    path = tmp_path / "circle.jsonl"
    _, ops = circle_ops(0)
    bad = encode_op(ops[1]).replace(b'"name":"general"', b'"name":5')
    path.write_bytes(encode_op(ops[0]) + b"\n" + bad + b"\n")
    result = read_lines(path)
    assert len(result.ops) == 1
    assert "line 2" in result.problems[0] and "$.data.name" in result.problems[0]


def test_reading_from_a_cursor_returns_only_new_lines(tmp_path):
    path = tmp_path / "circle.jsonl"
    _, ops = circle_ops(5)
    create_circle_file(path, ops[:4])
    first = read_lines(path)
    append_ops(path, ops[4:])
    second = read_lines(path, first.offset, first.line)
    assert [op.id for op in second.ops] == [op.id for op in ops[4:]]
    assert second.line == len(ops) + 1


def test_conflict_copies_are_merged_by_id_then_removed(tmp_path):
    path = tmp_path / "club.jsonl"
    _, ops = circle_ops(6)
    create_circle_file(path, ops[:5])
    syncthing = tmp_path / "club.sync-conflict-20261128-101010-ABCDEF.jsonl"
    dropbox = tmp_path / "club (Ayu's conflicted copy 2026-11-28).jsonl"
    syncthing.write_bytes(b"".join(encode_op(op) + b"\n" for op in ops[:6]))
    dropbox.write_bytes(b"".join(encode_op(op) + b"\n" for op in [*ops[:3], *ops[6:]]))
    assert set(conflict_copies(path)) == {syncthing, dropbox}

    notices = merge_conflict_copies(path)
    ids = [op.id for op in read_lines(path).ops]
    assert sorted(ids) == sorted(op.id for op in ops)  # everything, each once
    assert not syncthing.exists() and not dropbox.exists()
    assert len(notices) == 2


def test_a_conflict_copy_with_unreadable_lines_is_kept(tmp_path):
    path = tmp_path / "club.jsonl"
    _, ops = circle_ops(2)
    create_circle_file(path, ops[:3])
    copy = tmp_path / "club.sync-conflict-20261128-101010-ABCDEF.jsonl"
    copy.write_bytes(encode_op(ops[3]) + b"\n{broken\n")
    notices = merge_conflict_copies(path)
    assert copy.exists()
    assert ops[3].id in {op.id for op in read_lines(path).ops}
    assert "kept the copy" in notices[0]


def test_creating_never_overwrites(tmp_path):
    path = tmp_path / "club.jsonl"
    path.write_bytes(b"precious\n")
    _, ops = circle_ops(0)
    try:
        create_circle_file(path, ops)
    except Exception as error:
        assert "not overwriting" in str(error)
    else:
        raise AssertionError("create_circle_file overwrote a file")
    assert path.read_bytes() == b"precious\n"
    assert os.stat(path).st_size == 9


def _hold_the_lock(path, locked, release):
    import fcntl

    fd = os.open(path, os.O_RDWR)
    fcntl.lockf(fd, fcntl.LOCK_EX)
    locked.set()
    release.wait(60)
    os.close(fd)


def _waiting_for_a_lock(path) -> bool:
    """Whether the kernel lists a lock request on ``path`` blocked behind another."""
    inode = os.stat(path).st_ino
    with open("/proc/locks", encoding="ascii") as locks:
        return any("->" in line and f":{inode} " in line for line in locks)


def test_a_writer_waits_while_another_process_holds_the_lock(tmp_path):
    # On a local disk one write() is whole anyway; on NFS and SMB an append is not
    # atomic, and the lock is what keeps two writers' lines from mixing there.
    import threading
    import time

    path = tmp_path / "circle.jsonl"
    _, ops = circle_ops(1)
    create_circle_file(path, ops[:3])
    before = path.read_bytes()
    context = multiprocessing.get_context("spawn")
    locked, release = context.Event(), context.Event()
    holder = context.Process(target=_hold_the_lock, args=(path, locked, release))
    holder.start()
    try:
        assert locked.wait(60)
        writer = threading.Thread(target=append_ops, args=(path, [ops[3]]))
        writer.start()
        deadline = time.monotonic() + 30
        while not _waiting_for_a_lock(path) and writer.is_alive():
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert _waiting_for_a_lock(path)  # the writer is queued behind the holder...
        assert path.read_bytes() == before  # ...and has written nothing
    finally:
        release.set()
        holder.join(60)
    writer.join(60)
    assert path.read_bytes() == before + encode_op(ops[3]) + b"\n"


async def test_a_pull_merges_a_copy_and_reads_in_one_trip_to_a_thread(tmp_path, monkeypatch):
    """Each trip back from a thread waits for a turn of the event loop, and an ssh-serve
    worker drawing thirty apps has long turns: a pull makes one, copies and all."""
    path = tmp_path / "club.jsonl"
    _, ops = circle_ops(2)
    create_circle_file(path, ops[:3])
    copy = tmp_path / "club.sync-conflict-20261128-101010-ABCDEF.jsonl"
    copy.write_bytes(encode_op(ops[3]) + b"\n")
    trips = []
    to_thread = asyncio.to_thread

    async def counted(work, *args):
        trips.append(work)
        return await to_thread(work, *args)

    monkeypatch.setattr(file.asyncio, "to_thread", counted)
    pulled = await FileTransport(path, notifications=False).pull(None)
    assert len(trips) == 1
    assert {op.id for op in pulled.ops} == {op.id for op in ops[:4]}  # the copy's op too
    assert not copy.exists()
