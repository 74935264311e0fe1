"""A circle file replaced, cut short or rewritten under a running reader.

Synced folders replace the file when another machine's version wins (ours is left as a
conflict copy); a crash or a restore can cut it short. The reader notices (the file's
identity, its size, the bytes before its cursor), reads it again from the start, and
appends again every op it holds that the file lost: replicas converge and no
acknowledged op is lost.
"""

import asyncio
import os
import shutil

import pytest

from circles import join_file_circle, new_file_circle
from studycircle_tui.core.ops import encode_op
from studycircle_tui.store.db import Store
from studycircle_tui.sync.circles import open_file_circle
from studycircle_tui.sync.engine import CircleService
from studycircle_tui.sync.file import Cursor, FileTransport, read_lines, read_since
from studycircle_tui.sync.transport import TransportError


def sync(*services, rounds=2):
    for _ in range(rounds):
        for service in services:
            asyncio.run(service.sync_once())


def post(service, channel, title, text="hello"):
    return service.submit(
        "thread.create", {"channel": channel, "title": title, "kind": "discussion", "text": text}
    )


def shared(service):
    """What every member must agree on (read marks are each member's own)."""
    state = service.state
    return (state.members, state.channels, state.threads, state.posts, state.notes)


def file_ids(path):
    return {op.id for op in read_lines(path).ops}


def held_ids(service):
    return {op.id for op in service.replica.ops() if not op.LOCAL_ONLY}


@pytest.fixture
def two_machines(tmp_path):
    """Lead and Ayu on machine A; Budi on machine B, with his own copy of the file that a
    file-sync tool keeps in step with A's."""
    lead = new_file_circle(tmp_path)
    channel = lead.submit("channel.create", {"name": "general"}).id
    ayu = join_file_circle(tmp_path, "Ayu")
    sync(lead, ayu)
    machine_b = tmp_path / "b"
    machine_b.mkdir()
    shutil.copy(tmp_path / "circle.jsonl", machine_b / "circle.jsonl")
    budi = open_file_circle(Store(machine_b / "Budi.sqlite3"), machine_b / "circle.jsonl", "Budi")
    return tmp_path / "circle.jsonl", machine_b / "circle.jsonl", lead, ayu, budi, channel


def test_when_the_other_machines_version_wins_nothing_is_lost_or_misread(two_machines):
    path, b_path, lead, ayu, budi, channel = two_machines
    mine = [post(ayu, channel, f"from A {n}") for n in range(3)]
    sync(ayu, lead)  # A's file now holds Ayu's posts; B's holds Budi's join
    theirs = [post(budi, channel, f"from B {n}") for n in range(2)]
    sync(budi)
    # The sync tool lets B's version win: A's own becomes a conflict copy beside it.
    os.replace(path, path.with_name("circle.sync-conflict-20261206-101010-AAAAAAA.jsonl"))
    shutil.copy(b_path, path.with_name(".syncthing.tmp"))
    os.replace(path.with_name(".syncthing.tmp"), path)

    heard = []
    lead.subscribe(heard.append)
    sync(lead, ayu)
    texts = [getattr(event, "text", "") for event in heard]
    assert not any("not valid JSON" in text or "skipped" in text for text in texts), texts
    for op in [*mine, *theirs]:
        assert op.id in lead.state.threads and op.id in ayu.state.threads
    assert {op.id for op in mine} <= file_ids(path)  # merged back from the conflict copy
    assert not list(path.parent.glob("*sync-conflict*"))

    shutil.copy(path, b_path.with_name(".tmp"))  # and the merged file reaches B
    os.replace(b_path.with_name(".tmp"), b_path)
    sync(budi)
    assert shared(lead) == shared(ayu) == shared(budi)


def test_a_file_cut_short_mid_line_gets_every_lost_op_back(tmp_path):
    lead = new_file_circle(tmp_path)
    channel = lead.submit("channel.create", {"name": "general"}).id
    ayu, budi = join_file_circle(tmp_path, "Ayu"), join_file_circle(tmp_path, "Budi")
    sync(lead, ayu, budi)
    path = tmp_path / "circle.jsonl"
    cut = path.stat().st_size + 40  # forty bytes into the first line written after this
    for writer in (lead, ayu, budi):
        post(writer, channel, f"by {writer.me}")
        sync(writer, rounds=1)  # appended, fsynced: acknowledged to its author
    sync(lead, ayu, budi)
    acknowledged = held_ids(lead) | held_ids(ayu) | held_ids(budi)
    signed = {op.id: op.sig for op in read_lines(path).ops}
    with path.open("r+b") as handle:  # a crash on a FAT stick, say
        handle.truncate(cut)
    assert not acknowledged <= file_ids(path)

    sync(lead, ayu, budi, rounds=3)
    assert acknowledged <= file_ids(path)
    assert shared(lead) == shared(ayu) == shared(budi)
    assert any("had lost" in notice.text for notice in lead.notices)
    # Appended again by whoever held them, each with its author's signature, byte for
    # byte: nothing is refused as not signed by its author.
    assert {op.id: op.sig for op in read_lines(path).ops} == signed
    for service in (lead, ayu, budi):
        assert not [e for e in service.state.moderation_log if e.action in ("forged", "unsigned")]


def test_a_file_rewritten_in_place_with_other_bytes_is_read_again(two_machines):
    # Some tools write the winning version into the same file (same inode), longer than
    # ours: only the bytes before the cursor tell.
    path, b_path, lead, ayu, budi, channel = two_machines
    mine = post(ayu, channel, "from A")
    sync(ayu, lead)
    for n in range(4):
        post(budi, channel, f"from B {n}", "x" * 200)
    sync(budi)
    lost_copy = path.read_bytes()
    path.write_bytes(b_path.read_bytes())  # in place: same inode, longer than A's
    assert path.stat().st_size > len(lost_copy)
    sync(lead, ayu)
    assert mine.id in file_ids(path)  # Ayu's post was lost in the rewrite and came back
    assert set(budi.state.threads) <= set(lead.state.threads)
    assert not any("skipped" in notice.text for notice in lead.notices)


def test_a_replacement_that_only_adds_lines_appends_nothing_again(two_machines):
    path, b_path, lead, ayu, budi, channel = two_machines
    sync(budi)
    post(budi, channel, "from B")
    sync(budi)
    shutil.copy(b_path, path.with_name(".tmp"))
    os.replace(path.with_name(".tmp"), path)  # B's version holds everything A's did
    size = path.stat().st_size
    sync(lead, ayu)
    assert path.stat().st_size == size
    assert not any("had lost" in notice.text for notice in lead.notices)
    assert shared(lead) == shared(budi)


@pytest.mark.parametrize("back", ["moved back", "copied back into the same inode"])
def test_a_file_that_now_holds_another_circle_is_not_written_to(tmp_path, back):
    """Sync pauses, and resumes once the right file is back, however it comes: ``cp``
    writes into the file it finds (same inode), as some sync tools do."""
    lead = new_file_circle(tmp_path)
    lead.submit("channel.create", {"name": "general"})
    sync(lead)
    path = tmp_path / "circle.jsonl"
    ours = path.read_bytes()
    other_dir = tmp_path / "other"
    other_dir.mkdir()
    other = new_file_circle(other_dir, name="Another", who="Stranger")
    sync(other)
    shutil.copy(other_dir / "circle.jsonl", path)  # the wrong file copied over ours
    before = path.read_bytes()
    with pytest.raises(TransportError, match="another circle"):
        asyncio.run(lead.sync_once())
    meanwhile = lead.submit("channel.create", {"name": "meanwhile"})
    with pytest.raises(TransportError, match="another circle"):
        asyncio.run(lead.sync_once())
    assert path.read_bytes() == before  # neither our history nor our new op
    assert lead.store.outbox_size(lead.record.id) == 1

    inode = path.stat().st_ino
    if back == "moved back":
        path.with_name(".back").write_bytes(ours)
        os.replace(path.with_name(".back"), path)
    else:
        path.write_bytes(ours)
        assert path.stat().st_ino == inode
    sync(lead)
    assert meanwhile.id in file_ids(path)
    assert file_ids(path) == {op.id for op in lead.replica.ops()}


def test_the_cursor_notices_each_kind_of_change(tmp_path):
    path = tmp_path / "c.jsonl"
    lines = [b'{"line": %d}\n' % n for n in range(5)]  # not ops: only positions matter here
    path.write_bytes(b"".join(lines[:3]))
    _, cursor, complete = read_since(path, Cursor())
    assert complete and cursor.offset == path.stat().st_size and cursor.line == 4
    with path.open("ab") as handle:
        handle.write(lines[3])
    _, after, complete = read_since(path, Cursor.parse(str(cursor)))
    assert not complete and after.offset == path.stat().st_size  # appended: read on

    path.write_bytes(b"".join(lines[:2]))  # cut short
    assert read_since(path, after)[2]
    path.write_bytes(b"".join([lines[4], *lines[1:4]]))  # same size, other bytes before
    assert read_since(path, after)[2]
    path.write_bytes(b"".join(lines[:4]))
    copy = tmp_path / "copy.jsonl"
    shutil.copy(path, copy)
    os.replace(copy, path)  # the same bytes, another file
    assert read_since(path, after)[2]
    assert read_since(path, Cursor.parse("120:4"))[2]  # a cursor from before this check
    assert read_since(path, Cursor.parse("not a cursor"))[2]


def test_a_long_last_line_is_checked_at_both_ends(tmp_path):
    path = tmp_path / "c.jsonl"
    head = b'{"id": "A", "text": "'
    path.write_bytes(head + b"y" * 10_000 + b'"}\n')
    _, cursor, _ = read_since(path, Cursor())
    path.write_bytes(b'{"id": "B", "text": "' + b"y" * 10_000 + b'"}\n')  # only the id differs
    assert read_since(path, cursor)[2]


def test_pulling_a_replaced_file_says_it_is_complete(tmp_path):
    lead = new_file_circle(tmp_path)
    path = tmp_path / "circle.jsonl"
    transport = FileTransport(path, lead.record.id)
    first = asyncio.run(transport.pull(None))
    again = asyncio.run(transport.pull(first.cursor))
    assert first.complete and not again.complete and again.ops == []
    shutil.copy(path, tmp_path / "tmp")
    os.replace(tmp_path / "tmp", path)
    replaced = asyncio.run(transport.pull(again.cursor))
    assert replaced.complete and {op.id for op in replaced.ops} == file_ids(path)
    assert encode_op(replaced.ops[0]) == path.read_bytes().split(b"\n")[0]


class CutJustBehindUs(FileTransport):
    """A file cut short between our append and our next read: a sync tool restoring an
    older version at that moment. Only bytes after our cursor change, so only the ops
    we appended tell: they do not come back."""

    def __init__(self, path):
        super().__init__(path)
        self.size_before_push = None
        self.cut = False

    async def push(self, ops, progress=None):
        if self.size_before_push is None:  # once
            self.size_before_push = self.path.stat().st_size
        return await super().push(ops, progress)

    async def pull(self, cursor, wait=0.0, limit=0):
        if self.size_before_push and not self.cut:
            with self.path.open("r+b") as handle:
                handle.truncate(self.size_before_push + 30)  # mid-line, after our cursor
            self.cut = True
        return await super().pull(cursor, wait, limit)


def test_ops_cut_off_before_they_were_read_back_are_appended_again(tmp_path):
    lead = new_file_circle(tmp_path)
    channel = lead.submit("channel.create", {"name": "general"}).id
    sync(lead)
    path = tmp_path / "circle.jsonl"
    cutting = CircleService(lead.store, lead.record, CutJustBehindUs(path), lead.now_ms)
    thread = post(cutting, channel, "cut off")
    asyncio.run(cutting.sync_once())  # appended, acknowledged, then cut off before read back
    assert thread.id not in file_ids(path)
    assert cutting.store.outbox_size(lead.record.id) == 1  # noticed: queued again
    asyncio.run(cutting.sync_once())
    assert thread.id in file_ids(path)
    assert any("had lost 1" in notice.text for notice in cutting.notices)
