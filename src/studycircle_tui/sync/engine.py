"""The service the TUI talks to: one circle's state, what a member asks of it (the
intents of ``intents.py``), and background sync.

Writes go to the local store (and its outbox) first, then to the in-memory replica, so
the app works offline and an acknowledged op is on disk. ``send`` is the app's way in:
a member's ops one at a time, in the order asked, each checked against the state the one
before left, written to the store from the circle's own thread. Different members (an
ssh-serve worker's players) do not wait for each other's writes: each op is checked
against the state when it is made, and every op made after it here is stamped later,
so it comes after it in the fold too. ``submit`` does the same at
once, blocking, for the command line and tests. ``run()`` is the sync loop: it pushes
the outbox, pulls what the other side has, and tells listeners what changed. The TUI
never touches SQLite, files or HTTP itself.

A member's writes go to the store from one thread of the circle's own (``in_store``),
never from the event loop: another process holding the SQLite file's lock (a second
studycircle, a backup) makes a write wait up to its busy timeout, and the app must go on
taking keys meanwhile. One thread keeps the writes in the order they were asked for.
What the app reads often (drafts, a lead's quiz keys) is kept in memory and written
behind.

Two classes, because one process may serve several members of one circle (ssh-serve
runs every player of a worker in one process):

- ``SharedCircle``: the circle itself, once per process — the store, the transport, the
  replica folded from the log, the one sync loop, the status line's state, and whatever
  must run once per circle beside the sync loop (the quiz pacer, ``pacer.py``).
- ``CircleService``: one member's view of it — who ``me`` is, their drafts, read marks
  and ops, and the listeners of their screens. A plain app has one; an ssh-serve worker
  one per connected player, all over the same ``SharedCircle``. Screens only ever see
  a ``CircleService``, so they cannot tell which way they are served; intent methods
  written on ``CircleService`` act as ``self.me`` and work in both.

A big circle opens from its snapshot and keeps it current in the background
(``snapshots.py``); post texts are read from the store when drawn and searched through
its index (``reading.py``): a ``CircleService``'s ``texts`` and ``search`` are how
screens get them. The texts' LRU, the index and the snapshot are the circle's; each
member searches on their own (a newer search replaces only their own older one).

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
changes nothing about who made it, as merging a conflict copy already does: each
keeps its author's signature, byte for byte.

Every op is signed with this member's key (``sync/keys.py``), and every op that arrives
has its signature checked in worker threads before it is stored (beside the verdict,
so it is never checked again) and folded; one not signed by whom it claims is not
folded, and members hear of it (``authorship.py`` words the notices).

Other processes of the same user share the store: ``studycircle notes import`` or ``quiz
import`` beside the open app, a second app. What they store (their own ops, ops they
pulled, a server's confirmation) is folded here too, at the start and the end of every
sync round (``_fold_what_others_stored``): otherwise the app would never show it, since
they also move the shared cursor past it. It costs two small queries a round when no
other process wrote.

Every op still waiting in the outbox is listed in the status (``queued``), so the app can
show that a post or an answer is only on this computer yet (``waiting_to_send``).

Over 400 lines: the sync loop, and each thing it folds or sends again, read best together;
and a ``CircleService`` is nothing but a member's window on a ``SharedCircle``.
"""

import asyncio
import collections
import contextlib
import dataclasses
import os
import random
import sqlite3
import time
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from enum import StrEnum
from functools import partial
from typing import Any, Literal, TypeVar

from ..core import hlc, permissions, signing
from ..core.hlc import describe_ahead
from ..core.messages import N_, Message, reason_of
from ..core.ops import Op, OpError, PostCreate, PostEdit, ThreadCreate
from ..core.replica import Change, Ordering, Replica
from ..core.schedule import to_ics
from ..core.search import SearchResult
from ..core.state import CircleState
from ..core.wording import in_words
from ..store.db import CircleRecord, Store
from . import authorship, snapshots, synclog
from .catchup import HISTORY_PAGE, CatchUp, worth_a_preview
from .intents import CircleIntents, NotStored, Refused, StoreBusy
from .keys import LostKey, MemberKeys
from .reading import CACHED_TEXTS, PostTexts, Searcher, StoreReader, TextIndexer
from .tasks import cancelled
from .transport import Previewing, Pulled, Transport, TransportError, TransportKind

__all__ = ["CircleService", "Event", "Notice", "Refused", "SharedCircle", "SyncStatus"]

T = TypeVar("T")


class SyncState(StrEnum):
    SYNCED = "synced"  # the start, and a file circle read to its end
    ONLINE = "online"  # a server circle, reached
    OFFLINE = "offline"


@dataclasses.dataclass(slots=True, frozen=True)
class SyncStatus:
    """What the status line shows: "local file", "online", or "offline" since when; and
    what is on its way: (done, of total) of a preview being fetched (bytes), of the
    circle's history (ops) and of a big push (bytes)."""

    transport: TransportKind
    state: SyncState
    since_ms: int = 0
    waiting: int = 0  # ops in the outbox
    queued: frozenset[str] = frozenset()  # their ids: made here, not yet sent
    fetching: tuple[int, int] | None = None
    history: tuple[int, int] | None = None
    sending: tuple[int, int] | None = None


@dataclasses.dataclass(slots=True, frozen=True)
class Notice:
    """A readable line about input that was skipped or an op that was refused; for
    every member served, or only for the member ``to``."""

    text: str
    severity: str = "warning"
    to: str = ""


Event = Change | SyncStatus | Notice
Listener = Callable[[Event], None]


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


# A member's op the disk refused is stored again after these pauses before they hear no.
STORE_AGAIN_SECONDS = (0.05, 0.5, 2.0)


def _store_trouble(error: sqlite3.Error) -> NotStored:
    """Why a write a member asked for did not reach the disk, in their words."""
    if "locked" in str(error) or "busy" in str(error):
        return StoreBusy(
            N_("another program is holding this computer's copy of the circle: try again")
        )
    return NotStored(Message("it could not be saved on this computer ({error})", error=str(error)))


class SharedCircle:
    """One circle's store, replica and sync loop, shared by every member this process
    serves (see the module's docstring). ``record.member_id`` is the store's own member;
    an ssh-serve worker's store has none ("")."""

    # A server circle's long-polls start at most this often. After a quiet wait the next
    # one starts at once; in a burst (200 players answering a quiz question) each client
    # takes the burst in a few pulls instead of one per op, which keeps the server and
    # every client's CPU free for the reveal (bench/quiz_fanout.py).
    LONG_POLL_INTERVAL = 0.1
    # A server circle's long-poll lasts this long when nothing happens, kept alive by the
    # server's heartbeats: an idle hour costs six polls and some heartbeats, ~15 KB.
    LONG_POLL_SECONDS = 600.0
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
        self.clock: Callable[[], float] = time.monotonic  # paces rounds; tests put theirs in
        ordering: Ordering = "seq" if transport.ordering == "seq" else "hlc"
        self.reader = StoreReader(store.path)
        self.texts = PostTexts(self.reader, record.id)
        self._indexer = TextIndexer(store.path, record.id)
        self._snapshots = snapshots.SnapshotWriter(store.path, record.id, ordering, now_ms)
        self.replica = Replica(record.id, ordering)  # until _load, below
        self.keys = MemberKeys(store, record.id)
        self._log_seen = 0  # how much of the moderation log has been looked at for reports
        self._listeners: list[Listener] = []
        self._reported: set[tuple[str, str]] = set()  # (to whom, what): said once
        self.notices: list[Notice] = []  # every notice so far, for listeners that come late
        self._wake = asyncio.Event()
        # Each member's ops one at a time, in the order asked. Per member, not per circle:
        # one lock for a worker's thirty players made each answer wait for the store
        # writes of every answer before it, one event-loop turn each, and a busy worker's
        # turn takes long (the last answer reached the file seconds late).
        self._sending: collections.defaultdict[str, asyncio.Lock] = collections.defaultdict(
            asyncio.Lock
        )
        # Pushes one at a time (the loop's and ``submit``'s own), counted so that a pull
        # a push overlapped does not take the op it did not read back for one lost.
        self._pushing = asyncio.Lock()
        self._pushes = 0
        # A file is read before this process first appends to it: an op a run killed
        # between its append and noting it delivered is found there, not appended twice.
        self._read_first = transport.echoes
        self._read_back: set[str] | None = None  # ids pulls read while a push ran
        self._offline_since = 0
        self.status = SyncStatus(transport.kind, SyncState.SYNCED)
        self._catchup: CatchUp | None = None  # a busy circle's preview, while it loads
        self._previewed = False
        self._polled_at = 0.0  # the clock when the last pull started
        # The one thread members' writes use (see the module's docstring).
        self._store_thread = ThreadPoolExecutor(1, thread_name_prefix="store")
        self._quiz_keys: dict[str, tuple[str, bytes]] = {}
        # The members this process serves (the app's user; an ssh-serve worker's players,
        # as they come): the quiz pacer paces the live quizzes they host.
        self.members: set[str] = {record.member_id} if record.member_id else set()
        # The sync loop and the pacer, each running once however many members run it.
        self._tasks: dict[str, asyncio.Future[None]] = {}
        self.started: collections.Counter[str] = collections.Counter()
        # What screens make from the state (a quiz's scores), made once per change for
        # every member served: an ssh-serve worker's thirty apps show one leaderboard.
        self.changes = 0
        self._derived: dict[object, object] = {}
        self._derived_at = 0
        self._load()

    # --- reading ----------------------------------------------------------------------

    @property
    def state(self) -> CircleState:
        """What the app shows: the replica's state, or while a busy circle's history
        loads, the view of its newest threads (sync/catchup.py)."""
        return self._shown.state

    @property
    def catching_up(self) -> bool:
        """Whether the state shown is a preview: older history is still on its way."""
        return self._catchup is not None

    @property
    def _shown(self) -> Replica:
        return self._catchup.view if self._catchup is not None else self.replica

    def subscribe(self, listener: Listener) -> None:
        """Hear every later event; notices raised before anyone listened are replayed."""
        self._listeners.append(listener)
        for notice in self.notices:
            listener(notice)

    def unsubscribe(self, listener: Listener) -> None:
        with contextlib.suppress(ValueError):
            self._listeners.remove(listener)

    @property
    def indexing(self) -> int:
        """Ops stored and not yet in the search index (a search may miss them)."""
        return self._indexer.behind

    def derived(self, key: object, make: Callable[[], T]) -> T:
        """``make()``'s value, made from the state once per change of it (``key`` names
        what it is), then the same for every member and screen that asks."""
        if self._derived_at != self.changes:
            self._derived.clear()
            self._derived_at = self.changes
        if key not in self._derived:
            self._derived[key] = make()
        return self._derived[key]  # type: ignore[return-value]

    def pushes_held(self) -> asyncio.Lock:
        """Held (``async with``), no push starts: what is stored meanwhile leaves together
        in the next one (the pacer's close and its reveal, one page for every player)."""
        return self._pushing

    def clock_ms(self) -> int:
        """Now, by the clock ops are stamped with: the wall clock, or the circle's stamps
        when someone's clock ahead has pulled them forward. A question lasts its deadline
        less its open's own stamp (reducer._quiz_open), so a quiz's deadlines are set on
        this clock, and time left is read on it."""
        return max(self.now_ms(), self.replica.clock.ms)

    # --- writing ----------------------------------------------------------------------

    def submit(
        self,
        actor: str,
        type_name: str,
        data: Mapping[str, object],
        *,
        key: signing.SigningKey | None = None,
    ) -> Op:
        """Make an op by ``actor``, signed with their key, store it durably, apply it, and
        queue it to send. ``key``: a key that signs its own announcement (a join, a first
        key).

        Raises OpError (bad data) or Refused (not allowed here) without storing anything.
        """
        op = self._checked(actor, type_name, data, key)
        self._keep_own(op)
        self._stored(op)
        return op

    async def send(
        self,
        actor: str,
        type_name: str,
        data: Mapping[str, object],
        *,
        key: signing.SigningKey | None = None,
    ) -> Op:
        """``submit`` for the app: when ``actor``'s ops asked before it are done, checked
        against the state they left, stored from the store's thread, then applied and
        shown.

        Raises Refused, in the member's words, without storing anything."""
        async with self._sending[actor]:
            try:
                op = self._checked(actor, type_name, data, key)
            except OpError as error:
                raise Refused(in_words(type_name, error)) from None
            await self.write(self._keep_own, op)
            self._stored(op)
            return op

    def _checked(
        self,
        actor: str,
        type_name: str,
        data: Mapping[str, object],
        key: signing.SigningKey | None,
    ) -> Op:
        shown = self._shown  # while a preview is shown, ops are made and folded there
        if key is None and type_name != "read.mark":  # a read mark never leaves the device
            try:
                key = self.keys.signing(shown.state, actor)
            except LostKey as error:
                raise Refused(str(error)) from None
        op = shown.make(actor, type_name, data, self.now_ms(), os.urandom(10), key)
        # Every replica would refuse it: as not its author's (a key they do not hold, say),
        # or as not theirs to make.
        unsigned = signing.problem(shown.state, op)
        reason = unsigned[1] if unsigned is not None else permissions.refusal(shown.state, op)
        if reason is not None:
            raise Refused(reason)
        return op

    def _keep_own(self, op: Op) -> None:
        """Store an op made here, queued to send."""
        self.store.add_ops(self.record.id, [op], outbox=True, verdicts=self._shown.signatures)

    def _stored(self, op: Op) -> None:
        """The op is on disk: send it, apply it (its text kept at hand, indexed soon),
        and wake the sync loop."""
        self._send_now()
        self._indexer.wake([op])
        self._keep_texts([op])
        self._emit(self._shown.add_local(op))
        self._outbox_changed()
        self._wake.set()

    def quiz_keys(self, key_hash: str) -> tuple[str, bytes] | None:
        """A live quiz's salts (JSON) and keys, if this device keeps them (it published
        only their salted hash, ``key_hash``)."""
        return self._quiz_keys.get(key_hash)

    async def keep_quiz_keys(self, key_hash: str, salts: str, keys: bytes) -> None:
        """Keep a live quiz's keys on this device; they leave it one by one, at reveals.
        Refused when they could not be stored (then the quiz must not be published)."""
        await self.write(self.store.save_quiz_keys, self.record.id, key_hash, salts, keys)
        self._quiz_keys[key_hash] = (salts, keys)

    def close(self) -> None:
        """Finish the writes still queued (drafts included) and stop the store thread,
        then the threads that read, index and snapshot the store."""
        self._store_thread.shutdown(wait=True)
        self._indexer.close()
        self.reader.close()
        self._snapshots.join(30)

    # --- the store's thread -----------------------------------------------------------

    async def in_store(self, work: Callable[..., T], *args: Any) -> T:
        """Run ``work(*args)`` in the store's thread, after what was queued before it."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._store_thread, partial(work, *args))

    async def write(self, work: Callable[..., T], *args: Any) -> T:
        """A write a member asked for (their op, a quiz's keys), tried again after a
        pause when the disk refuses it: another program's lock held past the busy
        timeout, a disk that failed for a moment. A live answer or a ``quiz.join``
        refused once was lost to its player, the room waiting for them (issue 13). Each
        such write done twice is done once (an op is kept by its id, with the id, stamp
        and signature it was made with; keys by their hash). Refused, in the member's
        words, when the disk still says no."""
        pauses = iter(STORE_AGAIN_SECONDS)
        while True:
            try:
                return await self.in_store(work, *args)
            except sqlite3.Error as error:
                trouble, pause = _store_trouble(error), next(pauses, None)
                # Not tried again: another program's lock, waited for already (the busy
                # timeout; StoreBusy says to try later), or a file that is wrong itself.
                transient = isinstance(error, sqlite3.OperationalError)
                if pause is None or not transient or isinstance(trouble, StoreBusy):
                    raise trouble from None
            await asyncio.sleep(pause)

    def write_behind(self, what: str, to: str, work: Callable[..., object], *args: Any) -> None:
        """Queue a write nobody waits for; if it fails, a notice to member ``to`` says
        ``what`` was lost."""
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
                loop.call_soon_threadsafe(self.notify, to, text, "error")

        done.add_done_callback(check)

    def _send_now(self) -> None:
        """Start sending what was just stored before anyone draws it: in an ssh-serve
        worker one player's answer would otherwise wait behind every app's redraw and
        the sync loop's current round (a pull, its fold, the listeners) before it
        reached the file or the server. The loop still wakes, and retries what fails.
        Only while the sync loop runs: a circle nobody syncs (an app started without
        sync, a command outside any loop that calls ``sync_once`` itself) keeps its
        outbox until it is asked to sync."""
        loop = self._tasks.get("sync")
        if loop is None or loop.done():
            return
        task = asyncio.ensure_future(self._push_now())
        self._tasks[f"push {id(task)}"] = task  # kept (a bare task may be collected)
        task.add_done_callback(lambda done: self._tasks.pop(f"push {id(done)}", None))

    async def _push_now(self) -> None:
        with contextlib.suppress(Exception):  # the sync loop's round says what failed
            await self._push()

    # --- syncing ----------------------------------------------------------------------

    async def sync_once(self, wait: float = 0.0) -> None:
        """Push the outbox, then pull and apply what is new. Raises TransportError.

        With ``wait`` the pull is a long-poll. A new local op goes out at once rather
        than after the poll: beside it, for a server (cutting a poll short would cost a
        new connection's round trip, on a slow link most of a post's way); a file's
        poll is cut short and made again (its ops are stored and the cursor only moves
        after them, so a cut poll loses nothing).
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
        if self._read_first:
            await self._pull(0.0)
            self._read_first = False
        await self._push()
        if wait <= 0:
            await self._pull(0.0)
            return
        pull = asyncio.create_task(self._pull(wait))
        woken: asyncio.Task[Literal[True]] | None = None
        try:
            while True:
                woken = asyncio.create_task(self._wake.wait())
                await asyncio.wait({pull, woken}, return_when=asyncio.FIRST_COMPLETED)
                if pull.done() or self.transport.ordering == "hlc":
                    break
                self._wake.clear()
                await self._push()
        finally:
            await cancelled({pull} if woken is None else {pull, woken})
        if not pull.cancelled():
            pull.result()  # raises what the pull raised

    async def run(self) -> None:
        """Sync until cancelled. However many members call it, one loop runs: a later
        caller waits on it, and cancelling a caller leaves it running for the others."""
        await asyncio.shield(self._once("sync", self._sync_loop))

    async def pace(self) -> None:
        """Close the live questions of the members this process serves on time
        (``pacer.py``), until cancelled; one pacer, as ``run`` is one loop."""
        from .pacer import QuizPacer  # the pacer drives quizzes through CircleService

        await asyncio.shield(self._once("pacer", lambda: QuizPacer(self).run()))

    async def stop(self) -> None:
        """End the sync loop and the pacer (ssh-serve's worker, shutting down)."""
        await cancelled(set(self._tasks.values()))

    def _once(self, name: str, start: Callable[[], Awaitable[None]]) -> asyncio.Future[None]:
        task = self._tasks.get(name)
        if task is None or task.done():
            self.started[name] += 1
            task = self._tasks[name] = asyncio.ensure_future(start())
        return task

    async def _sync_loop(self) -> None:
        """Sync until cancelled, backing off (with jitter) while the other side is away
        or something unexpected fails; only a refused token stops it."""
        backoff = 1.0
        while True:
            try:
                await self.sync_once(wait=self._long_poll_seconds())
            except TransportError as error:
                if not self._offline_since:
                    self._offline_since = self.now_ms()
                    self._notice(
                        Message(
                            "sync paused: {reason}. What you send waits on this computer and "
                            "goes out when the circle can be reached again",
                            reason=reason_of(error),
                        )
                    )
                self._set_status(state=SyncState.OFFLINE, since_ms=self._offline_since)
                status = getattr(error, "status", None)
                if status in (401, 403):
                    # A removed member or a revoked token: retrying cannot help.
                    self._notice(
                        Message("sync stopped: {reason}", reason=reason_of(error)), "error"
                    )
                    return
                retry_after = getattr(error, "retry_after", None)
                delay: float | None = retry_after or backoff * random.uniform(0.5, 1.0)
                backoff = min(backoff * 2, self.MAX_BACKOFF_SECONDS)
                listen = False
            except Exception as error:  # a bug or an OS surprise must not end the app
                self.report_failure(error)
                delay = backoff * random.uniform(0.5, 1.0)
                backoff = min(backoff * 2, self.MAX_BACKOFF_SECONDS)
                listen = False
            else:
                if self._offline_since:
                    self._offline_since = 0
                    self._reported.clear()
                backoff = 1.0
                # A file says when it changes (and an op held back may come due); a
                # server's long-poll already waited for news.
                listen = self.transport.ordering == "hlc"
                delay = (
                    self._held_due()
                    if listen
                    else self._polled_at + self.LONG_POLL_INTERVAL - self.clock()
                )
                self._set_status(state=SyncState.SYNCED if listen else SyncState.ONLINE, since_ms=0)
            await self.rest(delay, listen)

    async def rest(self, seconds: float | None, listen: bool) -> None:
        """Until there is something to sync: an op of ours to send, ``seconds`` passed
        (None: no limit), or, ``listen``ing, the transport hears of news (a file's
        changes)."""
        waits: set[asyncio.Future[object]] = {asyncio.ensure_future(self._wake.wait())}
        if listen:
            waits.add(asyncio.ensure_future(self.transport.changed()))
        try:
            await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            await cancelled(waits)

    def _held_due(self) -> float | None:
        """Seconds until the first op held back for its far-future stamp may fold (it
        folds at the next pull); None when none is held. At most an hour, so a clock
        set right meanwhile is noticed."""
        held = self.replica.held
        if not held:
            return None
        due_ms = hlc.physical_ms(held[0].hlc) - hlc.FUTURE_SLACK_MS
        return min(max(0.0, (due_ms - self.now_ms()) / 1000), 3600.0)

    def report_failure(self, error: Exception) -> None:
        """Say that syncing failed unexpectedly; the traceback goes to the sync log."""
        log = synclog.record(error, f"syncing circle {self.record.id} ({self.transport.kind})")
        if not self._offline_since:
            self._offline_since = self.now_ms()
        failed = f"{type(error).__name__}: {error}"
        if log:
            self._notice(
                Message(
                    "sync failed: {error} (details in {log}); retrying", error=failed, log=str(log)
                ),
                "error",
            )
        else:
            self._notice(Message("sync failed: {error}; retrying", error=failed), "error")
        self._set_status(state=SyncState.OFFLINE, since_ms=self._offline_since)

    def _long_poll_seconds(self) -> float:
        # A server answers a long-poll as soon as something arrives; a file is read at once.
        seq = self.transport.ordering == "seq"
        return self.LONG_POLL_SECONDS if seq and not self._wake.is_set() else 0.0

    async def _push(self) -> None:
        async with self._pushing:
            self._pushes += 1
            await self._push_outbox()

    async def _push_outbox(self) -> None:
        problems: list[str] = []
        outbox = self.store.outbox(self.record.id, problems)
        for problem in problems:
            self._notice(problem, "error")
        if not outbox:
            return
        read_back: set[str] = set()
        self._read_back = read_back
        try:
            results = await self.transport.push(outbox, self._push_progress)
        finally:
            self._read_back = None
            self._set_status(sending=None)
        delivered = [result.id for result in results if result.error is None]
        # A file's ops are awaited as echoes, but for those a pull beside the push read
        # back already (it may take less time than the append's fsync).
        echoes = [op_id for op_id in delivered if op_id not in read_back]
        self.store.delivered(
            self.record.id, delivered, unechoed=echoes if self.transport.echoes else ()
        )
        shown = self._shown  # where this member's own ops were folded
        for result in results:
            if result.sealed:
                shown.seal(result.id)
            if result.error is not None:
                # The other side will never take it: say why and forget it locally.
                self.store.drop_op(self.record.id, result.id)
                self._emit(shown.reject(result.id))
                # A Message (a server's code said in words) stays one: it is translated.
                why = result.error
                reason = why if isinstance(why, Message) else Message(why)
                self._notice(Message("not sent: {reason}", reason=reason), "error")
        self._outbox_changed()

    def _push_progress(self, done: int, total: int) -> None:
        self._set_status(sending=(done, total))

    async def _pull(self, wait: float) -> None:
        remote = self.transport.kind
        more = True
        while more:
            cursor = self.store.cursor(self.record.id, remote)
            if not self._previewed and worth_a_preview(cursor, self._known_head()):
                self._previewed = True  # once a session: a preview is for arriving
                await self._start_catching_up(cursor)
            limit = HISTORY_PAGE if self._catchup is not None else 0
            self._polled_at = self.clock()  # the next long-poll starts from this
            pushes, pushing = self._pushes, self._pushing.locked()
            pulled = await self.transport.pull(cursor, wait, limit)
            # An op pushed while this pull read may be after what it read: not lost.
            overlapped = pushing or self._pushing.locked() or self._pushes != pushes
            for problem in pulled.problems:
                self._notice(problem)
            # A file read again from its start brings back every op: store only news (a
            # server's confirmation of a pending op carries its seq, which is news).
            fresh = [op for op in pulled.ops if op.seq is not None or not self.replica.knows(op)]
            if fresh:
                await self._check_signatures(fresh)
                self.store.add_ops(self.record.id, fresh, verdicts=self.replica.signatures)
                self._indexer.wake(fresh)
            # Every pull, new ops or not: held ops whose time has come fold now. While a
            # preview is shown, the replica folds the history out of sight (catchup.py).
            change = self._take(pulled.ops)
            self._keep_texts(change.applied)
            if self._catchup is None:
                self._emit(change)
            self._snapshots.due(self.replica.on_top)
            self._send_again_what_was_lost(pulled, overlapped)
            if pulled.cursor != cursor:  # a commit (and a disk flush) only for news
                self.store.set_cursor(self.record.id, remote, pulled.cursor)
            more, wait = pulled.more, 0.0
            if pulled.head and pulled.head != self._known_head():  # written only when it moved
                self.store.set_cursor(self.record.id, f"{remote}.head", str(pulled.head))
            history = (int(pulled.cursor), pulled.head) if more and pulled.head else None
            self._set_status(history=history)
        if self._catchup is not None and self._catchup.reached(pulled.cursor):
            await self._caught_up()

    def _known_head(self) -> int:
        """How long the server said the circle is, last time it said (0: never)."""
        if self.transport.ordering != "seq":
            return 0
        head = self.store.cursor(self.record.id, f"{self.transport.kind}.head")
        return int(head) if head and head.isdigit() else 0

    async def _start_catching_up(self, cursor: str | None) -> None:
        """Fetch a preview of a circle we are far behind on, and show it (catchup.py)."""
        if not isinstance(self.transport, Previewing):
            return
        # The bar shows from the request on: over a slow link its answer's first bytes
        # are a round trip and more away, and the new member would see nothing moving.
        self._set_status(fetching=(0, 0))
        try:
            preview = await self.transport.preview(
                cursor, lambda done, total: self._set_status(fetching=(done, total))
            )
        finally:
            self._set_status(fetching=None)
        for problem in preview.problems:
            self._notice(problem)
        if not preview.ops:
            return  # not far enough behind for a preview to show more
        self._catchup = CatchUp(self.record.id, self.replica.ops(), preview)
        self._emit(Change(refolded=True))
        self._catchup.follow(self.transport, self._emit)
        if preview.upto.isdigit():
            # The history's bar from the newest threads on, not from its first page (over
            # a slow link, half a minute in which nothing said the rest was coming).
            self._set_status(history=(int(cursor or 0), int(preview.upto)))

    async def _caught_up(self) -> None:
        """The replica has everything the view shows: show the replica from now on."""
        catchup, self._catchup = self._catchup, None
        assert catchup is not None
        await catchup.stop()
        for op in catchup.view.pending:  # made meanwhile, not yet confirmed
            if op.id not in self.replica:
                self.replica.add_local(op)
        self._emit(Change(refolded=True))

    async def _check_signatures(self, ops: list[Op]) -> None:
        """Check arriving ops' signatures against the keys that may have made them, in
        worker threads (OpenSSL leaves Python's lock while it verifies, so a big batch
        uses every core, and the app stays responsive meanwhile). The verdicts stay with
        the replica; those the fold still needs (a key arriving later) it reaches itself."""
        more = signing.announced(ops)
        keys = self.replica.state.keys  # the history's, not a preview's
        work = [(op, signing.candidates(keys, op, more)) for op in ops if op.sig is not None]
        verdicts = self.replica.signatures

        def check(part: list[tuple[Op, list[str]]]) -> None:
            for op, candidates in part:
                verdicts.first_good(op, candidates)

        if len(work) < authorship.THREAD_FROM:
            check(work)
        else:
            parts = [work[i :: authorship.THREADS] for i in range(authorship.THREADS)]
            await asyncio.gather(*(asyncio.to_thread(check, part) for part in parts))
        verdicts.take_fresh()  # add_ops records them beside the ops

    def _take(self, ops: list[Op], earlier: bool = False) -> Change:
        """Hand ops to the replica with the time (for the far-future hold) and report
        any it held back, and what arrived not signed by whom it claims (``earlier``:
        ops from the store, said when they arrived; the moderation log keeps them; a
        far-future forgery, not in that log until its time, is said again)."""
        now = self.now_ms()
        change = self.replica.add(ops, now)
        if not earlier:
            self._authorship(change)
        forged = [(op.type, op.actor, why) for op, why in change.forged]
        for text in authorship.refusals(self.state, forged):
            self._notice(text)
        if change.held:
            latest = max(op.hlc for op in change.held)
            authors = sorted({authorship.name_in(self.state, op.actor) for op in change.held})
            what = "a change" if len(change.held) == 1 else f"{len(change.held)} changes"
            ahead = describe_ahead(latest, now)
            self._notice(
                f"held back {what} by {', '.join(authors)} stamped "
                f"{'up to ' if len(change.held) > 1 else ''}{ahead} ahead of this computer's "
                "clock (a wrong clock?); shown when that time comes"
            )
        return change

    def _send_again_what_was_lost(self, pulled: Pulled, overlapped: bool = False) -> None:
        """Queue again the ops the other side lost: its whole log arrived (``complete``)
        and lacks ops this replica holds, or ops it should have echoed did not come back
        (unless a push ``overlapped`` the pull: the next pull reads them back)."""
        circle = self.record.id
        restored = 0
        if self.transport.echoes:
            if self._read_back is not None:
                self._read_back.update(op.id for op in pulled.ops)
            if self.store.echoed(circle, [op.id for op in pulled.ops]):
                self._outbox_changed()
            if not pulled.more and not overlapped:
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
            self._stored_up_to = newest  # all of it stored here, and folded as it was
            return
        # A live quiz imported beside the app keeps its key here before its op: read the
        # keys again, or the lead could not run it until a restart.
        self._quiz_keys = store.all_quiz_keys(circle)
        problems: list[str] = []
        ops, self._stored_up_to = store.stored_since(
            circle, self._stored_up_to, problems, self.replica.signatures
        )
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
            self._indexer.wake(fresh)  # their texts, for search
        for op_id in store.missing(circle, pending):
            self._emit(self.replica.reject(op_id))
        self._outbox_changed()

    # --- plumbing ---------------------------------------------------------------------

    def _outbox_changed(self) -> None:
        queued = self.store.outbox_ids(self.record.id)
        self._set_status(waiting=len(queued), queued=queued)

    def _load(self) -> None:
        problems: list[str] = []
        # Read before the ops: what others store from here on is folded later (a row
        # stored meanwhile is read twice, and skipped the second time).
        self._stored_up_to = self.store.last_stored(self.record.id)
        self.store.changed_elsewhere()
        self._quiz_keys = self.store.all_quiz_keys(self.record.id)
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
            self._take(ops, earlier=True)
        if self.replica.base is None:
            self.replica.state.posts.freeze()  # a whole log folded: posts as if restored
        self._keep_texts(ops)
        self._indexer.wake()
        self._snapshots.due(self.replica.on_top)
        self.store.save_verdicts(self.record.id, self.replica.signatures.take_fresh())
        self._log_seen = len(self.state.moderation_log)
        try:
            self.keys.signing(self.state, self.record.member_id)
        except LostKey as error:
            self._notice(str(error), "error")
        queued = self.store.outbox_ids(self.record.id)
        self.status = SyncStatus(
            self.transport.kind, SyncState.SYNCED, waiting=len(queued), queued=queued
        )

    def _keep_texts(self, ops: list[Op]) -> None:
        """Texts in ops at hand go to the texts' LRU: drawing them needs no read."""
        carried = [
            op for op in ops[-CACHED_TEXTS:] if isinstance(op, (PostCreate, ThreadCreate, PostEdit))
        ]
        self.texts.keep({op.id: op.data.text for op in carried})

    def _adopt_snapshot(self) -> None:
        """A snapshot written in the background: stand on it, let go what it covers."""
        written = self._snapshots.ready()
        if written is not None:
            base = snapshots.base_of(self.store, self.record.id, self.replica.ordering, written)
            self.replica.rebase(base)

    def _authorship(self, change: Change) -> None:
        """After a change: keep the verdicts the fold reached, and tell the member what
        arrived not signed by its author, whose key changed, and whether they are
        themselves again (a lead gave them back their place)."""
        self.store.save_verdicts(self.record.id, self.replica.signatures.take_fresh())
        state = self.replica.state  # the history's (a preview's view may be shown meanwhile)
        log = state.moderation_log
        start = 0 if change.refolded else min(self._log_seen, len(log))
        self._log_seen = len(log)
        for text in authorship.reports(state, log[start:]):
            self._notice(text)
        for text in authorship.key_changes(state, change.applied, self.record.member_id):
            self._notice(text, "information")
        adopted = self.keys.adopted(state, self.record.member_id)
        if adopted is not None:
            # The member id this device joined as has ended: it is served here no more
            # (the pacer drops what it kept for it), the member it is now is.
            self.members.discard(self.record.member_id)
            self.record.member_id = adopted
            self.members.add(adopted)
            self.store.save_circle(self.record)
            self._notice(authorship.welcome_back(state, adopted), "information")
        if self.keys.server_mismatch(state):
            self._notice(authorship.SERVER_KEY_CHANGED, "error")

    def _emit(self, event: Event) -> None:
        if isinstance(event, Change):
            if not event:
                return
            self.changes += 1  # the state moved on: what was made from it is stale
        for listener in self._listeners:
            listener(event)

    def notify(self, member: str, text: str, severity: str = "warning") -> None:
        """Tell one member served here (what went wrong with something of theirs)."""
        self._notice(text, severity, to=member)

    def _notice(self, text: str, severity: str = "warning", to: str = "") -> None:
        if (to, text) in self._reported:
            return
        self._reported.add((to, text))
        notice = Notice(text, severity, to)
        self.notices.append(notice)
        self._emit(notice)

    def _set_status(self, **changes: object) -> None:
        status = dataclasses.replace(self.status, **changes)  # type: ignore[arg-type]
        if status != self.status:
            self.status = status
            self._emit(status)


class CircleService(CircleIntents):
    """One member's view of a circle: what the TUI talks to (see the module's docstring).

    ``CircleService(store, record, transport)`` is the user's own app: a circle of its
    own, ``me`` being ``record.member_id``. ``CircleService.member_of(circle, member)``
    is one of several members served over one ``SharedCircle`` (ssh-serve's players).
    """

    def __init__(
        self,
        store: Store,
        record: CircleRecord,
        transport: Transport,
        now_ms: Callable[[], int] = _now_ms,
    ) -> None:
        self._attach(SharedCircle(store, record, transport, now_ms), record.member_id)
        self._owns_circle = True

    @classmethod
    def member_of(cls, circle: SharedCircle, member_id: str) -> "CircleService":
        service = cls.__new__(cls)
        service._attach(circle, member_id)
        return service

    def _attach(self, circle: SharedCircle, member_id: str) -> None:
        self.circle = circle
        self._searcher = Searcher(circle.reader, circle.texts, circle.record.id)
        self._me = member_id
        self._own = bool(member_id) and member_id == circle.record.member_id
        self._owns_circle = False
        if member_id:
            circle.members.add(member_id)  # kept after they leave: their quiz goes on
        self._listening: list[Listener] = []
        # Read before the app runs (nothing waits on it yet); written behind.
        self._drafts = circle.store.drafts(circle.record.id, member_id)

    def close(self) -> None:
        """Stop hearing the circle (a player left); the circle goes on for the others.
        The user's own app's circle ends with it: its queued writes (drafts) finish."""
        for listener in self._listening:
            self.circle.unsubscribe(listener)
        self._listening.clear()
        if self._owns_circle:
            self.circle.close()

    # --- reading ----------------------------------------------------------------------

    @property
    def me(self) -> str:
        if self._own:  # the store's own member: who they are follows a lead's re-key
            return self.circle.record.member_id
        return self._me

    @property
    def state(self) -> CircleState:
        return self.circle.state

    @property
    def catching_up(self) -> bool:
        """Whether the state shown is a preview: older history is still on its way."""
        return self.circle.catching_up

    @property
    def status(self) -> SyncStatus:
        return self.circle.status

    @property
    def notices(self) -> list[Notice]:
        return [notice for notice in self.circle.notices if notice.to in ("", self.me)]

    @property
    def store(self) -> Store:
        return self.circle.store

    @property
    def record(self) -> CircleRecord:
        return self.circle.record

    @property
    def transport(self) -> Transport:
        return self.circle.transport

    @property
    def replica(self) -> Replica:
        return self.circle.replica

    @property
    def texts(self) -> PostTexts:
        """Post texts by the op that carried them (``reading.py``): what screens draw."""
        return self.circle.texts

    async def search(self, query: str) -> SearchResult | None:
        """The posts this member may read that ``query`` finds, newest first (on the
        store's reader thread: the app goes on meanwhile); None when a newer search of
        theirs has replaced this one. The texts of the first results are read with them."""
        return await self._searcher.search(self.state, query, self.me)

    def prepare_search(self) -> None:
        """A search is about to be typed: open what it reads now, not on its first key."""
        self.circle.reader.open()

    @property
    def indexing(self) -> int:
        """Ops stored and not yet in the search index (a search may miss them)."""
        return self.circle.indexing

    def now_ms(self) -> int:
        return self.circle.now_ms()

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
        """Hear every later event (but notices to other members); notices raised before
        anyone listened are replayed."""

        def heard(event: Event) -> None:
            # ``self.me`` asked each time: the store's own member follows a re-key.
            if not (isinstance(event, Notice) and event.to and event.to != self.me):
                listener(event)

        self._listening.append(heard)
        self.circle.subscribe(heard)

    async def my_circles(self) -> list[CircleRecord]:
        """Every circle this user belongs to on this device, the most recently opened
        first (this one among them): what the app offers to switch to."""
        return await self.circle.in_store(self.store.circles)

    def waiting_to_send(self, op_id: str) -> bool:
        """Whether an op is only on this computer yet, queued until the circle can be
        reached (a post to mark "sending", an answer not yet given in the room's eyes)."""
        return op_id in self.status.queued

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
        circle = self.circle
        me = self.me
        circle.write_behind(
            "your draft", me, circle.store.set_draft, circle.record.id, me, place, text
        )

    def quiz_keys(self, key_hash: str) -> tuple[str, bytes] | None:
        """A live quiz's salts (JSON) and keys, if this device keeps them."""
        return self.circle.quiz_keys(key_hash)

    async def keep_quiz_keys(self, key_hash: str, salts: str, keys: bytes) -> None:
        """Keep a live quiz's keys on this device (``SharedCircle.keep_quiz_keys``)."""
        await self.circle.keep_quiz_keys(key_hash, salts, keys)

    # --- writing ----------------------------------------------------------------------

    def submit(
        self, type_name: str, data: Mapping[str, object], *, key: signing.SigningKey | None = None
    ) -> Op:
        """Make an op as this member, signed, store it durably, apply it, and queue it to
        send. ``key``: a key that signs its own announcement (a join, a first key).

        Raises OpError (bad data) or Refused (not allowed here) without storing anything.
        """
        return self.circle.submit(self.me, type_name, data, key=key)

    async def send(self, type_name: str, data: Mapping[str, object]) -> Op:
        """Make an op as this member when their ops asked before it are done, check it
        against the state they left, store it durably, apply it, and queue it to send.

        Raises Refused, in the member's words, without storing anything."""
        return await self.circle.send(self.me, type_name, data)

    @property
    def keys(self) -> MemberKeys:
        return self.circle.keys

    # --- keys -------------------------------------------------------------------------

    def sign_from_now(self) -> Op | None:
        """A member from before signing (or from an older app) announces a first key,
        so that their changes are signed from now on; nothing for one who has a key."""
        if not self.circle.keys.needs_first(self.state, self.me):
            return None
        key = self.circle.keys.new(self.me)
        data = {"member": self.me, "key": key.public, "reason": "first"}
        return self.submit("member.key", data, key=key)

    def rotate_key(self) -> Op:
        """Sign from now on with a new key (the old one signs the change)."""
        self.circle.keys.signing(self.state, self.me)  # a device that lost its key cannot rotate
        new = self.circle.keys.new(self.me)
        proof = new.prove(self.state.id, self.me)  # that the new key is held here
        data = {"member": self.me, "key": new.public, "reason": "rotate", "proof": proof}
        return self.submit("member.key", data)

    def rekey(self, member: str, joined_as: str) -> Op:
        """As a lead: give ``member``, who lost their key, the key of the member id their
        new device joined as (which ends, being the same person)."""
        key = self.state.key_of(joined_as)
        if key is None:
            raise Refused(N_("the member they joined again as has no key (an older app?)"))
        data = {"member": member, "key": key, "reason": "lost", "joined_as": joined_as}
        return self.submit("member.key", data)

    def require_signatures(self, required: bool) -> Op:
        """As the lead: refuse (or take again) changes that are not signed."""
        return self.submit("circle.update", {"signatures_required": required})

    def schedule_ics(self) -> bytes:
        """The circle's schedule as an iCalendar file's bytes (exported, or shown to copy)."""
        state = self.state
        return to_ics(state.name, state.id, state.schedule, self.now_ms())

    # --- syncing (the circle's: one loop for every member) ----------------------------

    async def sync_once(self, wait: float = 0.0) -> None:
        await self.circle.sync_once(wait)

    async def run(self) -> None:
        await self.circle.run()

    async def pace(self) -> None:
        await self.circle.pace()

    def report_failure(self, error: Exception) -> None:
        self.circle.report_failure(error)
