"""The server's replicas: every hosted circle folded in memory, and the one path that
changes them (admission, then a group commit).

Each circle keeps a ``core.replica.Replica`` in seq order, so an op is checked with the
same ``permissions.refusal`` every client folds with, against the state every client
will reach. Changes go through one queue: a batch of requests is admitted in memory
(checked, given seqs: ``admission.py``), written in one transaction, and only then
answered and shown to readers. Many writers thus share one disk flush, and no reader
ever sees an op that a crash could take back.

Several server processes may share one database (PostgreSQL). Each round of the queue
first locks, in the database, every circle it is about to change (storage: the row
lock and the version), in one order so that two processes never wait on each other;
where the version shows another process wrote the circle meanwhile, this one reads
what it wrote before admitting anything. Every admission is thus checked against the
circle's whole log, and seqs follow each other across processes. Each commit is
announced: the other processes read the new ops and wake their long-polls (peers).

The hub holds what admission and the rounds share: the circles, the tokens seen, the
server's key, and anonymous suggestions waiting for their moment (``anonymous.py``).
"""

import asyncio
import contextlib
import inspect
import logging
import os
from collections.abc import Callable
from typing import Any

from ..core import permissions
from ..core.ops import SERVER_ACTOR
from ..core.replica import Replica
from ..core.signing import SigningKey, Vouched
from . import clock
from .admission import Admission
from .anonymous import AnonymousSuggestions
from .circle import Circle
from .errors import ApiError
from .peers import Peers
from .storage import Batch, Invite, Snapshot, StorageError, Store

log = logging.getLogger("studycircle.server")


def _unavailable(error: Exception) -> ApiError:
    return ApiError(503, "unavailable", f"the server could not store this: {error}")


Work = Callable[[Batch], Any]


class Hub:
    def __init__(self, store: Store, key: SigningKey | None = None) -> None:
        self.store = store
        # Opened hubs read theirs from the database (``open``); one made in memory for a
        # test signs with a key of its own.
        self.key = key or SigningKey(os.urandom(32))
        self.circles: dict[str, Circle] = {}
        # Tokens seen, by hash: circle, member. A token not here is looked up in the
        # database (another process may have made it); a revoked one is dropped here.
        self.tokens: dict[str, tuple[str, str]] = {}
        self._queue: list[tuple[str, Work, asyncio.Future]] = []
        self._runner: asyncio.Task | None = None
        self._loading = asyncio.Lock()
        self.admission = Admission(self)  # what a push or a join writes
        self.suggestions = AnonymousSuggestions(self)  # held, then published alone
        self._tasks: set[asyncio.Task] = set()
        self.peers = Peers(self)
        self.closing = False  # shutting down: long-polls answer at once

    @classmethod
    async def open(cls, store: Store) -> "Hub":
        """A hub over ``store`` (opened), every circle loaded, listening to the others."""
        hub = cls(store, SigningKey(await store.server_key()))
        for circle_id, name in await store.circles():
            hub.circles[circle_id] = await hub._load(circle_id, name)
        await hub.peers.start()
        for circle in list(hub.circles.values()):
            await hub.give_key(circle)
        return hub

    async def give_key(self, circle: Circle) -> None:
        """A circle hosted here since before signing gets the server's key in its log,
        so that what the server writes there can be checked from now on."""
        state = circle.replica.state
        if not state.hosted or state.key_of(SERVER_ACTOR) is not None:
            return

        def announce(batch: Batch) -> None:
            data = {"member": SERVER_ACTOR, "key": self.key.public, "reason": "first"}
            op = circle.server_op(SERVER_ACTOR, "member.key", data, clock.now_ms())
            if permissions.refusal(circle.replica.state, op) is None:  # not another's first
                circle.append(op, batch)

        await self.submit(circle.id, announce)

    async def close(self) -> None:
        self.suggestions.stop()
        await self.peers.stop()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.store.close()

    def spawn(self, coroutine) -> None:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _load(self, circle_id: str, name: str) -> Circle:
        # The database holds only ops checked at admission (or signed here): not again.
        replica = Replica(circle_id, "seq", signatures=Vouched())
        circle = Circle(circle_id, name, replica, self.key)
        self._catch_up(circle, await self.store.load(circle_id))
        return circle

    def _catch_up(self, circle: Circle, snapshot: Snapshot) -> None:
        self.suggestions.caught_up(circle.id, circle.catch_up(snapshot))

    def end_long_polls(self) -> None:
        """On shutdown: answer every waiting long-poll now (and any later one at once),
        so members see the server go rather than wait out their poll."""
        self.closing = True
        for circle in self.circles.values():
            circle.wake(everyone=True)

    async def circle(self, circle_id: str) -> Circle | None:
        """A hosted circle, read from the database if an admin created it since start-up."""
        circle = self.circles.get(circle_id)
        if circle is None and len(circle_id) == 26:
            async with self._loading:
                if circle_id not in self.circles:
                    name = await self.store.circle_name(circle_id)
                    if name is None:
                        return None
                    self.circles[circle_id] = await self._load(circle_id, name)
                circle = self.circles[circle_id]
        if circle is not None:
            # Suggestions held when the server stopped (or the circle was read again)
            # get their timers on the first request that needs the circle.
            self.suggestions.time_kept(circle)
        return circle

    def known_token(self, token_hash: str) -> tuple[str, str] | None:
        """The circle and member of a token this process has seen, if it still holds."""
        if self.store.changed_elsewhere():  # an admin command wrote: it may have revoked
            self.tokens.clear()
        return self.tokens.get(token_hash)

    async def token(self, token_hash: str) -> tuple[str, str] | None:
        """The circle and member of a token, from the database if not seen yet."""
        known = self.known_token(token_hash)
        if known is None:
            known = await self.store.token(token_hash)
            if known is not None:
                self.tokens[token_hash] = known
        return known

    async def fresh(self, circle: Circle) -> None:
        """Bring ``circle`` up to what the database has committed, and wake its polls."""
        async with circle.lock:
            before = len(circle.log)
            self._catch_up(circle, await self.store.load(circle.id, before, kept=False))
        if len(circle.log) > before:
            circle.notify()

    # --- the write path -----------------------------------------------------------------

    async def submit(self, circle_id: str, work: Work) -> Any:
        """Run ``work`` (which changes the circle ``circle_id``) in the next group commit;
        its result once it is on disk."""
        future = asyncio.get_running_loop().create_future()
        self._queue.append((circle_id, work, future))
        if self._runner is None or self._runner.done():
            self._runner = asyncio.create_task(self._run())
        # A client that hangs up does not cancel its work: the retry must find it done.
        return await asyncio.shield(future)

    async def _run(self) -> None:
        while self._queue:
            queued, self._queue = self._queue, []
            for item in [item for item in queued if item[0] not in self.circles]:
                # Its circle could not be read again after a failed commit (_recover).
                queued.remove(item)
                if not item[2].done():
                    item[2].set_exception(_unavailable(StorageError("the database is down")))
            circles = [self.circles[cid] for cid in sorted({cid for cid, _, _ in queued})]
            outcomes: list[tuple[asyncio.Future, bool, Any]] = []
            async with contextlib.AsyncExitStack() as held:
                for circle in circles:  # no follow() reads them while they change
                    await held.enter_async_context(circle.lock)
                try:
                    batch = await self._commit(circles, queued, outcomes)
                except Exception as error:
                    log.exception("storage write failed; reading the changed circles again")
                    outcomes = [(future, False, _unavailable(error)) for _, _, future in queued]
                    await self._recover(circles)
                else:
                    stored_at = asyncio.get_running_loop().time()
                    for circle, entry in batch.staged:
                        entry.stored_at = stored_at
                        circle.log.append(entry)
                    for circle in {circle.id: circle for circle, _ in batch.staged}.values():
                        circle.notify()
            for future, ok, value in outcomes:
                if future.done():
                    continue
                if ok:
                    future.set_result(value)
                else:
                    future.set_exception(value)

    async def _commit(
        self,
        circles: list[Circle],
        queued: list[tuple[str, Work, asyncio.Future]],
        outcomes: list[tuple[asyncio.Future, bool, Any]],
    ) -> Batch:
        async with self.store.transaction() as tx:
            for circle in circles:
                version = await tx.lock(circle.id)
                if version != circle.version + 1:  # another process wrote it meanwhile
                    self._catch_up(circle, await tx.load(circle.id, len(circle.log)))
                circle.version = version
            batch = Batch(tx)
            for _, work, future in queued:
                try:
                    result = work(batch)
                    if inspect.isawaitable(result):
                        result = await result
                    outcomes.append((future, True, result))
                except StorageError:
                    raise  # the transaction is spoilt: every request in it gets a 503
                except Exception as error:  # ApiError, or a bug that must not stop the queue
                    outcomes.append((future, False, error))
            logged: dict[str, tuple[Circle, list[bytes]]] = {}
            for circle, entry in batch.staged:
                logged.setdefault(circle.id, (circle, []))[1].append(entry.raw)
            for circle, bodies in logged.values():
                tx.notify(self.peers.committed(circle, bodies))
            await tx.run(batch.writes)
        return batch

    async def _recover(self, circles: list[Circle]) -> None:
        """After a failed commit, forget what was admitted and read the database again."""
        self.tokens.clear()  # a join's token may be among what was not stored
        for old in circles:
            self.suggestions.forget(old.id)
            try:
                self.circles[old.id] = await self._load(old.id, old.name)
            except StorageError:  # still down: the next request that needs it reads it
                del self.circles[old.id]
            old.wake(everyone=True)

    async def invite(self, code_hash: str) -> Invite | None:
        """The invite as it is now; only ``Admission.join`` may take a use of it."""
        return await self.store.invite(code_hash)
