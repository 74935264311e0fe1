"""The server's replicas: every hosted circle folded in memory, and the one path that
changes them (admission, then a group commit).

Each circle keeps a ``core.replica.Replica`` in seq order, so an op is checked with the
same ``permissions.refusal`` every client folds with, against the state every client
will reach. Changes go through one queue: a batch of requests is admitted in memory
(checked, given seqs), written to SQLite in one transaction, and only then answered
and shown to readers. Many writers thus share one disk flush, and no reader ever sees
an op that a crash could take back.

The commit runs on the event loop's own thread. Handing it to a worker thread keeps
the loop free during the flush, but a busy loop holds the GIL, and every hand-over
(to the worker, into and out of SQLite, back to the loop) then waits its turn: on the
2-core machine of bench/server_load.py that made a sub-millisecond commit take 5-15 ms
and the write p99 miss its target. Reads that may be long (a circle's whole history)
still go to a worker thread, with a connection of their own.

A check that must hold across requests and server processes (an invite's uses left)
is made in the database itself, by ``Batch.claim``, inside the commit's transaction.

Two kinds of op are acknowledged (kept on disk) but logged later: a quiz answer, sealed
until its question ends, and an anonymous suggestion, published alone a few seconds on.
"""

import asyncio
import contextlib
import logging
import os
import random
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import msgspec

from ..core import hlc, ids, permissions
from ..core.ops import SERVER_ACTOR, Op
from ..core.replica import Replica
from .circle import Circle, served
from .storage import REDEEM_INVITE, Batch, Invite, Storage, decode_stored, hash_secret, new_token

log = logging.getLogger("studycircle.server")

FUTURE_SLACK_MS = 86_400_000  # an op's clock may run at most a day ahead of the server's
# An anonymous suggestion is published on its own, at a random moment this many seconds
# after it arrives: not beside the ops its author sent with it, nor with their time.
HOLD_S = (5.0, 30.0)


class ApiError(Exception):
    """A refusal the client is told about: HTTP status, a short code and a sentence."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = headers or {}


def _unavailable(error: Exception) -> ApiError:
    return ApiError(503, "unavailable", f"the server could not store this: {error}")


Work = Callable[[Batch], Any]


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


class Hub:
    def __init__(self, storage: Storage, reads: Storage) -> None:
        self.storage = storage  # written in group commits, on the event loop's thread
        self._reads = reads  # read by the worker thread: no connection serves two threads
        self.circles: dict[str, Circle] = {}
        self.tokens: dict[str, tuple[str, str]] = {}  # token hash: circle, member
        self._db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="studycircle-db")
        self._queue: list[tuple[Work, asyncio.Future]] = []
        self._runner: asyncio.Task | None = None
        self._loading = asyncio.Lock()
        self._timed: set[str] = set()  # circles whose held suggestions have their timers
        self._timers: dict[tuple[str, str], asyncio.TimerHandle] = {}  # circle, op: timer
        self._publishing: set[asyncio.Task] = set()
        self.closing = False  # shutting down: long-polls answer at once

    @classmethod
    def open(cls, data_dir: Path) -> "Hub":
        hub = cls(Storage(data_dir), Storage(data_dir))
        hub.tokens = {row[0]: (row[1], row[2]) for row in hub._reads.tokens()}
        for circle_id, name in hub._reads.circles():
            hub.circles[circle_id] = hub._load(circle_id, name)
        return hub

    def close(self) -> None:
        for timer in self._timers.values():  # held suggestions wait on disk for the next start
            timer.cancel()
        for task in self._publishing:
            task.cancel()
        self._db.shutdown(wait=True)
        self._reads.close()
        self.storage.close()

    def _load(self, circle_id: str, name: str) -> Circle:
        circle = Circle(circle_id, name, Replica(circle_id, "seq"))
        ops = decode_stored(self._reads.op_bodies(circle_id))
        circle.replica.add(ops)
        for op in ops:
            circle.log.append(served(op, circle.replica.state))
            circle.seen[op.id] = (op.seq, op.actor)
            circle.last_at = max(circle.last_at, op.at or 0)
        circle.next_seq = len(ops) + 1
        circle.published = len(circle.log)
        for op in decode_stored(self._reads.sealed_bodies(circle_id)):
            (circle.sealed if op.type == "quiz.answer" else circle.held)[op.id] = op
            circle.seen[op.id] = (None, op.actor)
        return circle

    def end_long_polls(self) -> None:
        """On shutdown: answer every waiting long-poll now (and any later one at once),
        so members see the server go rather than wait out their poll."""
        self.closing = True
        for circle in self.circles.values():
            circle.wake()

    async def _in_db(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._db, fn, *args)

    async def circle(self, circle_id: str) -> Circle | None:
        """A hosted circle, read from the file if an admin created it since start-up."""
        circle = self.circles.get(circle_id)
        if circle is None and len(circle_id) == 26:
            async with self._loading:
                if circle_id not in self.circles:
                    name = await self._in_db(self._reads.circle_name, circle_id)
                    if name is None:
                        return None
                    self.circles[circle_id] = await self._in_db(self._load, circle_id, name)
                circle = self.circles[circle_id]
        if circle is not None and circle.id not in self._timed:
            # Suggestions held when the server stopped (or the circle was read again)
            # get their timers on the first request that needs the circle.
            self._timed.add(circle.id)
            for op_id in circle.held:
                self._time(circle.id, op_id)
        return circle

    # --- the write path -----------------------------------------------------------------

    async def submit(self, work: Work) -> Any:
        """Run ``work`` in the next group commit; its result once it is on disk."""
        future = asyncio.get_running_loop().create_future()
        self._queue.append((work, future))
        if self._runner is None or self._runner.done():
            self._runner = asyncio.create_task(self._run())
        # A client that hangs up does not cancel its work: the retry must find it done.
        return await asyncio.shield(future)

    async def _run(self) -> None:
        while self._queue:
            queued, self._queue = self._queue, []
            batch = Batch(self.storage)
            outcomes: list[tuple[asyncio.Future, bool, Any]] = []
            for work, future in queued:
                try:
                    outcomes.append((future, True, work(batch)))
                except sqlite3.Error as error:  # from Batch.claim
                    outcomes.append((future, False, _unavailable(error)))
                except Exception as error:  # ApiError, or a bug that must not stop the queue
                    outcomes.append((future, False, error))
            try:
                batch.commit()  # on this thread: see the module's doc
            except Exception as error:
                log.exception("storage write failed; reloading from disk")
                await self._recover(set(batch.circles))
                outcomes = [(future, False, _unavailable(error)) for future, _, _ in outcomes]
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

    async def _recover(self, circle_ids: set[str]) -> None:
        """After a failed commit, forget what was admitted and read the disk again."""
        self.tokens = {row[0]: (row[1], row[2]) for row in await self._in_db(self._reads.tokens)}
        for circle_id in circle_ids:
            old = self.circles[circle_id]
            self.circles[circle_id] = await self._in_db(self._load, circle_id, old.name)
            self._timed.discard(circle_id)
            old.wake()

    # --- admission: in memory, inside a batch ----------------------------------------------

    def admit(
        self, circle: Circle, member: str, item: Op | tuple[str | None, str], batch: Batch
    ) -> dict[str, object]:
        """Check one pushed op and log it; the result the client gets for it."""
        if isinstance(item, tuple):  # it did not decode: (its id if readable, why)
            return {"id": item[0], "error": item[1]}
        op = item
        known = circle.seen.get(op.id)
        if known is not None:
            seq, actor = known
            if actor != member:
                return {"id": op.id, "error": "another op already has this id"}
            return {"id": op.id, "seq": seq} if seq is not None else {"id": op.id, "sealed": True}
        if op.circle != circle.id:
            return {"id": op.id, "error": "the op belongs to another circle"}
        if op.LOCAL_ONLY:
            return {"id": op.id, "error": f"{op.type} stays on the device that made it"}
        now = _now_ms()
        if hlc.physical_ms(op.hlc) > now + FUTURE_SLACK_MS:
            return {"id": op.id, "error": "the op's clock is more than a day ahead of the server's"}
        # The actor is whoever holds the token; seq and receive time are the server's.
        at = max(now, circle.last_at)
        if op.type == "quiz.open":
            at = max(at, circle.after_sealed(op.data.session))
        op = msgspec.structs.replace(op, actor=member, seq=None, at=at)
        why = permissions.refusal(circle.replica.state, op)
        if why is None and op.type == "quiz.answer" and circle.has_sealed_answer(op):
            why = "you have already answered this question"
        if why is not None:
            return {"id": op.id, "error": why}
        circle.last_at = at
        if op.type == "quiz.answer":
            return self._seal(circle, op, batch)
        if op.type == "suggestion.create" and op.data.anonymous:
            return self._hold(circle, op, batch)
        for answer in circle.ended_answers(op):
            circle.release(answer, batch)
        if op.type == "member.remove":  # their suggestions were made while a member
            for held in [i for i, kept in circle.held.items() if kept.actor == op.data.member]:
                self._publish(circle.id, held, batch)
        return {"id": op.id, "seq": circle.append(op, batch)}

    def _seal(self, circle: Circle, op: Op, batch: Batch) -> dict[str, object]:
        """Keep a quiz answer (acknowledged, on disk) until its question ends, and
        publish only who answered."""
        data = {"session": op.data.session, "question": op.data.question, "player": op.actor}
        circle.append(circle.server_op(SERVER_ACTOR, "quiz.answered", data, _now_ms()), batch)
        return circle.keep(op, batch)

    # --- anonymous suggestions --------------------------------------------------------

    def _hold(self, circle: Circle, op: Op, batch: Batch) -> dict[str, object]:
        """Keep an anonymous suggestion (acknowledged, on disk) and publish it later on
        its own (``HOLD_S``), so that it does not come with its author's other ops nor
        share their receive time (``circle.served`` leaves out the author's stamp). In
        a circle where no one else writes meanwhile it still follows them in the log:
        there, who was active is plain to all anyway."""
        self._time(circle.id, op.id)
        return circle.keep(op, batch)

    def _time(self, circle_id: str, op_id: str) -> None:
        loop = asyncio.get_running_loop()
        delay = random.uniform(*HOLD_S)
        earlier = self._timers.get((circle_id, op_id))
        if earlier is not None:  # the circle was read again after a failed commit
            earlier.cancel()
        self._timers[circle_id, op_id] = loop.call_later(delay, self._due, circle_id, op_id)

    def _due(self, circle_id: str, op_id: str) -> None:
        self._timers.pop((circle_id, op_id), None)

        async def publish() -> None:
            # A failed commit reads the circle again, and times what it holds anew.
            with contextlib.suppress(ApiError):
                await self.submit(lambda batch: self._publish(circle_id, op_id, batch))

        task = asyncio.create_task(publish())
        self._publishing.add(task)
        task.add_done_callback(self._publishing.discard)

    def _publish(self, circle_id: str, op_id: str, batch: Batch) -> None:
        circle = self.circles.get(circle_id)
        op = circle.held.get(op_id) if circle else None
        if circle is not None and op is not None:  # not out already (its author removed)
            circle.release(msgspec.structs.replace(op, at=circle.stamp(_now_ms())), batch)

    # --- joining ----------------------------------------------------------------------

    async def invite(self, code_hash: str) -> Invite | None:
        """The invite as it is now; only ``admit_join`` may take a use of it."""
        return await self._in_db(self._reads.invite, code_hash)

    def admit_join(
        self, circle: Circle, invite: Invite, name: str, batch: Batch
    ) -> dict[str, object]:
        """Make the invited person a member: their ops, a token, one use of the invite."""
        used = ApiError(410, "invite_used", "this invite has been used up; ask for a new one")
        now = _now_ms()
        if invite.uses_left <= 0:
            raise used
        if invite.expires_ms <= now:
            raise ApiError(410, "invite_expired", "this invite has expired; ask for a new one")
        state = circle.replica.state
        made: list[Op] = []
        if invite.member is not None:
            # The founding lead's invite: the circle was created by this member id.
            member = invite.member
            if state.members[member].name != name:
                made.append(circle.server_op(member, "member.update", {"name": name}, now))
        else:
            member = ids.ulid(now, os.urandom(10))
            made.append(circle.server_op(member, "member.join", {"name": name}, now))
            if invite.role != "member":
                data = {"member": member, "role": invite.role}
                made.append(circle.server_op(SERVER_ACTOR, "member.role", data, now))
        # Only the first can be refused (the founder removed, say): a fresh member.join
        # always folds, and a promotion by "@server" right after it folds in a hosted
        # circle. Checking before logging anything leaves nothing half done.
        why = permissions.refusal(state, made[0]) if made else None
        if why is None and len(made) > 1 and not state.hosted:
            why = "this circle was not created by this server, so it cannot give roles"
        if why is not None:
            raise ApiError(403, "forbidden", why)
        # The invite read before this batch may have been used since, here or by another
        # server process: the use is taken in the database, last, or not at all.
        if not batch.claim(REDEEM_INVITE, (invite.hash, now)):
            raise used
        for op in made:
            circle.append(op, batch)
        token = new_token()
        token_hash = hash_secret(token)
        self.tokens[token_hash] = (circle.id, member)
        batch.write("INSERT INTO tokens VALUES (?, ?, ?, ?)", (token_hash, circle.id, member, now))
        batch.write(
            "INSERT OR REPLACE INTO members VALUES (?, ?, ?, ?)", (circle.id, member, name, now)
        )
        return {"member": member, "token": token, "circle": circle.id, "name": circle.name}
