"""Admission: what a pushed op or a join may write, checked against the circle's state
as every client will fold it, and written into the commit round's batch (``hub.Hub``
runs the rounds; nothing here waits on the database but the invite's claim).

Every op pushed is checked for its author's signature (core/signing.py) before anything
else: an op must be in the pusher's own name, signed by their key where they have one,
and not stamped before their latest key change (a thief holding an old key cannot slip
ops in before a rotation); a key rotation must carry its new key's proof, even where the
fold would take one from before proofs. Each such refusal carries a stable code for
clients beside its sentence. What the server writes itself it signs with its own key,
kept in the database: the same for every process.

A check that must hold across requests and processes (an invite's uses left) is made
in the database itself, by ``Batch.claim``, inside the commit's transaction.

Two kinds of op are acknowledged (kept on disk) but logged later: a quiz answer, sealed
until its question ends, and an anonymous suggestion (``anonymous.py``).
"""

import os
from typing import TYPE_CHECKING

import msgspec

from ..core import hlc, ids, permissions, signing
from ..core.ops import SERVER_ACTOR, MemberKey, Op, hides_author
from ..core.signing import Signatures
from . import clock
from .circle import Circle
from .errors import ApiError
from .storage import (
    INSERT_TOKEN,
    MOVE_TOKENS,
    PUT_MEMBER,
    REDEEM_INVITE,
    Batch,
    Invite,
    hash_secret,
    new_token,
)

if TYPE_CHECKING:  # the hub holds the admission, which reads its tokens and key
    from .hub import Hub


def refused(op: Op, code: str, why: str) -> dict[str, object]:
    """A pushed op's refusal, as the client gets it."""
    return {"id": op.id, "error": why, "code": code}


class Admission:
    def __init__(self, hub: "Hub") -> None:
        self.hub = hub

    def push(
        self, circle: Circle, member: str, item: Op | tuple[str | None, str, str], batch: Batch
    ) -> dict[str, object]:
        """Check one pushed op and log it; the result the client gets for it. Every
        refusal carries a stable ``code`` beside its English sentence."""
        if isinstance(item, tuple):  # it did not decode: (its id if readable, why, code)
            return {"id": item[0], "error": item[1], "code": item[2]}
        op = item
        known = circle.seen.get(op.id)
        if known is not None:
            seq, actor = known
            if actor != member:
                return refused(op, "duplicate_id", "another op already has this id")
            return {"id": op.id, "seq": seq} if seq is not None else {"id": op.id, "sealed": True}
        if op.circle != circle.id:
            return refused(op, "wrong_circle", "the op belongs to another circle")
        if op.LOCAL_ONLY:
            return refused(op, "local_only", f"{op.type} stays on the device that made it")
        now = clock.now_ms()
        if hlc.too_far_ahead(op.hlc, now):  # the rule file circles' replicas hold back by
            why = "the op's clock is more than a day ahead of the server's"
            return refused(op, "clock_ahead", why)
        # The actor must be whoever holds the token (the signature covers it); seq and
        # receive time are the server's.
        if op.actor != member or op.signer is not None:
            return refused(op, "not_yours", "an op must be made in your own name")
        at = max(now, circle.last_at)
        if op.type == "quiz.open":
            at = max(at, circle.after_sealed(op.data.session))
        op = msgspec.structs.replace(op, seq=None, at=at)
        unsigned = self._unsigned(circle, op)
        if unsigned is not None:
            return refused(op, *unsigned)
        why = permissions.refusal(circle.replica.state, op)
        if why is None and op.type == "quiz.answer" and circle.has_sealed_answer(op):
            why = "you have already answered this question"
        if why is not None:
            return refused(op, "forbidden", why)
        circle.last_at = at
        if op.type == "quiz.answer":
            return self._seal(circle, op, batch)
        if hides_author(op.data):
            return self.hub.suggestions.hold(circle, op, batch)
        for answer in circle.ended_answers(op):
            circle.release(answer, batch)
        if op.type == "member.remove":  # their suggestions were made while a member
            for held in [i for i, kept in circle.held.items() if kept.actor == op.data.member]:
                self.hub.suggestions.publish(circle.id, held, batch)
        if op.type == "member.key" and op.data.joined_as is not None:
            self._move_tokens(circle, op.data.joined_as, op.data.member, batch)
        return {"id": op.id, "seq": circle.append(op, batch)}

    def _move_tokens(self, circle: Circle, joined_as: str, member: str, batch: Batch) -> None:
        """A member who lost their key joined again from a new device, and the lead gave
        them that device's key: the device's tokens are now the member's."""
        batch.write(MOVE_TOKENS, (member, circle.id, joined_as))
        for token_hash, (circle_id, holder) in list(self.hub.tokens.items()):
            if circle_id == circle.id and holder == joined_as:
                self.hub.tokens[token_hash] = (circle_id, member)

    @staticmethod
    def _unsigned(circle: Circle, op: Op) -> tuple[str, str] | None:
        """Why ``op`` is not taken as its author's (see the module's doc): a stable code
        and a sentence; or None."""
        state = circle.replica.state
        # Checked afresh: the replica's own verdicts take its log on trust.
        verdicts = Signatures()
        if isinstance(op, MemberKey) and op.data.reason == "rotate":
            # Stricter than the fold, which takes the previous version's rotations in a
            # circle from then: no app of this version makes one without its proof.
            unproven = signing.rotation_unproven(op, verdicts, legacy=False)
            if unproven is not None:
                return "key_unproven", f"refused: {unproven}"
        found = signing.problem(state, op, verdicts)
        if found is not None:
            return found[0], f"refused: {found[1]}"
        history = state.keys.get(op.actor)
        if history and history[-1].at > (op.hlc, op.id):
            return "stale_key", "refused: stamped before your key last changed"
        return None

    def _seal(self, circle: Circle, op: Op, batch: Batch) -> dict[str, object]:
        """Keep a quiz answer (acknowledged, on disk) until its question ends, and
        publish only who answered."""
        data = {"session": op.data.session, "question": op.data.question, "player": op.actor}
        circle.append(circle.server_op(SERVER_ACTOR, "quiz.answered", data, clock.now_ms()), batch)
        return circle.keep(op, batch)

    # --- joining ----------------------------------------------------------------------

    async def join(
        self, circle: Circle, invite: Invite, name: str, batch: Batch, key: str | None = None
    ) -> dict[str, object]:
        """Make the invited person a member: their ops, a token, one use of the invite.
        ``key``: their public key (an app from before signing sends none)."""
        used = ApiError(410, "invite_used", "this invite has been used up; ask for a new one")
        now = clock.now_ms()
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
        unsigned = self._unsigned(circle, made[0]) if made else None
        why = unsigned[1] if unsigned else permissions.refusal(state, made[0]) if made else None
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
            "server_key": self.hub.key.public,
        }
