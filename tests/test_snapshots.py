"""A big circle opens from a snapshot of its folded state (core/snapshot.py,
store/snapshots.py, sync/snapshots.py) and ends in the state a full fold gives.

Properties (pure core): a replica resumed from a snapshot, then handed the rest of the
log in any order (ops it covers again, late ops that sort before it), and moved onto a
newer snapshot meanwhile, ends in the state of the full fold; the same for a server
circle (seq order).

In the local store (real SQLite files, a real circle file): a snapshot is written for a
long log and used on the next opening; one made by another reducer version or state
shape is thrown away and rebuilt; one that a late op makes stale is not used; a damaged
one, or one whose writer was killed mid-write, leaves the circle opening from the log.
"""

import asyncio
import os
import signal
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from circles import circle_ops
from histories import HypothesisDraws, deliveries, fold, histories, server_order, with_seqs
from studycircle_tui.core import reducer
from studycircle_tui.core import snapshot as core_snapshot
from studycircle_tui.core.replica import Base, Replica
from studycircle_tui.core.snapshot import Snapshot, digests_of
from studycircle_tui.store import snapshots as stored
from studycircle_tui.store.db import CircleRecord, Store
from studycircle_tui.sync import snapshots
from studycircle_tui.sync.engine import CircleService
from studycircle_tui.sync.file import FileTransport, append_ops, create_circle_file

PROPERTY_SETTINGS = settings(
    deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)


def _key(op):
    return (op.hlc, op.id)


def _base(circle_id, covered, position, stored_ops, ordering="hlc", gone=False):
    """A snapshot of ``covered`` as the store keeps it (encoded, decoded again on use;
    ``gone``: replaced in the store by the time a refold asks for it again), and the
    replica standing on it."""
    state = fold(circle_id, covered)
    blob = core_snapshot.encode(
        Snapshot(state, position, len(covered), digests_of(op.id for op in covered).tobytes(), "")
    )
    clock = max((op.hlc for op in covered), default="")
    base = Base(
        position,
        len(covered),
        digests_of(op.id for op in covered),
        state=lambda: None if gone else core_snapshot.decode(blob).state,
        history=lambda _verdicts: sorted(stored_ops, key=_key),  # the store: every op it holds
    )
    return Replica.resume(circle_id, ordering, base, core_snapshot.decode(blob).state, clock)


# --- properties: the fold from a snapshot is the full fold ----------------------------


@PROPERTY_SETTINGS
@given(histories(), st.data())
def test_a_snapshot_and_a_full_fold_give_the_same_state(history, data):
    draws = HypothesisDraws(data.draw)
    ops = history.sorted_ops()
    expected = fold(history.circle_id, ops)
    cut = data.draw(st.integers(1, len(ops)), label="ops up to the snapshot")
    # Some ops before the cut had not arrived when the snapshot was made: they arrive
    # later and sort before it (a member who was offline).
    late = data.draw(st.sets(st.integers(1, cut - 1) if cut > 1 else st.nothing()))
    covered = [op for index, op in enumerate(ops[:cut]) if index not in late]
    stored_ops = list(covered)
    gone = data.draw(st.booleans(), label="snapshot replaced in the store meanwhile")
    replica = _base(history.circle_id, covered, _key(covered[-1]), stored_ops, gone=gone)
    assert replica.state == fold(history.circle_id, covered)

    rest = [*ops[cut:], *(ops[index] for index in late)]
    again = data.draw(st.lists(st.sampled_from(covered), max_size=3), label="seen again")
    batches = deliveries(draws, [*rest, *again])
    newer_after = data.draw(st.integers(0, len(batches)), label="newer snapshot after")
    base_ops = covered  # the ops the replica's base covers
    for number, batch in enumerate(batches):
        stored_ops.extend(op for op in batch if op not in stored_ops)
        replica.add(batch)
        if replica.base is None:
            base_ops = []  # a late op made it take the whole log back
        log = replica.ops()
        if number == newer_after and log:
            # The service moves the replica onto a newer snapshot of its own log.
            taken = [*base_ops, *log[: data.draw(st.integers(1, len(log)))]]
            newer = Base(
                _key(taken[-1]),
                len(taken),
                digests_of(op.id for op in taken),
                state=lambda taken=taken: fold(history.circle_id, taken),
                history=lambda _verdicts: sorted(stored_ops, key=_key),
            )
            before = replica.state
            assert replica.rebase(newer)
            assert replica.state == before and replica.on_top == len(log) - len(taken) + len(
                base_ops
            )
            base_ops = taken
    assert replica.state == expected
    assert len(replica) == len(ops)


@PROPERTY_SETTINGS
@given(histories())
def test_a_snapshot_gone_from_the_store_when_a_refold_needs_it_refolds_the_log(history):
    """The store holds a newer snapshot by the time an op sorting inside the replica's
    tail needs its base's state again: the replica folds the whole log instead."""
    ops = history.sorted_ops()
    cut = len(ops) // 2
    assume(len(ops) - cut >= 2)
    covered = ops[:cut]
    replica = _base(history.circle_id, covered, _key(covered[-1]), list(ops), gone=True)
    replica.add(ops[-1:])
    replica.add(ops[cut:-1])  # sorts before the op above: a refold
    assert replica.state == fold(history.circle_id, ops)
    assert replica.base is None and len(replica) == len(ops)


@PROPERTY_SETTINGS
@given(histories(), st.data())
def test_a_server_circle_resumes_from_its_snapshot(history, data):
    draws = HypothesisDraws(data.draw)
    shared = [op for op in history.ops if not op.LOCAL_ONLY]
    confirmed = with_seqs(server_order(draws, shared))
    expected = fold(history.circle_id, confirmed)
    cut = data.draw(st.integers(1, len(confirmed)), label="ops up to the snapshot")
    covered = confirmed[:cut]
    replica = _base(history.circle_id, covered, covered[-1].seq, list(covered), "seq")
    for batch in deliveries(draws, confirmed[cut:]):
        replica.add(batch)
    assert replica.state == expected
    assert [op.seq for op in replica.ops()] == list(range(cut + 1, len(confirmed) + 1))


# --- in the local store ---------------------------------------------------------------

READER = "01" + "R" * 24


@pytest.fixture(autouse=True)
def small_snapshots(monkeypatch):
    """Snapshots for logs of tens of ops, not thousands: the same code, smaller numbers."""
    monkeypatch.setattr(snapshots, "TAIL_OPS", 5)
    monkeypatch.setattr(snapshots, "REWRITE_AFTER", 10)
    monkeypatch.setattr(snapshots, "SNAPSHOT_FROM", 15)


@pytest.fixture
def big(tmp_path):
    """A circle file of 43 ops (one thread of 40 replies)."""
    circle_id, ops = circle_ops(40)
    path = tmp_path / "circle.jsonl"
    create_circle_file(path, ops)
    return circle_id, ops, path


def _open(tmp_path, circle_id, path) -> CircleService:
    """The reader's service, as the app opens it: its store, then a sync with the file."""
    store = Store(tmp_path / "reader.sqlite3")
    record = CircleRecord(circle_id, "Big", "file", str(path), READER)
    store.save_circle(record)
    service = CircleService(store, record, FileTransport(path))
    asyncio.run(service.sync_once())
    service.circle._snapshots.join(30)  # the background writer, if the sync started it
    return service


def _row(service):
    return service.store.db.execute(
        "SELECT reducer, shape, schema, body FROM snapshots WHERE circle = ?",
        (service.record.id,),
    ).fetchone()


def _doctor(service, name: str) -> None:
    """Rewrite the circle's snapshot, same marks, with its channel renamed: a snapshot
    that is used shows ``name``; one thrown away shows the log's "general"."""
    circle_id, ordering = service.record.id, service.replica.ordering
    arrival, body = stored.read(service.store.db, circle_id, snapshots.marks(ordering))
    snapshot = core_snapshot.decode(body)
    for channel in snapshot.state.channels.values():
        channel.name = name
    stored.write(
        service.store.db,
        circle_id,
        snapshots.marks(ordering),
        arrival,
        core_snapshot.encode(snapshot),
    )


def _channel_names(service) -> set[str]:
    return {channel.name for channel in service.state.channels.values()}


def test_a_long_log_opens_from_its_snapshot(tmp_path, big):
    circle_id, ops, path = big
    first = _open(tmp_path, circle_id, path)  # folds it all, writes the snapshot
    assert _row(first) is not None
    first.close()
    again = _open(tmp_path, circle_id, path)
    assert again.replica.base is not None
    assert again.replica.on_top == snapshots.TAIL_OPS  # only the ops after it folded
    assert again.state == reducer.fold(circle_id, ops)
    assert len(again.replica) == len(ops)


@pytest.mark.parametrize("change", ["reducer", "shape", "schema"])
def test_a_snapshot_made_by_other_code_is_thrown_away_and_rebuilt(
    tmp_path, big, monkeypatch, change
):
    circle_id, ops, path = big
    service = _open(tmp_path, circle_id, path)
    _doctor(service, "from the snapshot")
    service.close()
    control = _open(tmp_path, circle_id, path)
    assert _channel_names(control) == {"from the snapshot"}  # used while the code agrees
    control.close()

    if change == "reducer":
        monkeypatch.setattr(reducer, "VERSION", reducer.VERSION + 1)
    elif change == "shape":
        monkeypatch.setattr(snapshots, "shape", lambda: "another state")
    else:
        monkeypatch.setattr(snapshots, "SCHEMA_VERSION", snapshots.SCHEMA_VERSION + 1)
    reopened = _open(tmp_path, circle_id, path)
    assert _channel_names(reopened) == {"general"}
    assert reopened.state == reducer.fold(circle_id, ops)
    # Rebuilt for this code, and used from then on.
    assert reopened.replica.base is not None
    marks = snapshots.marks("hlc")
    assert _row(reopened)[:3] == (marks[2], marks[1], marks[3])


def test_a_snapshot_a_late_op_sorts_before_is_not_used(tmp_path, big):
    circle_id, ops, path = big
    service = _open(tmp_path, circle_id, path)
    position = core_snapshot.decode(_row(service)[3]).position
    _doctor(service, "from the snapshot")
    # A member who was offline: their reply, stamped long before the snapshot's
    # position, reaches the file now.
    writer = Replica(circle_id)
    writer.add(ops[:3])
    late = writer.make(
        ops[0].actor,
        "post.create",
        {"thread": ops[2].id, "text": "late"},
        1_700_000_000_004,
        os.urandom(10),
    )
    assert _key(late) < position
    append_ops(path, [late])
    asyncio.run(service.sync_once())
    everything = sorted([*ops, late], key=_key)
    # The running service: the late op makes its replica take the whole log back.
    assert late.id in service.state.posts
    assert service.replica.base is None or service.replica.base.covers(late)
    service.close()

    reopened = _open(tmp_path, circle_id, path)
    assert _channel_names(reopened) == {"general"}  # the stale snapshot was not used
    assert reopened.state == reducer.fold(circle_id, everything)
    assert late.id in reopened.state.posts


def test_a_damaged_snapshot_leaves_the_circle_opening(tmp_path, big):
    circle_id, ops, path = big
    service = _open(tmp_path, circle_id, path)
    _doctor(service, "from the snapshot")
    # A byte changed on disk (a bad sector, a torn page): the checksum no longer agrees.
    body = bytearray(_row(service)[3])
    body[len(body) // 2] ^= 0x01
    service.store.db.execute("UPDATE snapshots SET body = ?", (bytes(body),))
    service.close()
    reopened = _open(tmp_path, circle_id, path)
    assert _channel_names(reopened) == {"general"}
    assert reopened.state == reducer.fold(circle_id, ops)


KILLED_WRITER = """
import sys, time
from pathlib import Path
from studycircle_tui.store import snapshots
from studycircle_tui.store.db import Store
store = Store(Path(sys.argv[1]))
circle_id, ordering, data = sys.argv[2], sys.argv[3], bytes.fromhex(sys.stdin.read())
from studycircle_tui.sync import snapshots as writing
store.db.execute("BEGIN IMMEDIATE")
snapshots.write(store.db, circle_id, writing.marks(ordering), 10**9, data)
if sys.argv[4] == "commit":
    store.db.execute("COMMIT")
print("written", flush=True)
time.sleep(600)
"""


@pytest.mark.parametrize("ends", ["killed", "commit"])
def test_a_process_killed_while_writing_a_snapshot_leaves_the_circle_opening(tmp_path, big, ends):
    circle_id, ops, path = big
    service = _open(tmp_path, circle_id, path)
    _, body = stored.read(service.store.db, circle_id, snapshots.marks("hlc"))
    snapshot = core_snapshot.decode(body)
    for channel in snapshot.state.channels.values():
        channel.name = "half written"
    service.close()
    writer = subprocess.Popen(
        [
            sys.executable,
            "-c",
            KILLED_WRITER,
            str(tmp_path / "reader.sqlite3"),
            circle_id,
            "hlc",
            ends,
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    writer.stdin.write(core_snapshot.encode(snapshot).hex())
    writer.stdin.close()
    assert writer.stdout.readline().strip() == "written"
    os.kill(writer.pid, signal.SIGKILL)  # mid-write (killed), or just after (control)
    writer.wait()
    reopened = _open(tmp_path, circle_id, path)
    if ends == "commit":  # the control: a snapshot written whole is used
        assert _channel_names(reopened) == {"half written"}
    else:
        assert _channel_names(reopened) == {"general"}
        assert reopened.state == reducer.fold(circle_id, ops)
