"""The server's replicas: every hosted circle folded in memory, and the one path that
changes them (admission, then a group commit).

Each circle keeps a ``core.replica.Replica`` in seq order, so an op is checked with the
same ``permissions.refusal`` every client folds with, against the state every client
will reach. Changes go through one queue: a batch of requests is admitted in memory
(checked, given seqs), written in one transaction, and only then answered and shown to
readers. Many writers thus share one disk flush, and no reader ever sees an op that a
crash could take back.

Several server processes may share one database (PostgreSQL). Each round of the queue
first locks, in the database, every circle it is about to change (storage: the row
lock and the version), in one order so that two processes never wait on each other;
where the version shows another process wrote the circle meanwhile, this one reads
what it wrote before admitting anything. Every admission is thus checked against the
circle's whole log, and seqs follow each other across processes. Each commit is
announced: the other processes read the new ops and wake their long-polls (peers).

A check that must hold across requests and processes (an invite's uses left) is made
in the database itself, by ``Batch.claim``, inside the commit's transaction.

Every op pushed is checked for its author's signature (core/signing.py) before anything
else: an op must be in the pusher's own name, signed by their key where they have one,
and not stamped before their latest key change (a thief holding an old key cannot slip
ops in before a rotation). What the server writes itself it signs with its own key,
kept in the database: the same for every process.

Two kinds of op are acknowledged (kept on disk) but logged later: a quiz answer, sealed
until its question ends, and an anonymous suggestion, published alone a few seconds on.
Either is published by whichever process first holds its circle's lock with the op
still kept, so once.

Over 400 lines: admission (a push, a join) and everything it writes in one commit round
read best beside each other.
"""

import asyncio
import contextlib
import inspect
import logging
import os
import random
import time
from collections.abc import Callable
from typing import Any

import msgspec

from ..core import hlc, ids, permissions, signing
from ..core.ops import SERVER_ACTOR, Op, hides_author
from ..core.replica import Replica
from ..core.signing import Signatures, SigningKey, Vouched
from .circle import Circle
from .peers import Peers
from .storage import (
    INSERT_TOKEN,
    MOVE_TOKENS,
    PUT_MEMBER,
    REDEEM_INVITE,
    Batch,
    Invite,
    Snapshot,
    StorageError,
    Store,
    hash_secret,
    new_token,
)

log = logging.getLogger("studycircle.server")

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
        self._timed: set[str] = set()  # circles whose held suggestions have their timers
        self._timers: dict[tuple[str, str], asyncio.TimerHandle] = {}  # circle, op: timer
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
            op = circle.server_op(SERVER_ACTOR, "member.key", data, _now_ms())
            if permissions.refusal(circle.replica.state, op) is None:  # not another's first
                circle.append(op, batch)

        await self.submit(circle.id, announce)

    async def close(self) -> None:
        for timer in self._timers.values():  # held suggestions wait on disk for the next start
            timer.cancel()
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
        for op_id in circle.catch_up(snapshot):
            if circle.id in self._timed:  # held by another process: a timer here too
                self._time(circle.id, op_id)

    def end_long_polls(self) -> None:
        """On shutdown: answer every waiting long-poll now (and any later one at once),
        so members see the server go rather than wait out their poll."""
        self.closing = True
        for circle in self.circles.values():
            circle.wake()

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
        if circle is not None and circle.id not in self._timed:
            # Suggestions held when the server stopped (or the circle was read again)
            # get their timers on the first request that needs the circle.
            self._timed.add(circle.id)
            for op_id in circle.held:
                self._time(circle.id, op_id)
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
            self._timed.discard(old.id)
            try:
                self.circles[old.id] = await self._load(old.id, old.name)
            except StorageError:  # still down: the next request that needs it reads it
                del self.circles[old.id]
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
        if hlc.too_far_ahead(op.hlc, now):  # the rule file circles' replicas hold back by
            return {"id": op.id, "error": "the op's clock is more than a day ahead of the server's"}
        # The actor must be whoever holds the token (the signature covers it); seq and
        # receive time are the server's.
        if op.actor != member or op.signer is not None:
            return {"id": op.id, "error": "an op must be made in your own name"}
        at = max(now, circle.last_at)
        if op.type == "quiz.open":
            at = max(at, circle.after_sealed(op.data.session))
        op = msgspec.structs.replace(op, seq=None, at=at)
        why = self._unsigned(circle, op) or permissions.refusal(circle.replica.state, op)
        if why is None and op.type == "quiz.answer" and circle.has_sealed_answer(op):
            why = "you have already answered this question"
        if why is not None:
            return {"id": op.id, "error": why}
        circle.last_at = at
        if op.type == "quiz.answer":
            return self._seal(circle, op, batch)
        if hides_author(op.data):
            return self._hold(circle, op, batch)
        for answer in circle.ended_answers(op):
            circle.release(answer, batch)
        if op.type == "member.remove":  # their suggestions were made while a member
            for held in [i for i, kept in circle.held.items() if kept.actor == op.data.member]:
                self._publish(circle.id, held, batch)
        if op.type == "member.key" and op.data.joined_as is not None:
            self._move_tokens(circle, op.data.joined_as, op.data.member, batch)
        return {"id": op.id, "seq": circle.append(op, batch)}

    def _move_tokens(self, circle: Circle, joined_as: str, member: str, batch: Batch) -> None:
        """A member who lost their key joined again from a new device, and the lead gave
        them that device's key: the device's tokens are now the member's."""
        batch.write(MOVE_TOKENS, (member, circle.id, joined_as))
        for token_hash, (circle_id, holder) in list(self.tokens.items()):
            if circle_id == circle.id and holder == joined_as:
                self.tokens[token_hash] = (circle_id, member)

    @staticmethod
    def _unsigned(circle: Circle, op: Op) -> str | None:
        """Why ``op`` is not taken as its author's (see the module's doc), or None."""
        state = circle.replica.state
        # Checked afresh: the replica's own verdicts take its log on trust.
        found = signing.problem(state, op, Signatures())
        if found is not None:
            return f"refused: {found[1]}"
        history = state.keys.get(op.actor)
        if history and history[-1].at > (op.hlc, op.id):
            return "refused: stamped before your key last changed"
        return None

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
                await self.submit(circle_id, lambda batch: self._publish(circle_id, op_id, batch))

        self.spawn(publish())

    def _publish(self, circle_id: str, op_id: str, batch: Batch) -> None:
        circle = self.circles.get(circle_id)
        op = circle.held.get(op_id) if circle else None
        if circle is not None and op is not None:  # not out already (its author removed)
            circle.release(msgspec.structs.replace(op, at=circle.stamp(_now_ms())), batch)

    # --- joining ----------------------------------------------------------------------

    async def invite(self, code_hash: str) -> Invite | None:
        """The invite as it is now; only ``admit_join`` may take a use of it."""
        return await self.store.invite(code_hash)

    async def admit_join(
        self, circle: Circle, invite: Invite, name: str, batch: Batch, key: str | None = None
    ) -> dict[str, object]:
        """Make the invited person a member: their ops, a token, one use of the invite.
        ``key``: their public key (an app from before signing sends none)."""
        used = ApiError(410, "invite_used", "this invite has been used up; ask for a new one")
        now = _now_ms()
        if invite.uses_left <= 0:
            raise used
        if invite.expires_ms <= now:
            raise ApiError(410, "invite_expired", "this invite has expired; ask for a new one")
        state = circle.replica.state
        if key is None and state.signatures_required:
            raise ApiError(
                400,
                "upgrade_needed",
                "this circle requires signed changes: update studycircle, then join again",
            )
        # The server writes the key with no proof the joiner holds it: a key another
        # member has (or had) would give the joiner that member's safety number.
        if key is not None and any(e.key == key for keys in state.keys.values() for e in keys):
            raise ApiError(
                409, "key_taken", "this key belongs to another member; join with your own key"
            )
        made: list[Op] = []
        if invite.member is not None:
            # The founding lead's invite: the circle was created by this member id, which
            # no one held until now; the server writes their name and gives them their key.
            member = invite.member
            if state.key_of(member) is not None:  # redeemed by another request meanwhile
                raise used
            if state.members[member].name != name:
                update = {"name": name}
                made.append(circle.server_op(member, "member.update", update, now, for_member=True))
            if key is not None:
                data = {"member": member, "key": key, "reason": "first"}
                made.append(circle.server_op(SERVER_ACTOR, "member.key", data, now))
        else:
            member = ids.ulid(now, os.urandom(10))
            joining = {"name": name} if key is None else {"name": name, "key": key}
            made.append(circle.server_op(member, "member.join", joining, now, for_member=True))
            if invite.role != "member":
                data = {"member": member, "role": invite.role}
                made.append(circle.server_op(SERVER_ACTOR, "member.role", data, now))
        # Only the first can be refused (the founder removed, say): a fresh member.join
        # always folds, and a promotion by "@server" right after it folds in a hosted
        # circle. Checking before logging anything leaves nothing half done.
        why = (
            (self._unsigned(circle, made[0]) or permissions.refusal(state, made[0]))
            if made
            else None
        )
        if why is None and len(made) > 1 and not state.hosted:
            why = "this circle was not created by this server, so it cannot give roles"
        if why is not None:
            raise ApiError(403, "forbidden", why)
        # The invite read before this batch may have been used since, here or by another
        # server process: the use is taken in the database, last, or not at all.
        if not await batch.claim(REDEEM_INVITE, (invite.hash, now)):
            raise used
        for op in made:
            circle.append(op, batch)
        token = new_token()
        token_hash = hash_secret(token)
        batch.write(INSERT_TOKEN, (token_hash, circle.id, member, now))
        batch.write(PUT_MEMBER, (circle.id, member, name, now))
        return {
            "member": member,
            "token": token,
            "circle": circle.id,
            "name": circle.name,
            "server_key": self.key.public,
        }
