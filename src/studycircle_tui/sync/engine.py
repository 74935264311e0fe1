"""The service the TUI talks to: one circle's state, submitting ops, and background sync.

Writes go to the local store (and its outbox) first, then to the in-memory replica, so
the app works offline and an acknowledged op is on disk. ``run()`` is the sync loop: it
pushes the outbox, pulls what the other side has, and tells listeners what changed.
The TUI never touches SQLite, files or HTTP itself.

What goes wrong while syncing never ends the app: an unreachable server or file pauses
sync (status "offline", a notice) and an unexpected error becomes a notice with its
traceback in the sync log (``synclog``); either way sync is retried with backoff.

A big circle opens from its snapshot and keeps it current in the background
(``snapshots.py``); post texts are read from the store when drawn and searched through
its index (``reading.py``): ``texts`` and ``search`` are how screens get them.

The service hands the replica the time: ops stamped more than a day ahead of this
computer's clock are held back by the replica and reported here, and folded once that
time comes. When a file transport says a read was ``complete`` (the file was new to us,
replaced or cut short), every op this replica holds that the file lacks goes back into
the outbox, so what the file lost is appended again. Ops appended after the cursor can
be lost before they are read back (the file cut short just behind us): a file
``echoes`` what is pushed to it, so an op a pull to the end did not bring back is
appended again too. Ops other members made are appended again as well, exactly as
they were: a member's op was acknowledged to them once it was in the file, and may be
lost for good if the file was its only copy (its author's machine gone); relaying it
changes nothing about who made it, as merging a conflict copy already does.

Other processes of the same user share the store: ``studycircle notes import`` or ``quiz
import`` beside the open app, a second app. What they store (their own ops, ops they
pulled, a server's confirmation) is folded here too, at the start and the end of every
sync round (``_fold_what_others_stored``): otherwise the app would never show it, since
they also move the shared cursor past it. It costs two small queries a round when no
other process wrote.

Every op still waiting in the outbox is listed in the status (``queued``), so the app can
show that a post or an answer is only on this computer yet (``waiting_to_send``).

Over 400 lines: the sync loop, and each thing it folds or sends again, read best together.
"""

import asyncio
import contextlib
import dataclasses
import os
import random
import time
from collections.abc import Callable

from ..core import permissions
from ..core.hlc import describe_ahead
from ..core.ops import Op
from ..core.replica import Change, Replica
from ..core.schedule import to_ics
from ..core.search import SearchResult
from ..core.state import CircleState
from ..store.db import CircleRecord, Store
from ..store.texts import TEXT_OPS
from . import snapshots, synclog
from .reading import CACHED_TEXTS, PostTexts, Searcher, StoreReader, TextIndexer
from .transport import Pulled, Transport, TransportError


class Refused(Exception):
    """The op would not apply: the text says why (not allowed, no such post, …)."""


@dataclasses.dataclass(slots=True, frozen=True)
class SyncStatus:
    """What the status line shows: "local file", "online", or "offline" since when."""

    transport: str
    state: str  # "synced" | "online" | "offline"
    since_ms: int = 0
    waiting: int = 0  # ops in the outbox
    queued: frozenset[str] = frozenset()  # their ids: made here, not yet sent


@dataclasses.dataclass(slots=True, frozen=True)
class Notice:
    """A readable line about input that was skipped or an op that was refused."""

    text: str
    severity: str = "warning"


Event = Change | SyncStatus | Notice
Listener = Callable[[Event], None]


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


class CircleService:
    POLL_SECONDS = 0.3  # a file circle shows others' posts within a second
    # A server circle's long-polls start at most this often. After a quiet wait the next
    # one starts at once; in a burst (200 players answering a quiz question) each client
    # takes the burst in a few pulls instead of one per op, which keeps the server and
    # every client's CPU free for the reveal (bench/quiz_fanout.py).
    LONG_POLL_INTERVAL = 0.1
    MAX_BACKOFF_SECONDS = 15.0

    def __init__(
        self,
        store: Store,
        record: CircleRecord,
        transport: Transport,
        now_ms: Callable[[], int] = _now_ms,
    ) -> None:
        self.store = store
        self.record = record
        self.transport = transport
        self.now_ms = now_ms
        ordering = "seq" if transport.ordering == "seq" else "hlc"
        self._reader = StoreReader(store.path)
        self.texts = PostTexts(self._reader, record.id)
        self._searcher = Searcher(self._reader, self.texts, record.id)
        self._indexer = TextIndexer(store.path, record.id)
        self._snapshots = snapshots.SnapshotWriter(store.path, record.id, ordering, now_ms)
        self.replica = Replica(record.id, ordering)  # until _load, below
        self._listeners: list[Listener] = []
        self._reported: set[str] = set()
        self.notices: list[Notice] = []  # every notice so far, for listeners that come late
        self._wake = asyncio.Event()
        self._offline_since = 0
        self.status = SyncStatus(transport.kind, "synced")
        self._load()

    # --- reading ----------------------------------------------------------------------

    @property
    def state(self) -> CircleState:
        return self.replica.state

    @property
    def me(self) -> str:
        return self.record.member_id

    def subscribe(self, listener: Listener) -> None:
        """Hear every later event; notices raised before anyone listened are replayed."""
        self._listeners.append(listener)
        for notice in self.notices:
            listener(notice)

    def waiting_to_send(self, op_id: str) -> bool:
        """Whether an op is only on this computer yet, queued until the circle can be
        reached (a post to mark "sending", an answer not yet given in the room's eyes)."""
        return op_id in self.status.queued

    def draft(self, place: str) -> str:
        """Unsent text the composer held for ``place`` (a thread id), kept across restarts."""
        return self.store.draft(self.record.id, place)

    def save_draft(self, place: str, text: str) -> None:
        self.store.set_draft(self.record.id, place, text)

    async def search(self, query: str) -> SearchResult | None:
        """The posts this member may read that ``query`` finds, newest first (on the
        store's reader thread: the app goes on meanwhile); None when a newer search has
        replaced this one. The texts of the first results are read with them."""
        return await self._searcher.search(self.state, query, self.me)

    @property
    def indexing(self) -> int:
        """Ops stored and not yet in the search index (a search may miss them)."""
        return self._indexer.behind

    def close(self) -> None:
        """Stop the threads that read, index and snapshot the store."""
        self._indexer.close()
        self._reader.close()
        self._snapshots.join(30)

    def mark_read(self, thread_id: str) -> None:
        """Record (locally only) that this member has read the thread to its last post."""
        thread = self.state.threads.get(thread_id)
        if thread is None or not self.state.unread_in_thread(self.me, thread_id):
            return
        self.submit("read.mark", {"thread": thread_id, "post": thread.post_ids[-1]})

    # --- writing ----------------------------------------------------------------------

    def submit(self, type_name: str, data: dict[str, object]) -> Op:
        """Make an op as this member, store it durably, apply it, and queue it to send.

        Raises OpError (bad data) or Refused (not allowed here) without storing anything.
        """
        op = self.replica.make(self.me, type_name, data, self.now_ms(), os.urandom(10))
        reason = permissions.refusal(self.state, op)
        if reason is not None:
            raise Refused(reason)
        self.store.add_ops(self.record.id, [op], outbox=True)
        self._indexer.wake()
        self._keep_texts([op])
        self._emit(self.replica.add_local(op))
        self._outbox_changed()
        self._wake.set()
        return op

    def schedule_ics(self) -> bytes:
        """The circle's schedule as an iCalendar file's bytes (exported, or shown to copy)."""
        state = self.state
        return to_ics(state.name, state.id, state.schedule, self.now_ms())

    # --- syncing ----------------------------------------------------------------------

    async def sync_once(self, wait: float = 0.0) -> None:
        """Push the outbox, then pull and apply what is new. Raises TransportError.

        With ``wait`` the pull is a long-poll; a new local op cuts it short, so a post
        goes out at once rather than after the poll (its ops are stored and the cursor
        only moves after them, so a cut poll loses nothing).
        """
        self._wake.clear()
        self._adopt_snapshot()
        self._fold_what_others_stored()
        try:
            await self._sync_with_the_other_side(wait)
        finally:
            # Before this round read the cursor, another process may have moved it past
            # ops it stored: they are in the store by now.
            self._fold_what_others_stored()

    async def _sync_with_the_other_side(self, wait: float) -> None:
        await self._push()
        if wait <= 0:
            await self._pull(0.0)
            return
        pull = asyncio.create_task(self._pull(wait))
        woken = asyncio.create_task(self._wake.wait())
        try:
            await asyncio.wait({pull, woken}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (pull, woken):
                if not task.done():
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
        if not pull.cancelled():
            pull.result()  # raises what the pull raised

    async def run(self) -> None:
        """Sync until cancelled, backing off (with jitter) while the other side is away
        or something unexpected fails; only a refused token stops it."""
        backoff = 1.0
        while True:
            started = time.monotonic()
            try:
                await self.sync_once(wait=self._long_poll_seconds())
            except TransportError as error:
                if not self._offline_since:
                    self._offline_since = self.now_ms()
                    self._notice(
                        f"sync paused: {error}. What you send waits on this computer and "
                        "goes out when the circle can be reached again"
                    )
                self._set_status(state="offline", since_ms=self._offline_since)
                status = getattr(error, "status", None)
                if status in (401, 403):
                    # A removed member or a revoked token: retrying cannot help.
                    self._notice(f"sync stopped: {error}", "error")
                    return
                retry_after = getattr(error, "retry_after", None)
                delay = retry_after or backoff * random.uniform(0.5, 1.0)
                backoff = min(backoff * 2, self.MAX_BACKOFF_SECONDS)
            except Exception as error:  # a bug or an OS surprise must not end the app
                self.report_failure(error)
                delay = backoff * random.uniform(0.5, 1.0)
                backoff = min(backoff * 2, self.MAX_BACKOFF_SECONDS)
            else:
                if self._offline_since:
                    self._offline_since = 0
                    self._reported.clear()
                backoff = 1.0
                # A file is polled; a server's long-poll already waited for news.
                delay = (
                    self.POLL_SECONDS
                    if self.transport.ordering == "hlc"
                    else started + self.LONG_POLL_INTERVAL - time.monotonic()
                )
                self._set_status(
                    state="synced" if self.transport.ordering == "hlc" else "online", since_ms=0
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)

    def report_failure(self, error: Exception) -> None:
        """Say that syncing failed unexpectedly; the traceback goes to the sync log."""
        log = synclog.record(error, f"syncing circle {self.record.id} ({self.transport.kind})")
        where = f" (details in {log})" if log else ""
        if not self._offline_since:
            self._offline_since = self.now_ms()
        self._notice(f"sync failed: {type(error).__name__}: {error}{where}; retrying", "error")
        self._set_status(state="offline", since_ms=self._offline_since)

    def _long_poll_seconds(self) -> float:
        # A server answers a long-poll as soon as something arrives; a file is polled.
        return 25.0 if self.transport.ordering == "seq" and not self._wake.is_set() else 0.0

    async def _push(self) -> None:
        problems: list[str] = []
        outbox = self.store.outbox(self.record.id, problems)
        for problem in problems:
            self._notice(problem, "error")
        if not outbox:
            return
        results = await self.transport.push(outbox)
        delivered = [result.id for result in results if result.error is None]
        self.store.delivered(self.record.id, delivered, echo=self.transport.echoes)
        for result in results:
            if result.sealed:
                self.replica.seal(result.id)
            if result.error is not None:
                # The other side will never take it: say why and forget it locally.
                self.store.drop_op(self.record.id, result.id)
                self._emit(self.replica.reject(result.id))
                self._notice(f"not sent: {result.error}", "error")
        self._outbox_changed()

    async def _pull(self, wait: float) -> None:
        remote = self.transport.kind
        more = True
        while more:
            cursor = self.store.cursor(self.record.id, remote)
            pulled = await self.transport.pull(cursor, wait)
            for problem in pulled.problems:
                self._notice(problem)
            # A file read again from its start brings back every op: store only news (a
            # server's confirmation of a pending op carries its seq, which is news).
            fresh = [op for op in pulled.ops if op.seq is not None or not self.replica.knows(op)]
            if fresh:
                self.store.add_ops(self.record.id, fresh)
                self._indexer.wake()
            # Every pull, new ops or not: held ops whose time has come fold now.
            change = self._take(pulled.ops)
            self._keep_texts(change.applied)
            self._emit(change)
            self._snapshots.due(self.replica.on_top)
            self._send_again_what_was_lost(pulled)
            self.store.set_cursor(self.record.id, remote, pulled.cursor)
            more, wait = pulled.more, 0.0

    def _take(self, ops: list[Op]) -> Change:
        """Hand ops to the replica with the time (for the far-future hold) and report
        any it held back."""
        now = self.now_ms()
        change = self.replica.add(ops, now)
        if change.held:
            latest = max(op.hlc for op in change.held)
            authors = sorted({self._name(op.actor) for op in change.held})
            what = "a change" if len(change.held) == 1 else f"{len(change.held)} changes"
            ahead = describe_ahead(latest, now)
            self._notice(
                f"held back {what} by {', '.join(authors)} stamped "
                f"{'up to ' if len(change.held) > 1 else ''}{ahead} ahead of this computer's "
                "clock (a wrong clock?); shown when that time comes"
            )
        return change

    def _send_again_what_was_lost(self, pulled: Pulled) -> None:
        """Queue again the ops the other side lost: its whole log arrived (``complete``)
        and lacks ops this replica holds, or ops it should have echoed did not come back."""
        circle = self.record.id
        restored = 0
        if self.transport.echoes:
            self.store.echoed(circle, [op.id for op in pulled.ops])
            if not pulled.more:
                restored += self.store.requeue_unechoed(circle)
        if pulled.complete:
            present = {op.id for op in pulled.ops}
            lost = [op_id for op_id in self.store.shared_op_ids(circle) if op_id not in present]
            restored += self.store.requeue(circle, lost)
        if restored:
            self._notice(
                f"the circle file had lost {restored} "
                f"change{'s' if restored > 1 else ''} this computer holds (replaced or cut "
                "short?); writing them back"
            )
            self._outbox_changed()
            self._wake.set()  # send them now rather than after the next poll

    def _fold_what_others_stored(self) -> None:
        """Fold what other processes of this user stored since the last look (see the
        module's docstring): their ops, ops they pulled, confirmations; and forget a
        pending op of theirs the server refused (they dropped it)."""
        store, circle = self.store, self.record.id
        newest = store.last_stored(circle)
        if not store.changed_elsewhere():
            self._stored = newest  # all of it stored here, and folded as it was
            return
        problems: list[str] = []
        ops, self._stored = store.stored_since(circle, self._stored, problems)
        for problem in problems:
            self._notice(problem, "error")
        pending = {op.id for op in self.replica.pending}
        fresh = [
            op
            for op in ops
            if not self.replica.knows(op) or (op.seq is not None and op.id in pending)
        ]
        if self.replica.ordering == "seq":
            self._emit(self._take([op for op in fresh if op.seq is not None or op.LOCAL_ONLY]))
            for op in fresh:
                if op.seq is None and not op.LOCAL_ONLY:
                    self._emit(self.replica.add_local(op))
        else:
            self._emit(self._take(fresh))
        if fresh:
            self._indexer.wake()  # their texts, for search
        for op_id in store.missing(circle, pending):
            self._emit(self.replica.reject(op_id))
        self._outbox_changed()

    # --- plumbing ---------------------------------------------------------------------

    def _outbox_changed(self) -> None:
        queued = self.store.outbox_ids(self.record.id)
        self._set_status(waiting=len(queued), queued=queued)

    def _load(self) -> None:
        # Read before the ops: what others store from here on is folded later (a row
        # stored meanwhile is read twice, and skipped the second time).
        self._stored = self.store.last_stored(self.record.id)
        self.store.changed_elsewhere()
        self.replica, ops, problems = snapshots.open_replica(
            self.store, self.record.id, self.replica.ordering, self.now_ms()
        )
        for problem in problems:
            self._notice(problem, "error")
        if self.replica.ordering == "seq":
            confirmed = [op for op in ops if op.seq is not None or op.LOCAL_ONLY]
            self.replica.add(confirmed)
            for op in ops:
                if op.seq is None and not op.LOCAL_ONLY:
                    self.replica.add_local(op)
        else:
            self._take(ops)
        if self.replica.base is None:
            self.replica.state.posts.freeze()  # a whole log folded: posts as if restored
        self._keep_texts(ops)
        self._indexer.wake()
        self._snapshots.due(self.replica.on_top)
        queued = self.store.outbox_ids(self.record.id)
        self.status = SyncStatus(self.transport.kind, "synced", waiting=len(queued), queued=queued)

    def _keep_texts(self, ops: list[Op]) -> None:
        """Texts in ops at hand go to the texts' LRU: drawing them needs no read."""
        carried = [op for op in ops[-CACHED_TEXTS:] if op.type in TEXT_OPS]
        self.texts.keep({op.id: op.data.text for op in carried})  # type: ignore[attr-defined]

    def _adopt_snapshot(self) -> None:
        """A snapshot written in the background: stand on it, let go what it covers."""
        written = self._snapshots.ready()
        if written is not None:
            self.replica.rebase(snapshots.base_of(self.store, self.record.id, *written))

    def _name(self, member_id: str) -> str:
        member = self.state.members.get(member_id)
        return member.name if member is not None else "someone not (yet) a member"

    def _emit(self, event: Event) -> None:
        if isinstance(event, Change) and not event:
            return
        for listener in self._listeners:
            listener(event)

    def _notice(self, text: str, severity: str = "warning") -> None:
        if text in self._reported:
            return
        self._reported.add(text)
        notice = Notice(text, severity)
        self.notices.append(notice)
        self._emit(notice)

    def _set_status(self, **changes: object) -> None:
        status = dataclasses.replace(self.status, **changes)  # type: ignore[arg-type]
        if status != self.status:
            self.status = status
            self._emit(status)
