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

Long-polls are woken in gatherings: the first commit after a quiet spell wakes them at
once, later ones within ``GATHER_S`` of that wake-up wait for its end and go out
together. A hundred members long-polling a busy circle thus cost a hundred answers
per gathering, not per commit, and each such answer is the same cached page.
"""

import asyncio
import logging
import math
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from ..core import hlc, ids, permissions, preview
from ..core.ops import SERVER_ACTOR, Op, encode_op
from ..core.replica import Replica
from ..core.state import CircleState
from .storage import Invite, Statement, Storage, decode_stored, hash_secret, new_token

log = logging.getLogger("studycircle.server")

MAX_WAIT_S = 25.0  # a long-poll answers within this, well under NAT and proxy timeouts
GATHER_S = 0.04  # long-polls are woken at most this often; a commit waits at most this long
# "Someone has answered" (quiz.answered) is held this long for a player's long-poll when
# it is all there is to send: a counter ticking a few times a second reads the same,
# and 200 players answering no longer cost 200 x 200 answers sent. Anything else (the
# close, the reveal, a post) is sent at once with whatever was held; the host is never
# held, as they watch the answers come in to close the question.
QUIET_HOLD_S = 0.4
WAKE_CHUNK = 16  # long-polls answered per turn of the event loop, so writes get their turn
FUTURE_SLACK_MS = 86_400_000  # an op's clock may run at most a day ahead of the server's
# Quiz ops by the host after which a question's sealed answers must already be in the log.
_UNSEALING = ("quiz.open", "quiz.close", "quiz.finish")


class ApiError(Exception):
    """A refusal the client is told about: HTTP status, a short code and a sentence."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = headers or {}


@dataclass(slots=True)
class Entry:
    """One published op as served: its JSON, and for an anonymous suggestion the JSON
    with the author hidden (served to everyone but the leads and the author)."""

    raw: bytes
    redacted: bytes | None = None
    author: str | None = None
    quiet: bool = False  # a quiz.answered, which a player's long-poll may hold
    stored_at: float = -math.inf  # the event loop's clock when it was committed
    kind: str = ""  # the op's type and the thread it is about: what a preview picks by
    thread: str | None = None


@dataclass(slots=True)
class Circle:
    id: str
    name: str
    replica: Replica
    log: list[Entry] = field(default_factory=list)  # durable ops: log[i] has seq i + 1
    next_seq: int = 1
    seen: dict[str, tuple[int | None, str]] = field(default_factory=dict)  # id: seq, actor
    sealed: dict[str, Op] = field(default_factory=dict)  # answers awaiting their close
    last_at: int = 0
    pages: dict[tuple, tuple[bytes, bool]] = field(default_factory=dict)  # see app.pull
    published: int = 0  # long-polls are answered from log[:published]
    waiters: list[asyncio.Future] = field(default_factory=list)
    woken_at: float = -math.inf  # the event loop's clock at the last wake-up
    wake_timer: asyncio.TimerHandle | None = None

    def notify(self) -> None:
        """New ops are on disk: wake the long-polls now, or at the end of the current
        gathering if they were woken less than ``GATHER_S`` ago."""
        if self.wake_timer is not None:
            return  # a wake-up is due; it will take these ops too
        loop = asyncio.get_running_loop()
        due = self.woken_at + GATHER_S
        if loop.time() >= due:
            self.wake()
        else:
            self.wake_timer = loop.call_at(due, self.wake)

    def wake(self) -> None:
        """Publish every durable op and answer the waiting long-polls, a chunk per turn
        of the event loop: a burst of answers never holds up a commit for long."""
        if self.wake_timer is not None:
            self.wake_timer.cancel()
            self.wake_timer = None
        loop = asyncio.get_running_loop()
        self.woken_at = loop.time()
        self.published = len(self.log)
        waiters, self.waiters = self.waiters, []
        _release(loop, waiters, 0)

    def hold_for(self, since: int, member: str) -> float:
        """How much longer a long-poll from ``since`` keeps what is published to itself
        (see ``QUIET_HOLD_S``); 0 to send it now."""
        first = self.log[since]
        if not first.quiet:
            return 0.0
        left = first.stored_at + QUIET_HOLD_S - asyncio.get_running_loop().time()
        if left <= 0 or any(not self.log[i].quiet for i in range(since + 1, self.published)):
            return 0.0
        hosting = any(
            session.host == member and session.mode == "live" and not session.finished
            for session in self.replica.state.sessions.values()
        )
        return 0.0 if hosting else left

    async def wait(self, timeout: float) -> None:
        """Until the next wake-up, or ``timeout`` seconds."""
        loop = asyncio.get_running_loop()
        waiter = loop.create_future()
        self.waiters.append(waiter)
        timer = loop.call_later(timeout, _release, loop, [waiter], 0)
        try:
            await waiter
        finally:
            timer.cancel()
            if waiter in self.waiters:  # timed out or cancelled: not woken
                self.waiters.remove(waiter)


def _release(loop: asyncio.AbstractEventLoop, waiters: list[asyncio.Future], start: int) -> None:
    end = start + WAKE_CHUNK
    for waiter in waiters[start:end]:
        if not waiter.done():
            waiter.set_result(None)
    if end < len(waiters):
        loop.call_soon(_release, loop, waiters, end)


Work = Callable[[list[Statement], list[tuple[Circle, Entry]]], Any]


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def served(op: Op, state: CircleState) -> Entry:
    """How ``op`` is served, once ``state`` has folded it."""
    raw = encode_op(op)
    entry = Entry(raw, kind=op.type, thread=preview.thread_of(state, op))
    if op.type == "suggestion.create" and op.data.anonymous:
        hidden = msgspec.structs.replace(op, actor=SERVER_ACTOR)
        entry.redacted, entry.author = encode_op(hidden), op.actor
    entry.quiet = op.type == "quiz.answered"
    return entry


class Hub:
    def __init__(self, storage: Storage, reads: Storage) -> None:
        self.storage = storage  # written in group commits, on the event loop's thread
        self._reads = reads  # read by the worker thread: no connection serves two threads
        self.circles: dict[str, Circle] = {}
        self.tokens: dict[str, tuple[str, str]] = {}  # token hash: circle, member
        self.invites: dict[str, Invite] = {}  # read from the file when first redeemed
        self._db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="studycircle-db")
        self._queue: list[tuple[Work, asyncio.Future]] = []
        self._runner: asyncio.Task | None = None
        self._loading = asyncio.Lock()
        self.closing = False  # shutting down: long-polls answer at once

    @classmethod
    def open(cls, data_dir: Path) -> "Hub":
        hub = cls(Storage(data_dir), Storage(data_dir))
        hub.tokens = {row[0]: (row[1], row[2]) for row in hub._reads.tokens()}
        for circle_id, name in hub._reads.circles():
            hub.circles[circle_id] = hub._load(circle_id, name)
        return hub

    def close(self) -> None:
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
            circle.sealed[op.id] = op
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
        if circle is not None or len(circle_id) != 26:
            return circle
        async with self._loading:
            if circle_id not in self.circles:
                name = await self._in_db(self._reads.circle_name, circle_id)
                if name is None:
                    return None
                self.circles[circle_id] = await self._in_db(self._load, circle_id, name)
            return self.circles[circle_id]

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
            batch, self._queue = self._queue, []
            writes: list[Statement] = []
            staged: list[tuple[Circle, Entry]] = []
            outcomes: list[tuple[asyncio.Future, bool, Any]] = []
            for work, future in batch:
                try:
                    outcomes.append((future, True, work(writes, staged)))
                except Exception as error:  # ApiError, or a bug that must not stop the queue
                    outcomes.append((future, False, error))
            try:
                if writes:
                    self.storage.execute(writes)  # on this thread: see the module's doc
            except Exception as error:
                log.exception("storage write failed; reloading from disk")
                await self._recover({circle.id for circle, _ in staged})
                failure = ApiError(503, "unavailable", f"the server could not store this: {error}")
                outcomes = [(future, False, failure) for future, _, _ in outcomes]
            else:
                touched: dict[str, Circle] = {}
                stored_at = asyncio.get_running_loop().time()
                for circle, entry in staged:
                    entry.stored_at = stored_at
                    circle.log.append(entry)
                    touched[circle.id] = circle
                for circle in touched.values():
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
        self.invites.clear()
        self.tokens = {row[0]: (row[1], row[2]) for row in await self._in_db(self._reads.tokens)}
        for circle_id in circle_ids:
            old = self.circles[circle_id]
            self.circles[circle_id] = await self._in_db(self._load, circle_id, old.name)
            old.wake()

    # --- admission: in memory, inside a batch ----------------------------------------------

    def _append(
        self, circle: Circle, op: Op, writes: list[Statement], staged: list[tuple[Circle, Entry]]
    ) -> int:
        seq = circle.next_seq
        circle.next_seq += 1
        op = msgspec.structs.replace(op, seq=seq)
        circle.replica.add([op])
        circle.seen[op.id] = (seq, op.actor)
        entry = served(op, circle.replica.state)
        writes.append(
            ("INSERT INTO ops VALUES (?, ?, ?, ?, ?)", (circle.id, seq, op.id, op.actor, entry.raw))
        )
        staged.append((circle, entry))
        return seq

    def _stamp(self, circle: Circle) -> int:
        """The receive time for a new op: never earlier than the circle's last one."""
        circle.last_at = max(_now_ms(), circle.last_at)
        return circle.last_at

    def _server_op(self, circle: Circle, actor: str, type_name: str, data: object) -> Op:
        at = self._stamp(circle)
        op = circle.replica.make(actor, type_name, data, at, os.urandom(10))
        return msgspec.structs.replace(op, at=at)

    def admit(
        self,
        circle: Circle,
        member: str,
        item: Op | tuple[str | None, str],
        writes: list[Statement],
        staged: list[tuple[Circle, Entry]],
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
        op = msgspec.structs.replace(op, actor=member, seq=None, at=max(now, circle.last_at))
        state = circle.replica.state
        why = permissions.refusal(state, op)
        if why is None and op.type == "quiz.answer" and self._sealed_answer(circle, op):
            why = "you have already answered this question"
        if why is not None:
            return {"id": op.id, "error": why}
        circle.last_at = op.at  # type: ignore[assignment]
        if op.type == "quiz.answer":
            return self._seal(circle, op, writes, staged)
        if op.type in _UNSEALING:
            self._unseal(circle, op.data.session, writes, staged)
        return {"id": op.id, "seq": self._append(circle, op, writes, staged)}

    # --- quizzes without leaks ------------------------------------------------------------

    def _sealed_answer(self, circle: Circle, op: Op) -> bool:
        return any(
            sealed.actor == op.actor
            and sealed.data.session == op.data.session
            and sealed.data.question == op.data.question
            for sealed in circle.sealed.values()
        )

    def _seal(
        self, circle: Circle, op: Op, writes: list[Statement], staged: list[tuple[Circle, Entry]]
    ) -> dict[str, object]:
        """Keep the answer (acknowledged, on disk) and publish only who answered."""
        circle.sealed[op.id] = op
        circle.seen[op.id] = (None, op.actor)
        writes.append(
            ("INSERT INTO sealed VALUES (?, ?, ?, ?)", (circle.id, op.id, op.actor, encode_op(op)))
        )
        data = {"session": op.data.session, "question": op.data.question, "player": op.actor}
        answered = self._server_op(circle, SERVER_ACTOR, "quiz.answered", data)
        self._append(circle, answered, writes, staged)
        return {"id": op.id, "sealed": True}

    def _unseal(
        self,
        circle: Circle,
        session: str,
        writes: list[Statement],
        staged: list[tuple[Circle, Entry]],
    ) -> None:
        """Log a session's sealed answers just before the op that closes their question.

        They take seqs before the close, so every replica folds them while the question
        was still open; each keeps the receive time it was answered at (speed scoring).
        """
        for op_id in sorted(circle.sealed):
            op = circle.sealed[op_id]
            if op.data.session != session:
                continue
            del circle.sealed[op_id]
            self._append(circle, op, writes, staged)
            writes.append(("DELETE FROM sealed WHERE circle = ? AND id = ?", (circle.id, op_id)))

    # --- joining ----------------------------------------------------------------------

    async def invite(self, code_hash: str) -> Invite | None:
        invite = self.invites.get(code_hash)
        if invite is None:
            invite = await self._in_db(self._reads.invite, code_hash)
            if invite is not None:
                self.invites[code_hash] = invite
        return invite

    def admit_join(
        self,
        circle: Circle,
        invite: Invite,
        name: str,
        writes: list[Statement],
        staged: list[tuple[Circle, Entry]],
    ) -> dict[str, object]:
        """Make the invited person a member: their ops, a token, one use of the invite."""
        if invite.uses_left <= 0:
            raise ApiError(410, "invite_used", "this invite has been used up; ask for a new one")
        if invite.expires_ms <= _now_ms():
            raise ApiError(410, "invite_expired", "this invite has expired; ask for a new one")
        state = circle.replica.state
        made: list[Op] = []
        if invite.member is not None:
            # The founding lead's invite: the circle was created by this member id.
            member = invite.member
            if state.members[member].name != name:
                made.append(self._server_op(circle, member, "member.update", {"name": name}))
        else:
            member = ids.ulid(_now_ms(), os.urandom(10))
            made.append(self._server_op(circle, member, "member.join", {"name": name}))
            if invite.role != "member":
                data = {"member": member, "role": invite.role}
                made.append(self._server_op(circle, SERVER_ACTOR, "member.role", data))
        # Only the first can be refused (the founder removed, say): a fresh member.join
        # always folds, and a promotion by "@server" right after it folds in a hosted
        # circle. Checking before logging anything leaves nothing half done.
        why = permissions.refusal(state, made[0]) if made else None
        if why is None and len(made) > 1 and not state.hosted:
            why = "this circle was not created by this server, so it cannot give roles"
        if why is not None:
            raise ApiError(403, "forbidden", why)
        for op in made:
            self._append(circle, op, writes, staged)
        token = new_token()
        token_hash = hash_secret(token)
        now = _now_ms()
        invite.uses_left -= 1
        self.tokens[token_hash] = (circle.id, member)
        writes.append(
            ("INSERT INTO tokens VALUES (?, ?, ?, ?)", (token_hash, circle.id, member, now))
        )
        writes.append(
            ("INSERT OR REPLACE INTO members VALUES (?, ?, ?, ?)", (circle.id, member, name, now))
        )
        writes.append(
            ("UPDATE invites SET uses_left = ? WHERE hash = ?", (invite.uses_left, invite.hash))
        )
        return {"member": member, "token": token, "circle": circle.id, "name": circle.name}
