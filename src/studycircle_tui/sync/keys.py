"""This user's signing keys for a circle, as the service uses them (core/signing.py says
what the keys are for and how an op's signature is checked).

The private halves live in the local store (``keys``: per circle and member, never
sent anywhere); the log says which one is a member's key now. So the key to sign with
is the one the log names for the member, if this device holds it; before the log names
any (the join or first key not folded yet) it is the newest made; a member from before
signing has none until the service gives them their first (``upgrade``).

A device whose key the log does not name has lost its place: another device holds the
member's key (the member rotated there, or a lead re-keyed them), or someone claimed a
first key in their name in a circle from before signing. It signs nothing then, and
says so; a lead gives the person their place back by re-keying them from the member id
they join again as (``adopted``).
"""

import os
import time

from ..core.ops import SERVER_ACTOR
from ..core.signing import SigningKey
from ..core.state import CircleState
from ..store.db import Store


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


class LostKey(Exception):
    """The log names a key for this member that this device does not hold."""


class MemberKeys:
    def __init__(self, store: Store, circle_id: str) -> None:
        self.store = store
        self.circle_id = circle_id

    def held(self, member: str) -> dict[str, bytes]:
        """The private keys this device holds for ``member`` (public: seed)."""
        found = self.store.keys(self.circle_id, member)
        return {public: seed for public, seed in found.items() if seed is not None}

    def new(self, member: str) -> SigningKey:
        """A new key for ``member``, kept before anything signed with it is sent."""
        key = SigningKey(os.urandom(32))
        self.store.save_key(self.circle_id, member, key.public, key.seed, _now_ms())
        return key

    def signing(self, state: CircleState, member: str) -> SigningKey | None:
        """The key ``member``'s ops are signed with now (None: they have none yet).
        Raises LostKey when the log names one this device does not hold."""
        held = self.held(member)
        current = state.key_of(member)
        if current is None:
            return SigningKey(list(held.values())[-1]) if held else None
        if current not in held:
            raise LostKey(
                "your key for this circle is not on this computer, so nothing you write "
                "would be taken as yours: join the circle again from here and ask a lead "
                "to give you back your place (Members, re-key)"
            )
        return SigningKey(held[current])

    def needs_first(self, state: CircleState, member: str) -> bool:
        """A member from before signing, who should announce a first key now."""
        return state.role_of(member) is not None and state.key_of(member) is None

    def adopted(self, state: CircleState, member: str) -> str | None:
        """The member this device is now, if a lead gave ``member``'s key (this
        device's) to the member they were before losing theirs; else None."""
        if not state.members.get(member) or not state.members[member].removed:
            return None
        held = self.held(member)
        for other, history in state.keys.items():
            if other != member and history[-1].reason == "lost" and history[-1].key in held:
                self.store.save_key(
                    self.circle_id, other, history[-1].key, held[history[-1].key], _now_ms()
                )
                return other
        return None

    def server_mismatch(self, state: CircleState) -> bool:
        """Whether the log names a server key other than the one the join gave."""
        pinned = self.store.keys(self.circle_id, SERVER_ACTOR)
        logged = state.key_of(SERVER_ACTOR)
        return bool(pinned) and logged is not None and logged not in pinned
