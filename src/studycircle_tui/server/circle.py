"""A hosted circle in the server's memory: its replica, its log as served, the ops it
has acknowledged but not logged yet, and the long-polls waiting on it.

Long-polls are woken in gatherings: the first commit after a quiet spell wakes them at
once, later ones within ``GATHER_S`` of that wake-up wait for its end and go out
together. A hundred members long-polling a busy circle thus cost a hundred answers
per gathering, not per commit, and each such answer is the same cached page. A
gathering of only quiet news (``QUIET_OPS``) passes by the long-polls that would hold
it anyway: they wake once, at their hold's end.
"""

import asyncio
import math
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import msgspec

from ..core import hlc, preview
from ..core.ops import SERVER_ACTOR, Op, encode_op, hides_author
from ..core.replica import Replica
from ..core.signing import SigningKey
from ..core.state import CircleState
from .storage import DELETE_KEPT, INSERT_KEPT, INSERT_OP, Batch, Snapshot, decode_stored

if TYPE_CHECKING:
    from .limits import LongPoll

MAX_WAIT_S = 25.0  # a long-poll answers within this, well under NAT and proxy timeouts
GATHER_S = 0.04  # long-polls are woken at most this often; a commit waits at most this long
# "Someone has answered" (quiz.answered), and a player coming into or leaving a live
# quiz (quiz.join, quiz.leave), are held this long for a player's long-poll when they
# are all there is to send: a counter or a lobby list ticking once a second reads the
# same, and 200 players answering (or walking into the lobby) no longer cost 200 x 200
# answers sent. Each held answer is a request from every player: at 0.4 s, about five
# a player in a question's 1.5 s burst of answers, and the room's CPU, client and
# server, went to them just before the reveal (bench/quiz_fanout.py: 1 s cut the
# players' CPU by a fifth and the server's by a quarter). Anything else (the close, the
# reveal, a post) is sent at once with whatever was held; the host is never held, as
# they watch the room to go on.
QUIET_HOLD_S = 1.0
QUIET_OPS = frozenset({"quiz.answered", "quiz.join", "quiz.leave"})
WAKE_CHUNK = 16  # long-polls answered per turn of the event loop, so writes get their turn


@dataclass(slots=True)
class Entry:
    """One published op as served: its JSON, and for an anonymous suggestion the JSON
    with the author hidden (served to everyone but the leads and the author)."""

    raw: bytes
    redacted: bytes | None = None
    author: str | None = None
    quiet: bool = False  # one of QUIET_OPS, which a player's long-poll may hold
    stored_at: float = -math.inf  # the event loop's clock when it was committed
    kind: str = ""  # the op's type and the thread it is about: what a preview picks by
    thread: str | None = None


@dataclass(eq=False, slots=True)
class Waiter:
    """A long-poll waiting on the circle: where its member's log ends (``since``; None:
    woken by every wake-up) and when it stops waiting anyway (the event loop's clock)."""

    future: asyncio.Future
    since: int | None
    member: str
    until: float


@dataclass(slots=True)
class Circle:
    id: str
    name: str
    replica: Replica
    key: SigningKey  # the server's: it signs what it writes itself (core/signing.py)
    log: list[Entry] = field(default_factory=list)  # durable ops: log[i] has seq i + 1
    next_seq: int = 1
    seen: dict[str, tuple[int | None, str]] = field(default_factory=dict)  # id: seq, actor
    sealed: dict[str, Op] = field(default_factory=dict)  # answers awaiting their close
    held: dict[str, Op] = field(default_factory=dict)  # anonymous suggestions, to publish
    last_at: int = 0
    pages: dict[tuple, tuple[bytes, bool]] = field(default_factory=dict)  # see app.pull
    published: int = 0  # long-polls are answered from log[:published]
    waiters: list[Waiter] = field(default_factory=list)
    woken_at: float = -math.inf  # the event loop's clock at the last wake-up
    wake_timer: asyncio.TimerHandle | None = None
    version: int = 0  # the database's version of the circle when last read (storage)
    # Held while the circle changes: by a commit round, or a read of others' commits.
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def catch_up(self, snapshot: Snapshot) -> list[str]:
        """Fold in the ops of ``snapshot`` this copy lacks, in seq order, and take its
        kept ops (when read) as they are in the database; the ids of anonymous
        suggestions kept that this copy had not seen (another process holds them)."""
        ops = [op for op in decode_stored(snapshot.ops) if (op.seq or 0) > len(self.log)]
        if ops:
            self.replica.add(ops)
            stored_at = asyncio.get_running_loop().time()
            for op in ops:
                entry = served(op, self.replica.state, self.key)
                entry.stored_at = stored_at
                self.log.append(entry)
                self.seen[op.id] = (op.seq, op.actor)
                self.last_at = max(self.last_at, op.at or 0)
            self.next_seq = len(self.log) + 1
        unseen: list[str] = []
        if snapshot.kept is not None:
            self.sealed.clear()
            self.held.clear()
            for op in decode_stored(snapshot.kept):
                (self.sealed if op.type == "quiz.answer" else self.held)[op.id] = op
                self.last_at = max(self.last_at, op.at or 0)
                if op.id not in self.seen and op.type != "quiz.answer":
                    unseen.append(op.id)
                self.seen[op.id] = (None, op.actor)
            self.version = snapshot.version
        return unseen

    # --- logging, in a batch ------------------------------------------------------------

    def stamp(self, now_ms: int) -> int:
        """The receive time for a new op: never earlier than the circle's last one."""
        self.last_at = max(now_ms, self.last_at)
        return self.last_at

    def append(self, op: Op, batch: Batch) -> int:
        """Log ``op`` (read by readers once ``batch`` is on disk); its seq."""
        seq = self.next_seq
        self.next_seq += 1
        op = msgspec.structs.replace(op, seq=seq)
        self.replica.add([op])
        self.seen[op.id] = (seq, op.actor)
        entry = served(op, self.replica.state, self.key)
        batch.write(INSERT_OP, (self.id, seq, op.id, op.actor, entry.raw))
        batch.staged.append((self, entry))
        batch.circles[self.id] = self
        return seq

    def server_op(
        self, actor: str, type_name: str, data: object, now_ms: int, *, for_member: bool = False
    ) -> Op:
        """An op the server writes, signed with its key: its own ("@server"), or with
        ``for_member`` one it writes in a member's name who has no key yet (their
        admission), marked as signed by the server."""
        at = self.stamp(now_ms)
        signer = SERVER_ACTOR if for_member else None
        op = self.replica.make(actor, type_name, data, at, os.urandom(10), self.key, signer)
        return msgspec.structs.replace(op, at=at)

    def keep(self, op: Op, batch: Batch) -> dict[str, object]:
        """Acknowledge ``op`` (on disk) without logging it yet: a sealed quiz answer, or
        an anonymous suggestion waiting for its moment (see hub.Hub)."""
        (self.sealed if op.type == "quiz.answer" else self.held)[op.id] = op
        self.seen[op.id] = (None, op.actor)
        batch.write(INSERT_KEPT, (self.id, op.id, op.actor, encode_op(op)))
        batch.circles[self.id] = self
        return {"id": op.id, "sealed": True}

    def release(self, op: Op, batch: Batch) -> None:
        """Log a kept op now."""
        (self.sealed if op.type == "quiz.answer" else self.held).pop(op.id)
        self.append(op, batch)
        batch.write(DELETE_KEPT, (self.id, op.id))

    # --- sealed quiz answers ------------------------------------------------------------

    def has_sealed_answer(self, op: Op) -> bool:
        return any(
            sealed.actor == op.actor
            and sealed.data.session == op.data.session
            and sealed.data.question == op.data.question
            for sealed in self.sealed.values()
        )

    def after_sealed(self, session: str) -> int:
        """A time after every sealed answer of ``session``. A sealed answer lands in the
        log after the pauses and extra time that followed it, and is judged by the opens
        with a time up to its own (permissions._in_time): those must be the ones that
        came before it, so a quiz.open never shares a millisecond with such an answer."""
        times = (op.at for op in self.sealed.values() if op.data.session == session)
        return 1 + max(times, default=-1)  # type: ignore[type-var]

    def ended_answers(self, op: Op) -> list[Op]:
        """The sealed answers whose question ``op`` ends, to log just before it: its
        close, the session's finish, or the opening of another question. They take seqs
        before ``op``, so every replica folds them while the question was still open;
        each keeps the time it was received (speed scoring, and permissions._in_time
        judges it by that time, as the server did on its arrival). A quiz.open of the
        open question (more time, a pause, the resume) ends nothing."""
        if op.type not in ("quiz.close", "quiz.finish", "quiz.open"):
            return []
        session = op.data.session
        if op.type == "quiz.open" and self.replica.state.sessions[session].current == (
            op.data.question
        ):
            return []
        return [
            self.sealed[op_id]
            for op_id in sorted(self.sealed)
            if self.sealed[op_id].data.session == session
        ]

    # --- long-polls ---------------------------------------------------------------------

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

    def wake(self, everyone: bool = False) -> None:
        """Publish every durable op and answer the waiting long-polls, a chunk per turn
        of the event loop: a burst of answers never holds up a commit for long. Those
        that would only hold what is new wait on (see ``_held``), unless ``everyone``
        must go (the server shuts down, or the circle is read again)."""
        if self.wake_timer is not None:
            self.wake_timer.cancel()
            self.wake_timer = None
        loop = asyncio.get_running_loop()
        self.woken_at = loop.time()
        self.published = len(self.log)
        waiters, self.waiters = self.waiters, []
        woken = []
        for waiter in waiters:
            if not everyone and self._held(waiter, loop):
                self.waiters.append(waiter)
            else:
                woken.append(waiter.future)
        _release(loop, woken, 0)

    def _held(self, waiter: Waiter, loop: asyncio.AbstractEventLoop) -> bool:
        """Whether ``waiter`` holds what is published for it (``hold_for``): it then
        waits on, woken at its hold's end if not sooner. A player's long-poll thus takes
        a burst of 200 "has answered" once per hold, not once per gathering."""
        since = waiter.since
        if since is None or since >= self.published:
            return False
        hold = self.hold_for(since, waiter.member)
        if hold <= 0:
            return False
        if loop.time() + hold < waiter.until:
            waiter.until = loop.time() + hold
            loop.call_at(waiter.until, _release, loop, [waiter.future], 0)
        return True

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

    async def wait(
        self,
        timeout: float,
        poll: "LongPoll | None" = None,
        since: int | None = None,
        member: str = "",
    ) -> None:
        """Until the next wake-up that brings news past ``since`` which ``member`` does
        not hold (any wake-up when None), ``timeout`` seconds, or the end of ``poll``."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        waiter = Waiter(future, since, member, loop.time() + timeout)
        self.waiters.append(waiter)
        if poll is not None:
            poll.waiter = future
        timer = loop.call_later(timeout, _release, loop, [future], 0)
        try:
            await future
        finally:
            timer.cancel()
            if poll is not None:
                poll.waiter = None
            if waiter in self.waiters:  # timed out, cancelled or ended: not woken
                self.waiters.remove(waiter)


def _release(loop: asyncio.AbstractEventLoop, waiters: list[asyncio.Future], start: int) -> None:
    end = start + WAKE_CHUNK
    for waiter in waiters[start:end]:
        if not waiter.done():
            waiter.set_result(None)
    if end < len(waiters):
        loop.call_soon(_release, loop, waiters, end)


def served(op: Op, state: CircleState, key: SigningKey) -> Entry:
    """``op`` (given its seq and receive time, and folded into ``state``) as the server
    sends it."""
    raw = encode_op(op)
    entry = Entry(raw, kind=op.type, thread=preview.thread_of(state, op))
    if hides_author(op.data):
        # Nothing of the author's: not their id as actor, nor their clock's stamp (a
        # clock set wrong shows the same on all they write); the stamp is made from the
        # receive time, which is when the server chose to publish it (see hub.Hub._hold).
        # What is served is the server's then, and signed by it; the author's own
        # signature goes to those who see the author (the leads and the author).
        stamp = hlc.encode(op.at or 0, 0)
        hidden = msgspec.structs.replace(op, actor=SERVER_ACTOR, hlc=stamp, signer=None)
        entry.redacted, entry.author = encode_op(key.sign(hidden)), op.actor
    entry.quiet = op.type in QUIET_OPS
    return entry
