"""What a host does to a server's data, running or not: create a circle, invite, list
members, revoke an invite or a member's tokens (``studycircle server …``, see cli).

Each is one short transaction of its own that locks no circle, so a server running on
the same database goes on pushing and pulling meanwhile (on SQLite it waits for the
file's write lock, a few milliseconds, without blocking its event loop).

Revoking tokens must reach every server process, which keep the tokens they have seen
in memory: the revocation is announced in its transaction (NOTIFY) and each listening
process answers once it has forgotten them; the command waits for those answers
(``CONFIRM_S`` at most) and says how many it got.
"""

import asyncio
import contextlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from ..core import hlc, ids
from ..core.ops import OP_TYPES, SERVER_ACTOR, encode_op, validate_data, version_for
from ..core.replica import Replica
from ..core.signing import SigningKey
from .storage import (
    ACKS,
    FOUNDER_NAME,
    INSERT_CIRCLE,
    INSERT_OP,
    PUT_MEMBER,
    Store,
    decode_stored,
    hash_secret,
    invite_row,
    new_invite_code,
    normalize_code,
)

CONFIRM_S = 5.0
FOUNDING_INVITE_MS = 30 * 86_400_000


async def create_circle(
    store: Store, name: str, now_ms: int, channels: Sequence[str] = ()
) -> tuple[str, str]:
    """A new hosted circle (with ``channels`` opened by its lead) and a one-use invite
    for its founding lead.

    The circle's creator must be a member (core refuses a circle led by "@server"), so
    the circle is created by a member id that no one holds yet; whoever redeems the
    founding invite receives that id and with it the lead's role, and their key. Until
    then the server signs in the founder's name (``signer``), with its own key, which
    ``circle.create`` names. Circles made here require signatures from the start.
    """
    key = SigningKey(await store.server_key())
    founder = ids.ulid(now_ms, secrets.token_bytes(10))
    circle = ids.ulid(now_ms, secrets.token_bytes(10))
    created = {
        "name": name,
        "lead_name": FOUNDER_NAME,
        "hosted": True,
        "server_key": key.public,
        "signatures_required": True,
    }
    made = [("circle.create", created)]
    made += [("channel.create", {"name": channel}) for channel in channels]
    payloads = [(type_name, validate_data(type_name, data)) for type_name, data in made]
    ops = [
        key.sign(
            OP_TYPES[type_name](
                v=version_for(type_name, payload),
                id=circle if seq == 1 else ids.ulid(now_ms, secrets.token_bytes(10)),
                circle=circle,
                actor=founder,
                hlc=hlc.encode(now_ms, seq - 1),
                data=payload,
                seq=seq,
                at=now_ms,
                signer=SERVER_ACTOR,
            )
        )
        for seq, (type_name, payload) in enumerate(payloads, 1)
    ]
    code = new_invite_code()
    async with store.transaction() as tx:
        await tx.run(
            [
                (INSERT_CIRCLE, (circle, name, now_ms)),
                *((INSERT_OP, (circle, op.seq, op.id, founder, encode_op(op))) for op in ops),
                (PUT_MEMBER, (circle, founder, FOUNDER_NAME, now_ms)),
                invite_row(code, circle, "lead", 1, now_ms + FOUNDING_INVITE_MS, founder, now_ms),
            ]
        )
    return circle, code


async def add_invite(
    store: Store, circle: str, role: str, uses: int, expires_ms: int, now_ms: int
) -> str:
    code = new_invite_code()
    async with store.transaction() as tx:
        await tx.run([invite_row(code, circle, role, uses, expires_ms, None, now_ms)])
    return code


class NotFound(Exception):
    """A circle or member named that does not exist, or more than one does: the message
    lists what there is."""


async def find_circle(store: Store, wanted: str) -> tuple[str, str]:
    """The circle whose id is ``wanted``, or else the one so named (any case)."""
    circles = await store.circles()
    for circle_id, name in circles:
        if circle_id == wanted.strip().upper():
            return circle_id, name
    named = [(cid, name) for cid, name in circles if name.casefold() == wanted.strip().casefold()]
    if len(named) == 1:
        return named[0]
    listed = ", ".join(f"{cid} ({name})" for cid, name in circles) or "none yet"
    if named:
        raise NotFound(f"{len(named)} circles are named {wanted!r}; give its id: {listed}")
    raise NotFound(f"no circle {wanted!r} on this server; circles: {listed}")


@dataclass(slots=True)
class Member:
    id: str
    name: str
    role: str  # "removed" for one who is no longer a member
    joined_ms: int
    tokens: int


async def members(store: Store, circle: str) -> list[Member]:
    """Who has joined ``circle``, with the role its log gives them today."""
    snapshot = await store.load(circle, kept=False)
    replica = Replica(circle, "seq")
    replica.add(decode_stored(snapshot.ops))
    state = replica.state
    return [
        Member(row.id, row.name, state.role_of(row.id) or "removed", row.joined_ms, row.tokens)
        for row in await store.members(circle)
    ]


async def revoke_invite(store: Store, code: str) -> bool:
    """Remove an invite; whether there was one."""
    async with store.transaction() as tx:
        removed = await tx.changed(
            "DELETE FROM invites WHERE hash = ?", (hash_secret(normalize_code(code)),)
        )
    return removed > 0


async def revoke_member(store: Store, circle: str, member: str) -> tuple[int, int, int]:
    """Remove every token of ``member`` in ``circle``: how many, and how many of the
    server processes listening on the database confirmed they forgot them, out of how
    many (0 of 0 on SQLite, whose one server reads the change itself)."""
    nonce = secrets.token_hex(8)
    confirmed: set[str] = set()
    heard = asyncio.Event()

    def on_ack(payload: str) -> None:
        if payload.startswith(nonce):
            confirmed.add(payload)
            heard.set()

    listening = None
    if store.shared:
        started = asyncio.Event()

        async def listening_now(_again: bool) -> None:
            started.set()

        listening = asyncio.create_task(store.listen(ACKS, on_ack, listening_now))
        await started.wait()
    try:
        async with store.transaction() as tx:
            removed = await tx.changed(
                "DELETE FROM tokens WHERE circle = ? AND member = ?", (circle, member)
            )
            tx.notify(f"revoke {circle} {member} {nonce}")
        servers = await store.listeners() if store.shared else 0
        loop = asyncio.get_running_loop()
        deadline = loop.time() + CONFIRM_S
        while store.shared and len(confirmed) < servers and loop.time() < deadline:
            heard.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(heard.wait(), deadline - loop.time())
    finally:
        if listening is not None:
            listening.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listening
    return removed, len(confirmed), servers
