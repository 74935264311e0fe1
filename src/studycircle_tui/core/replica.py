"""A replica of one circle's log, kept in fold order, with the state folded from it.

Two orderings, as docs/architecture.md sets out:

- ``hlc`` (file circles): every op, local or remote, sorts by (hlc, id). An op that
  sorts after everything applied is folded incrementally; one that sorts earlier
  (a writer whose ops arrive late) triggers a full refold, so every replica ends with
  the same state whatever order the ops came in.
- ``seq`` (server circles): confirmed ops fold in the server's seq order. The member's
  own ops not yet confirmed (pending) are applied on top, and re-applied on top of newly
  arrived ops (rebase). Local-only ops (read marks) commute with everything and stay on top.
  A pending quiz answer the server has taken but places later (``seal``: sealed until
  its question closes) does not force a rebase while it waits: nothing that can arrive
  before it reads what it changes (only the close does, and the server sends the answer
  just before it), so ops fold on top of it; when it lands it is taken back and folded
  again in its place.

Far-future ops (file circles): a stamp more than a day ahead of the reader's clock comes
from a wrong clock or a hostile writer. ``add`` is handed the reader's wall time and holds
such an op back: it is neither folded nor observed by the clock (which would drag every
later stamp after it), and the Change lists it so the service can report it. Its
signature is checked first (``signing.looks_forged``): one that cannot be its claimed
author's is listed as forged instead, so a hostile writer cannot make apps blame
another member's clock. It is held all the same, and refused by the fold in its time,
so every replica's log and moderation log still agree. Held ops are
looked at again on every later ``add``: once the reader's clock is within a day of the
stamp they fold like any late op, so replicas whose clocks disagree still converge. The
replica only decides; the service (``sync/engine.py``) hands it the time and reports.
A server circle holds nothing back: the server refuses such ops (``server/admission.py``).

Signatures are checked in the fold (``core/signing.py``); the replica keeps the verdicts
(``signatures``) for all its states, so a refold checks nothing twice. An op this replica
signs itself (``make`` with a key) needs no checking.

Resuming from a snapshot (``resume``): a big circle's replica need not hold its whole log.
It stands on a ``Base`` (a snapshot: the state after every op up to a position, how many
ops that is and their id digests) and keeps in memory only the ops after it. Both
orderings keep their promise:

- hlc: an op that sorts after the base's position refolds from the base (a fresh copy of
  its state, then the ops after it); one that sorts at or before it (a writer whose ops
  arrive long after) makes the replica take the whole log back from the store
  (``Base.history``) and drop the base, until the service has written a new one.
- seq: the confirmed ops after the base are the tail; pending and local-only ops are never
  in a base, so a rebase refolds the base's state, the tail, then them, as before.
- held ops sort after the base by construction (a snapshot covers nothing stamped past
  the writer's horizon): they are held again when the store hands them over.

An op the base covers is known by its digest, so one seen again is skipped as before.
When the service writes a newer snapshot, ``rebase`` moves the replica onto it and lets
the ops it now covers go.
"""

from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from . import ids, reducer, signing
from .hlc import Clock, horizon
from .ops import OP_TYPES, Op, hides_author, validate_data, version_for
from .signing import Signatures, SigningKey, fingerprint
from .snapshot import Position, covers
from .state import CircleState

Ordering = Literal["hlc", "seq"]


@dataclass(slots=True)
class Change:
    """What an update did: the ops newly applied, whether everything was refolded, and
    the ops newly held back because their stamps are too far ahead (they change nothing)."""

    applied: list[Op] = field(default_factory=list)
    refolded: bool = False
    held: list[Op] = field(default_factory=list)
    # Far-future ops that cannot be their claimed author's (op, why): held back too (the
    # fold decides when their time comes), but never to be reported as held in that name.
    forged: list[tuple[Op, str]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.applied) or self.refolded


def _hlc_key(op: Op) -> tuple[str, str]:
    return (op.hlc, op.id)


@dataclass(slots=True)
class Base:
    """A snapshot a replica stands on (see the module's docstring). ``state`` gives a fresh
    copy of its state; ``history`` every stored op up to its position (its own and any
    that arrived late), for when an op sorts before it."""

    position: Position
    count: int
    digests: "array[int]"
    state: Callable[[], CircleState | None]  # None: gone (the store holds another)
    history: Callable[[Signatures], list[Op]]  # handed the verdicts to remember

    def covers(self, op: Op) -> bool:
        return covers(self.digests, op.id)


class Replica:
    def __init__(
        self, circle_id: str, ordering: Ordering = "hlc", signatures: Signatures | None = None
    ) -> None:
        self.circle_id = circle_id
        self.ordering = ordering
        self.clock = Clock()
        # Verdicts may be shared (a server's that trusts its own database, a test's).
        self.signatures = signatures if signatures is not None else Signatures()
        self.state = CircleState(circle_id, signatures=self.signatures)
        self._base: Base | None = None
        self._log: list[Op] = []  # confirmed ops in fold order (after the base's)
        # their sort keys, parallel to _log: (hlc, id) or a seq, by the ordering
        self._keys: list[Any] = []
        self._ids: set[str] = set()  # the ops held in memory (the base's are digests)
        self._pending: list[Op] = []  # seq ordering: own ops awaiting the server
        self._sealed: set[str] = set()  # of those, the ones it took and will place later
        self._local: list[Op] = []  # seq ordering: local-only ops
        self._held: dict[str, Op] = {}  # hlc ordering: stamped too far ahead, not folded

    @classmethod
    def resume(
        cls,
        circle_id: str,
        ordering: Ordering,
        base: Base,
        state: CircleState,
        clock: str,
        signatures: Signatures | None = None,
    ) -> "Replica":
        """A replica standing on ``base``, whose state is ``state`` and whose ops' greatest
        stamp is ``clock``; hand it the ops after the base with ``add`` and ``add_local``
        as when loading everything."""
        replica = cls(circle_id, ordering, signatures)
        state.signatures = replica.signatures
        replica._base, replica.state = base, state
        replica.clock.observe(clock)
        return replica

    # --- reading ----------------------------------------------------------------------

    def __contains__(self, op_id: str) -> bool:
        """Whether the op is held in memory (``knows`` also asks the base)."""
        return op_id in self._ids

    def __len__(self) -> int:
        return len(self._ids) + (self._base.count if self._base else 0)

    def knows(self, op: Op) -> bool:
        """Whether this replica has the op already (folded, refused, held or pending)."""
        return op.id in self._ids or (self._base is not None and self._base.covers(op))

    @property
    def base(self) -> Base | None:
        return self._base

    @property
    def on_top(self) -> int:
        """Confirmed ops held in memory, folded on top of the base (all, without one)."""
        return len(self._log)

    @property
    def pending(self) -> list[Op]:
        return list(self._pending)

    @property
    def held(self) -> list[Op]:
        """Ops held back (stamped more than a day ahead), in stamp order."""
        return sorted(self._held.values(), key=_hlc_key)

    def ops(self) -> list[Op]:
        """Every op in the order it is folded (held ops are not folded); with a base,
        the ops after it."""
        return [*self._log, *self._local, *self._pending]

    # --- writing ----------------------------------------------------------------------

    def make(
        self,
        actor: str,
        type_name: str,
        data: object,
        wall_ms: int,
        random80: bytes,
        key: SigningKey | None = None,
        signer: str | None = None,
    ) -> Op:
        """A new op by ``actor``, stamped after everything this replica has seen, and
        signed with ``key`` when given (``signer``: "@server" signing for a member).

        Raises OpError when ``data`` does not fit the op type's schema.
        """
        payload = validate_data(type_name, data)
        # An ULID starts with its maker's clock; an anonymous suggestion's id must not say
        # when (or with what clock) its author wrote it, so its time part is left at zero.
        op_id = ids.ulid(0 if hides_author(payload) else wall_ms, random80)
        circle = op_id if type_name == "circle.create" else self.circle_id
        stamp = self.clock.tick(wall_ms)
        op_type: Callable[..., Op] = OP_TYPES[type_name]  # its data's type was checked above
        op = op_type(
            v=version_for(type_name, payload),
            id=op_id,
            circle=circle,
            actor=actor,
            hlc=stamp,
            data=payload,
            signer=signer,
        )
        if key is None:
            return op
        op = key.sign(op)
        self.signatures.remember(op, fingerprint(key.public))
        return op

    def add(self, ops: Iterable[Op], now_ms: int | None = None) -> Change:
        """Take confirmed ops (from the store, a file or the server), in any order.

        With ``now_ms``, the reader's wall time, a file circle holds back the ops stamped
        more than a day ahead of it and folds those held before whose time has come.
        """
        fresh: dict[str, Op] = {}
        awaited = {op.id for op in self._pending}
        for op in ops:
            # A pending op coming back with its seq is its confirmation, not a duplicate.
            known = False if op.id in awaited and op.seq is not None else self.knows(op)
            if op.circle != self.circle_id or known or op.id in fresh:
                continue
            if self.ordering == "seq" and op.seq is None and not op.LOCAL_ONLY:
                raise ValueError(f"op {op.id} has no seq in a server-ordered circle")
            fresh[op.id] = op
        held: list[Op] = []
        forged: list[tuple[Op, str]] = []
        if now_ms is not None and self.ordering == "hlc":
            last = horizon(now_ms)
            ahead = [op for op in fresh.values() if op.hlc > last]
            # Checked first, so a forgery is never said to be held in its claimed
            # author's name (their clock blamed).
            more = signing.announced([*fresh.values(), *self._held.values()]) if ahead else {}
            for op in ahead:
                del fresh[op.id]
                self._held[op.id] = op
                self._ids.add(op.id)
                why = signing.looks_forged(self.state, op, more, self.signatures)
                if why is None:
                    held.append(op)
                else:
                    forged.append((op, why))
            for op in [op for op in self._held.values() if op.hlc <= last]:
                fresh[op.id] = self._held.pop(op.id)
        if not fresh:
            return Change(held=held, forged=forged)
        incoming = list(fresh.values())
        # Observing the greatest stamp is observing them all (string order is stamp order).
        self.clock.observe(max(op.hlc for op in incoming))
        self._ids.update(fresh)
        change = self._add_hlc(incoming) if self.ordering == "hlc" else self._add_seq(incoming)
        change.held, change.forged = held, forged
        return change

    def add_local(self, op: Op) -> Change:
        """Take an op this member just made (not yet confirmed in seq ordering)."""
        if self.ordering == "hlc" or self.knows(op):
            return self.add([op])
        self._ids.add(op.id)
        (self._local if op.LOCAL_ONLY else self._pending).append(op)
        applied = reducer.apply(self.state, op)
        return Change([op] if applied else [])

    def seal(self, op_id: str) -> None:
        """The server took this pending quiz answer and will give it its place later."""
        if any(op.id == op_id and op.type == "quiz.answer" for op in self._pending):
            self._sealed.add(op_id)

    def reject(self, op_id: str) -> Change:
        """Drop a pending op the server refused, and refold without it."""
        kept = [op for op in self._pending if op.id != op_id]
        if len(kept) == len(self._pending):
            return Change()
        self._pending = kept
        self._sealed.discard(op_id)
        self._ids.discard(op_id)
        self._refold()
        return Change(refolded=True)

    def rebase(self, base: Base) -> bool:
        """Stand on a newer snapshot of this replica's own log, letting go of the ops it
        covers; False (nothing changed) unless it covers exactly the ops this replica
        has up to its position, no more, no fewer."""
        if self.ordering == "seq" and not isinstance(base.position, int):
            return False
        if self._base is not None and self._base.position > base.position:  # type: ignore[operator]
            return False
        cut = bisect_right(self._keys, base.position)
        covered = self._log[:cut]
        before = self._base.count if self._base else 0
        if base.count != before + len(covered) or not all(base.covers(op) for op in covered):
            return False
        self._base = base
        self._ids.difference_update(op.id for op in covered)
        self.signatures.forget(op.id for op in covered)
        del self._log[:cut], self._keys[:cut]
        self.state.posts.freeze()  # the posts folded meanwhile: as if restored too
        return True

    # --- ordering ---------------------------------------------------------------------

    def _last_key(self) -> object:
        if self._keys:
            return self._keys[-1]
        return self._base.position if self._base is not None else None

    def _add_hlc(self, incoming: list[Op]) -> Change:
        incoming.sort(key=_hlc_key)
        last = self._last_key()
        if last is None or _hlc_key(incoming[0]) > last:  # type: ignore[operator]
            self._log.extend(incoming)
            self._keys.extend(_hlc_key(op) for op in incoming)
            # apply_all, not one apply per op: a whole circle loads through here.
            return Change(reducer.apply_all(self.state, incoming))
        if self._base is not None and _hlc_key(incoming[0]) <= self._base.position:  # type: ignore[operator]
            self._take_history()
        for op in incoming:
            key = _hlc_key(op)
            at = bisect_right(self._keys, key)
            self._keys.insert(at, key)
            self._log.insert(at, op)
        self._refold()
        return Change(incoming, refolded=True)

    def _add_seq(self, incoming: list[Op]) -> Change:
        local = [op for op in incoming if op.seq is None]
        confirmed = sorted((op for op in incoming if op.seq is not None), key=_seq)
        self._local.extend(local)
        arrived = {op.id for op in confirmed}
        rebase = any(op.id not in self._sealed for op in self._pending)
        landing = [op for op in self._pending if op.id in arrived]
        self._pending = [op for op in self._pending if op.id not in arrived]
        self._sealed -= arrived
        last = self._last_key()
        in_order = last is None or not confirmed or _seq(confirmed[0]) > last  # type: ignore[operator]
        if confirmed and self._base is not None and _seq(confirmed[0]) <= self._base.position:  # type: ignore[operator]
            self._take_history()
        if in_order and not rebase:
            for op in landing:  # sealed answers, folded again where the server put them
                reducer.retract_answer(self.state, op)
            self._log.extend(confirmed)
            self._keys.extend(_seq(op) for op in confirmed)
            return Change(reducer.apply_all(self.state, [*confirmed, *local]))
        merged = sorted([*self._log, *confirmed], key=_seq)
        self._log, self._keys = merged, [_seq(op) for op in merged]
        self._refold()
        return Change(incoming, refolded=True)

    def _refold(self) -> None:
        if self._base is None:
            self.state = reducer.fold(self.circle_id, self.ops(), self.signatures)
            return
        state = self._base.state()
        if state is None:  # the snapshot is no longer at hand: fold the whole log
            self._take_history()
            self.state = reducer.fold(self.circle_id, self.ops(), self.signatures)
            return
        state.signatures = self.signatures
        reducer.apply_all(state, self.ops())
        self.state = state

    def _take_history(self) -> None:
        """An op sorts at or before the base: take every op the base covers (and any
        stored since before its position) into memory, and stand on nothing."""
        assert self._base is not None
        history = [op for op in self._base.history(self.signatures) if op.id not in self._ids]
        key = _hlc_key if self.ordering == "hlc" else _seq
        kept = [op for op in history if self.ordering == "hlc" or op.seq is not None]
        merged = sorted([*kept, *self._log], key=key)
        self._log, self._keys = merged, [key(op) for op in merged]
        self._ids.update(op.id for op in kept)
        self._base = None


def _seq(op: Op) -> int:
    return op.seq  # type: ignore[return-value]
