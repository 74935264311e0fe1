"""Opening a circle from its snapshot, and keeping that snapshot near the log's end.

Opening (``open_replica``): the circle's snapshot, when the store has one this code made
(``store/snapshots.py`` checks the marks and the checksum), that is not stale (no op
stored since sorts at or before it) and not ahead of this computer's horizon (a clock put
back by more than a day would hold back ops it covers), gives a replica standing on it
(``Replica.resume``); the service then folds the ops after it, as it folded everything
before. A circle without one, but with a long log, gets one first (``write``, streaming
the log: memory stays that of the state, not of every op at once); a short one is simply
folded.

Keeping it current (``SnapshotWriter``): once ``REWRITE_AFTER`` ops have been folded on top
of it, a thread of its own (its own connection to the store) folds the ops up to
``TAIL_OPS`` before the newest into a copy of the snapshot's state and writes the new one;
the service then moves its replica onto it (``Replica.rebase``), which lets the ops it
covers go from memory. The snapshot stays a little behind the log's end on purpose: a
late op among the newest (a file circle's usual case: a member who was offline a few
minutes) refolds from it in a few milliseconds, where one older than it makes the
replica read the whole log back (``Base.history``).
"""

import threading
from array import array
from collections.abc import Callable, Iterator
from pathlib import Path

from ..core import reducer
from ..core.hlc import horizon
from ..core.ops import SCHEMA_VERSION, Op
from ..core.replica import Base, Ordering, Replica
from ..core.signing import Signatures
from ..core.snapshot import Snapshot, decode, digests_of, encode, shape
from ..core.state import CircleState
from ..store import snapshots
from ..store.db import Store, decode_stored

TAIL_OPS = 500  # the newest ops a snapshot leaves out (see the module's docstring)
REWRITE_AFTER = 1_500  # ops folded on top of a snapshot before a newer one is written
SNAPSHOT_FROM = TAIL_OPS + REWRITE_AFTER  # shorter logs are folded whole at each opening
BATCH = 5_000  # ops read and folded at a time while writing one from the whole log


def marks(ordering: Ordering) -> snapshots.Marks:
    return (ordering, shape(), reducer.VERSION, SCHEMA_VERSION)


def base_of(store: Store, circle_id: str, ordering: Ordering, snapshot: Snapshot) -> Base:
    """What a replica stands on: the snapshot's figures; its state read again from
    ``store`` (the service's own) when a refold needs a fresh copy, rather than its bytes
    kept in memory all along (None when the store now holds another one: the replica
    then folds its history, also read from ``store``)."""

    def state() -> CircleState | None:
        again = _read(store, circle_id, ordering)
        if again is None or again[0].position != snapshot.position:
            return None
        return again[0].state

    return Base(
        snapshot.position,
        snapshot.count,
        _digest_array(snapshot.digests),
        state=state,
        history=lambda verdicts: store.load_ops(circle_id, None, verdicts),
    )


def _digest_array(raw: bytes) -> "array[int]":
    digests = array("Q")
    digests.frombytes(raw)
    return digests


def _read(store: Store, circle_id: str, ordering: Ordering) -> tuple[Snapshot, int] | None:
    """The circle's snapshot made by this code, and its arrival mark, if it reads back."""
    found = snapshots.read(store.db, circle_id, marks(ordering))
    if found is None:
        return None
    arrival, body = found
    try:
        return decode(body), arrival
    except ValueError:  # msgspec.DecodeError is a ValueError
        return None


def _usable(
    store: Store, circle_id: str, ordering: Ordering, now_ms: int
) -> tuple[Snapshot, int] | None:
    """The circle's snapshot and its arrival mark, if it may be used."""
    found = _read(store, circle_id, ordering)
    if found is None:
        return None
    snapshot, arrival = found
    position = snapshot.position
    if isinstance(position, tuple) and position[0] > horizon(now_ms):
        return None  # this computer's clock went back: it may cover ops now held back
    if snapshots.stale(store.db, circle_id, position, arrival):
        return None
    return snapshot, arrival


def open_replica(
    store: Store, circle_id: str, ordering: Ordering, now_ms: int
) -> tuple[Replica, list[Op], list[str]]:
    """A replica for the circle, standing on its snapshot when it can, and the stored ops
    still to hand it (``add``, or ``add_local`` for pending ones), in fold order; with
    what could not be read."""
    usable = _usable(store, circle_id, ordering, now_ms)
    if usable is None and store.count_ops(circle_id) >= SNAPSHOT_FROM:
        write(store, circle_id, ordering, now_ms)
        usable = _usable(store, circle_id, ordering, now_ms)
    if usable is None:
        replica = Replica(circle_id, ordering)
        rows = snapshots.rows_after(store.db, circle_id, None)
    else:
        snapshot, _ = usable
        base = base_of(store, circle_id, ordering, snapshot)
        replica = Replica.resume(circle_id, ordering, base, snapshot.state, snapshot.clock)
        rows = snapshots.rows_after(store.db, circle_id, snapshot.position)
    problems: list[str] = []
    ops = decode_stored(rows, problems, replica.signatures)
    return replica, ops, problems


def write(store: Store, circle_id: str, ordering: Ordering, now_ms: int) -> Snapshot | None:
    """Write the circle's snapshot up to ``TAIL_OPS`` before its newest op, from the one
    it has (if usable) or from the start; the snapshot, or None when there was nothing
    new to cover."""
    db = store.db
    target = snapshots.position_behind(db, circle_id, ordering, TAIL_OPS, horizon(now_ms))
    if target is None:
        return None
    db.execute("BEGIN")  # one read: the arrival mark and the ops read agree
    try:
        arrival = snapshots.last_arrival(db, circle_id)
        previous = _usable(store, circle_id, ordering, now_ms)
    finally:
        db.execute("COMMIT")
    if previous is not None and previous[0].position >= target:  # type: ignore[operator]
        return None
    state = previous[0].state if previous else CircleState(circle_id)
    after = previous[0].position if previous else None
    count = previous[0].count if previous else 0
    digests = digests_of([], _digest_array(previous[0].digests) if previous else None)
    clock = previous[0].clock if previous else ""
    for ops, verdicts in _batches(store, circle_id, after, target, arrival):
        state.signatures = verdicts  # the store's: a fold of stored ops verifies none again
        reducer.apply_all(state, ops)
        state.posts.freeze()  # memory stays that of the state, not of its posts as objects
        count += len(ops)
        digests = digests_of((op.id for op in ops), digests)
        clock = max(clock, *(op.hlc for op in ops))
    snapshot = Snapshot(state, target, count, digests.tobytes(), clock)
    snapshots.write(db, circle_id, marks(ordering), arrival, encode(snapshot))
    return snapshot


def _batches(
    store: Store,
    circle_id: str,
    after: snapshots.Position | None,
    upto: snapshots.Position,
    arrival: int,
) -> Iterator[tuple[list[Op], Signatures]]:
    """The ops after ``after`` up to ``upto``, stored by ``arrival``, a batch at a time,
    with the verdicts on their signatures the store kept (a batch's own: memory stays
    that of one batch)."""
    while True:
        rows = snapshots.rows_between(store.db, circle_id, after, upto, arrival, BATCH)
        verdicts = Signatures()
        ops = decode_stored(rows, None, verdicts)
        if ops:
            yield ops, verdicts
        if len(rows) < BATCH:
            return
        after = rows[-1][3]


class SnapshotWriter:
    """Writes a circle's snapshot on a thread of its own when enough has been folded on
    top of the last one; the service takes the result (``ready``) on its own thread."""

    def __init__(
        self, path: Path, circle_id: str, ordering: Ordering, now_ms: Callable[[], int]
    ) -> None:
        self._path, self._circle, self._ordering, self._now_ms = path, circle_id, ordering, now_ms
        self._thread: threading.Thread | None = None
        self._done: Snapshot | None = None
        self._lock = threading.Lock()
        self.failures: list[BaseException] = []  # kept for the sync log; never fatal

    def due(self, folded_on_top: int) -> None:
        """``folded_on_top`` ops are in memory on top of the snapshot: write a newer one
        if that is enough and none is being written."""
        if folded_on_top < REWRITE_AFTER or self.busy:
            return
        self._thread = threading.Thread(target=self._write, name="snapshot", daemon=True)
        self._thread.start()

    @property
    def busy(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def ready(self) -> Snapshot | None:
        """The snapshot written since last asked, if any."""
        with self._lock:
            done, self._done = self._done, None
        return done

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _write(self) -> None:
        try:
            store = Store(self._path)
        except Exception as error:  # the disk: the app goes on with the old snapshot
            self.failures.append(error)
            return
        try:
            written = write(store, self._circle, self._ordering, self._now_ms())
        except Exception as error:
            self.failures.append(error)
            written = None
        finally:
            store.close()
        if written is not None:
            with self._lock:
                self._done = written
