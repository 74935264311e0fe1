"""The service the TUI talks to: one circle's state, what a member asks of it (the
intents of ``intents.py``), and background sync.

Writes go to the local store (and its outbox) first, then to the in-memory replica, so
the app works offline and an acknowledged op is on disk. ``send`` is the app's way in:
one op at a time, in the order asked, each checked against the state the one before
left. ``submit`` does the same at once, blocking, for the command line and tests.
``run()`` is the sync loop: it pushes the outbox, pulls what the other side has, and
tells listeners what changed. The TUI never touches SQLite, files or HTTP itself.

The store is used from one thread of the service's own (``_in_store``), never from the
event loop: another process holding the SQLite file's lock (a second studycircle, a
backup) makes a write wait up to its busy timeout, and the app must go on taking keys
meanwhile. One thread keeps the writes in the order they were asked for. What the app
reads often (drafts, a lead's quiz keys) is kept in memory and written behind.

What goes wrong while syncing never ends the app: an unreachable server or file pauses
sync (status "offline", a notice) and an unexpected error becomes a notice with its
traceback in the sync log (``synclog``); either way sync is retried with backoff.

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
"""

import asyncio
import contextlib
import dataclasses
import os
import random
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar

from ..core import permissions
from ..core.hlc import describe_ahead
from ..core.ops import Op, OpError
from ..core.replica import Change, Replica
from ..core.schedule import to_ics
from ..core.state import CircleState
from ..core.wording import in_words
from ..store.db import CircleRecord, Store
from . import synclog
from .intents import CircleIntents, Refused, StoreBusy
from .transport import Pulled, Transport, TransportError

__all__ = ["CircleService", "Event", "Notice", "Refused", "SyncStatus"]

T = TypeVar("T")


@dataclasses.dataclass(slots=True, frozen=True)
class SyncStatus:
    """What the status line shows: "local file", "online", or "offline" since when."""

    transport: str
    state: str  # "synced" | "online" | "offline"
    since_ms: int = 0
    waiting: int = 0  # ops in the outbox


@dataclasses.dataclass(slots=True, frozen=True)
class Notice:
    """A readable line about input that was skipped or an op that was refused."""

    text: str
    severity: str = "warning"


Event = Change | SyncStatus | Notice
Listener = Callable[[Event], None]


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _store_trouble(error: sqlite3.Error) -> Refused:
    """Why a write a member asked for did not reach the disk, in their words."""
    if "locked" in str(error) or "busy" in str(error):
        return StoreBusy("another program is holding this computer's copy of the circle: try again")
    return Refused(f"it could not be saved on this computer ({error})")


class CircleService(CircleIntents):
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
        self._clock = now_ms
        self.replica = Replica(record.id, "seq" if transport.ordering == "seq" else "hlc")
        self._listeners: list[Listener] = []
        self._reported: set[str] = set()
        self.notices: list[Notice] = []  # every notice so far, for listeners that come late
        self._wake = asyncio.Event()
        self._sending = asyncio.Lock()  # one op at a time, in the order asked
        self._offline_since = 0
        self.status = SyncStatus(transport.kind, "synced")
        # The one thread that uses the store once the service runs (see the docstring).
        self._store_thread = ThreadPoolExecutor(1, thread_name_prefix="store")
        self._drafts: dict[str, str] = {}
        self._quiz_keys: dict[str, tuple[str, bytes]] = {}
        self._load()

    # --- reading ----------------------------------------------------------------------

    @property
    def state(self) -> CircleState:
        return self.replica.state

    @property
    def me(self) -> str:
        return self.record.member_id

    def now_ms(self) -> int:
        return self._clock()

    # --- what this circle can promise (screens say it; how it syncs is not their business)

    @property
    def can_hide_authors(self) -> bool:
        """Whether an anonymous suggestion's author stays hidden from other members: a
        server redacts it; a shared file holds every op as written, for anyone to read."""
        return self.transport.ordering == "seq"

    @property
    def answers_sealed(self) -> bool:
        """Whether a live quiz's answers stay sealed until each question closes: a server
        keeps them; in a shared file they can be read as soon as they are given."""
        return self.transport.ordering == "seq"

    def subscribe(self, listener: Listener) -> None:
        """Hear every later event; notices raised before anyone listened are replayed."""
        self._listeners.append(listener)
        for notice in self.notices:
            listener(notice)

    def draft(self, place: str) -> str:
        """Unsent text the composer held for ``place`` (a thread id), kept across restarts."""
        return self._drafts.get(place, "")

    def save_draft(self, place: str, text: str) -> None:
        """Keep ``text`` as the draft for ``place``: at once here, on disk soon after."""
        if self._drafts.get(place, "") == text:
            return
        if text:
            self._drafts[place] = text
        else:
            self._drafts.pop(place, None)
        self._write_behind("your draft", self.store.set_draft, self.record.id, place, text)

    def quiz_keys(self, key_hash: str) -> tuple[str, bytes] | None:
        """A live quiz's salts (JSON) and keys, if this device keeps them (it published
        only their salted hash, ``key_hash``)."""
        return self._quiz_keys.get(key_hash)

    async def keep_quiz_keys(self, key_hash: str, salts: str, keys: bytes) -> None:
        """Keep a live quiz's keys on this device; they leave it one by one, at reveals.
        Refused when they could not be stored (then the quiz must not be published)."""
        await self._write(self.store.save_quiz_keys, self.record.id, key_hash, salts, keys)
        self._quiz_keys[key_hash] = (salts, keys)

    def close(self) -> None:
        """Finish the writes still queued (drafts included) and stop the store thread."""
        self._store_thread.shutdown(wait=True)

    # --- writing ----------------------------------------------------------------------

    async def send(self, type_name: str, data: dict[str, object]) -> Op:
        """Make an op as this member when the ops asked before it are done, check it
        against the state they left, store it durably, apply it, and queue it to send.

        Raises Refused, in the member's words, without storing anything."""
        async with self._sending:
            try:
                op = self._checked(type_name, data)
            except OpError as error:
                raise Refused(in_words(type_name, error)) from None
            # Shown (applied, and so drawn) only once it is on disk.
            self._stored(op, await self._write(self._keep_own, op))
            return op

    def submit(self, type_name: str, data: dict[str, object]) -> Op:
        """``send`` at once, for the command line and tests (it waits on the disk).

        Raises OpError (bad data) or Refused (not allowed here) without storing anything.
        """
        op = self._checked(type_name, data)
        self._stored(op, self._store_thread.submit(self._keep_own, op).result())
        return op

    def _checked(self, type_name: str, data: dict[str, object]) -> Op:
        op = self.replica.make(self.me, type_name, data, self.now_ms(), os.urandom(10))
        reason = permissions.refusal(self.state, op)
        if reason is not None:
            raise Refused(reason)
        return op

    def _keep_own(self, op: Op) -> int:
        """(In the store thread.) Store an op of this member's, queued to send; the
        outbox's size after it."""
        self.store.add_ops(self.record.id, [op], outbox=True)
        return self.store.outbox_size(self.record.id)

    def _stored(self, op: Op, waiting: int) -> None:
        """The op is on disk: apply it, and wake the sync loop to send it."""
        self._emit(self.replica.add_local(op))
        self._set_status(waiting=waiting)
        self._wake.set()

    def schedule_ics(self) -> bytes:
        """The circle's schedule as an iCalendar file's bytes (exported, or shown to copy)."""
        state = self.state
        return to_ics(state.name, state.id, state.schedule, self.now_ms())

    # --- the store's thread -----------------------------------------------------------

    async def _in_store(self, work: Callable[..., T], *args: Any) -> T:
        """Run ``work(*args)`` in the store's thread, after what was queued before it."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._store_thread, partial(work, *args))

    async def _write(self, work: Callable[..., T], *args: Any) -> T:
        """A write a member asked for: Refused, in their words, when the disk says no."""
        try:
            return await self._in_store(work, *args)
        except sqlite3.Error as error:
            raise _store_trouble(error) from None

    def _write_behind(self, what: str, work: Callable[..., object], *args: Any) -> None:
        """Queue a write nobody waits for; if it fails, a notice says ``what`` was lost."""
        done: Future[object] = self._store_thread.submit(work, *args)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no app running (a script, a test): wait for it here
            done.result()
            return

        def check(future: Future[object]) -> None:
            error = future.exception()
            if error is not None:
                text = f"{what} could not be saved on this computer: {error}"
                loop.call_soon_threadsafe(self._notice, text, "error")

        done.add_done_callback(check)

    # --- syncing ----------------------------------------------------------------------

    async def sync_once(self, wait: float = 0.0) -> None:
        """Push the outbox, then pull and apply what is new. Raises TransportError.

        With ``wait`` the pull is a long-poll; a new local op cuts it short, so a post
        goes out at once rather than after the poll (its ops are stored and the cursor
        only moves after them, so a cut poll loses nothing).
        """
        self._wake.clear()
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
                    self._notice(f"sync paused: {error}")
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
        store, circle = self.store, self.record.id
        problems: list[str] = []
        outbox = await self._in_store(store.outbox, circle, problems)
        for problem in problems:
            self._notice(problem, "error")
        if not outbox:
            return
        results = await self.transport.push(outbox)
        delivered = [result.id for result in results if result.error is None]
        delivered_ = partial(store.delivered, echo=self.transport.echoes)
        await self._in_store(delivered_, circle, delivered)
        for result in results:
            if result.sealed:
                self.replica.seal(result.id)
            if result.error is not None:
                # The other side will never take it: say why and forget it locally.
                await self._in_store(store.drop_op, circle, result.id)
                self._emit(self.replica.reject(result.id))
                self._notice(f"not sent: {result.error}", "error")
        self._set_status(waiting=await self._in_store(store.outbox_size, circle))

    async def _pull(self, wait: float) -> None:
        store, circle, remote = self.store, self.record.id, self.transport.kind
        more = True
        while more:
            cursor = await self._in_store(store.cursor, circle, remote)
            pulled = await self.transport.pull(cursor, wait)
            for problem in pulled.problems:
                self._notice(problem)
            # A file read again from its start brings back every op: store only news (a
            # server's confirmation of a pending op carries its seq, which is news).
            fresh = [op for op in pulled.ops if op.seq is not None or op.id not in self.replica]
            if fresh:
                await self._in_store(store.add_ops, circle, fresh)
            # Every pull, new ops or not: held ops whose time has come fold now.
            self._emit(self._take(pulled.ops))
            await self._send_again_what_was_lost(pulled)
            await self._in_store(store.set_cursor, circle, remote, pulled.cursor)
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

    async def _send_again_what_was_lost(self, pulled: Pulled) -> None:
        """Queue again the ops the other side lost: its whole log arrived (``complete``)
        and lacks ops this replica holds, or ops it should have echoed did not come back."""
        lost: list[str] = []
        if pulled.complete:
            present = {op.id for op in pulled.ops}
            holding = [*self.replica.ops(), *self.replica.held]
            lost = [op.id for op in holding if op.id not in present and not op.LOCAL_ONLY]
        restored, waiting = await self._in_store(self._requeue, pulled, lost)
        if restored:
            self._notice(
                f"the circle file had lost {restored} "
                f"change{'s' if restored > 1 else ''} this computer holds (replaced or cut "
                "short?); writing them back"
            )
            self._set_status(waiting=waiting)
            self._wake.set()  # send them now rather than after the next poll

    def _requeue(self, pulled: Pulled, lost: list[str]) -> tuple[int, int]:
        """(In the store thread.) Queue ``lost`` again, and what a file should have echoed
        and did not; how many were queued again, and the outbox's size after."""
        store, circle = self.store, self.record.id
        restored = 0
        if self.transport.echoes:
            store.echoed(circle, [op.id for op in pulled.ops])
            if not pulled.more:
                restored += store.requeue_unechoed(circle)
        if lost:
            restored += store.requeue(circle, lost)
        return restored, store.outbox_size(circle) if restored else 0

    # --- plumbing ---------------------------------------------------------------------

    def _load(self) -> None:
        """Fold what the store holds (before the app runs: nothing else waits on it)."""
        self._drafts = self.store.drafts(self.record.id)
        self._quiz_keys = self.store.all_quiz_keys(self.record.id)
        problems: list[str] = []
        ops = self.store.load_ops(self.record.id, problems)
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
        self.status = SyncStatus(
            self.transport.kind, "synced", waiting=self.store.outbox_size(self.record.id)
        )

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
