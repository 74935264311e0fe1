"""Who wrote an op: an Ed25519 key per member per circle, and the signature each op carries.

Every op made by this version carries ``sig``: its author's signature over its canonical
bytes, which are the schema's own encoding (``ops.encode_op``) of the op without ``seq``,
``at`` (a server's, set after signing) and ``sig`` itself. Decoding and encoding again
gives the same bytes whatever JSON the op travelled as (key order, escapes, ``1`` for
``1.0``, defaults written out): msgspec writes fields in the schema's order, omits
defaults and writes floats in their shortest form (``tests/test_signing.py`` checks it for
every op type). So the signature holds wherever the op goes and however it is relayed:
a file healed by another member, a conflict copy merged, a server's page. An op that
decodes only after ``text.repaired`` (U+FFFD for a refused character) is no longer what
was signed, and is refused like any changed op; this version never signs such text.

Whose key must have signed an op is the log's to say, so the rule lives in the fold
(``problem``, asked by ``reducer.apply`` before permissions) and every replica reaches
the same verdict in the same order:

- a member's key comes with their ``member.join`` (or ``circle.create``) and changes
  by ``member.key``; an op must be signed by the key its actor had at the op's stamp
  (hlc, id). Keys are kept by stamp, so an answer sealed by a server and logged after
  its author rotated still checks against the key it was signed with;
- a circle a server hosts has the server's key (in ``circle.create``, or announced by
  ``member.key`` for a circle made before signing). The server signs what it writes
  itself (``@server`` ops: quiz.answered, roles from invites, a redacted anonymous
  suggestion) and, marked ``signer: "@server"``, ops for members who have no key yet
  (their admission; a founder's setup). Once a member has a key, only they sign as them;
- an op by someone with no key (a member from before signing) needs no signature,
  unless the circle ``signatures_required``;
- the op that announces a first key (a join, a first ``member.key``) is signed by that
  key: whoever announces it holds it. A rotation is signed by the old key, so it also
  carries ``proof``: the new key's signature over a statement naming the circle, the
  member and the key (``proof_bytes``), which no one but the key's holder can make and
  which fits no other member or circle. A lead's re-key (``lost``) gives the key the
  member's new device joined with, whose join that key signed. A rotation without a
  proof is taken only as the previous version made them: a v1 op in a circle whose
  ``circle.create`` is v1 (``ops.version_for``); a server takes none.

An op that fails is not folded: it goes in the moderation log as ``forged`` or
``unsigned``, with whom it claimed to be and why (the service tells members too).

Checking a signature costs ~0.1 ms of CPU (OpenSSL, through ``cryptography``), far more
than folding the op, so each verdict is kept (``Signatures``): by the replica for the ops
it holds, and in the local store beside each op (the fingerprint of the key it verified
under), so a circle loaded from disk is never checked again. Verdicts are tied to the
op object they were reached for: a copy with the same id (another version of the op)
is checked afresh.

No cryptography is written here: ``cryptography`` (OpenSSL) signs and verifies.
"""

import base64
import hashlib
from bisect import insort
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import msgspec
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from .ops import SERVER_ACTOR, CircleCreate, MemberJoin, MemberKey, Op, encode_op

if TYPE_CHECKING:  # state.py holds keys and verdicts of the types defined here
    from .state import CircleState

DOMAIN = b"studycircle op v1\n"  # what a signature is for: never a message of another kind
PROOF_DOMAIN = b"studycircle key proof v1\n"  # a new key's proof that its holder announces it
SEED_BYTES = 32


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def signed_bytes(op: Op) -> bytes:
    """What an op's signature is over: its canonical bytes, after a domain tag."""
    unsigned = msgspec.structs.replace(op, seq=None, at=None, sig=None)
    return DOMAIN + encode_op(unsigned)


def proof_bytes(circle: str, member: str, key: str) -> bytes:
    """What a rotation's proof is a signature over: this key is ``member``'s in ``circle``."""
    return PROOF_DOMAIN + f"{circle}\n{member}\n{key}".encode("ascii")


class SigningKey:
    """A member's private key for one circle. Made from 32 random bytes the caller
    draws (core draws no randomness of its own); those bytes are what the store keeps."""

    __slots__ = ("_private", "public", "seed")

    def __init__(self, seed: bytes) -> None:
        self.seed = seed
        self._private = Ed25519PrivateKey.from_private_bytes(seed)
        raw = self._private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.public = _b64(raw)  # as ops carry it

    def sign(self, op: Op) -> Op:
        """``op`` with its signature (any old one replaced)."""
        return msgspec.structs.replace(op, sig=_b64(self._private.sign(signed_bytes(op))))

    def prove(self, circle: str, member: str) -> str:
        """The proof that whoever announces this key as ``member``'s holds it."""
        return _b64(self._private.sign(proof_bytes(circle, member, self.public)))


def fingerprint(key: str) -> bytes:
    """A key's identity as the store keeps it beside each op it verified (16 bytes)."""
    return hashlib.sha256(_unb64(key)).digest()[:16]


def safety_number(key: str) -> str:
    """A key as two people read it aloud to compare it: five groups of five digits (83
    bits, as messaging apps' safety numbers are built: five bytes of a hash, modulo
    100,000, per group). Digits read the same in every language."""
    digest = hashlib.sha256(b"studycircle safety number\n" + _unb64(key)).digest()
    groups = (int.from_bytes(digest[i : i + 5], "big") % 100_000 for i in range(0, 25, 5))
    return " ".join(f"{group:05d}" for group in groups)


# --- verdicts, kept ----------------------------------------------------------------------

ANY_KEY = b"*"  # a server's verdict on the ops in its own database: checked at admission


class Signatures:
    """Whether ops are signed by given keys: each verdict reached once and kept.

    ``check`` is a pure function of (op, key), remembered. The replica holds one for
    its ops; the store's saved verdicts are handed back through ``remember``; verdicts
    reached by verifying are listed in ``fresh`` until the caller saves them.
    """

    def __init__(self) -> None:
        self._good: dict[str, tuple[Op, bytes]] = {}  # op id: (that op, key fingerprint)
        self._bad: dict[tuple[str, bytes], Op] = {}
        self._keys: dict[str, tuple[bytes, Ed25519PublicKey | None]] = {}
        self._proofs: dict[str, tuple[Op, bool]] = {}  # op id: (that rotation, verdict)
        self.fresh: list[tuple[str, bytes]] = []  # (op id, fingerprint) found by verifying

    def _key(self, key: str) -> tuple[bytes, Ed25519PublicKey | None]:
        found = self._keys.get(key)
        if found is None:
            raw = _unb64(key)
            try:
                loaded: Ed25519PublicKey | None = Ed25519PublicKey.from_public_bytes(raw)
            except ValueError:
                loaded = None  # not a key at all: nothing verifies under it
            found = self._keys[key] = (fingerprint(key), loaded)
        return found

    def check(self, op: Op, key: str) -> bool:
        """Whether ``op`` carries a valid signature by ``key``."""
        fp, public = self._key(key)
        good = self._good.get(op.id)
        if good is not None and good[0] is op and good[1] in (fp, ANY_KEY):
            return True
        if self._bad.get((op.id, fp)) is op:
            return False
        valid = verify(op, public)
        if valid:
            self._good[op.id] = (op, fp)
            self.fresh.append((op.id, fp))
        else:
            self._bad[op.id, fp] = op
        return valid

    def proves(self, op: MemberKey) -> bool:
        """Whether a rotation's ``proof`` is its new key's, for its circle and member."""
        known = self._proofs.get(op.id)
        if known is not None and known[0] is op:
            return known[1]
        data = op.data
        statement = proof_bytes(op.circle, data.member, data.key)
        valid = data.proof is not None and _holds(data.proof, self._key(data.key)[1], statement)
        self._proofs[op.id] = (op, valid)
        return valid

    def first_good(self, op: Op, keys: Iterable[str]) -> bool:
        """Check ``op`` against each of ``keys`` until one holds (arrival's pre-check)."""
        return any(self.check(op, key) for key in keys)

    def remember(self, op: Op, fp: bytes) -> None:
        """A verdict reached before (the store's, or this member's own op)."""
        self._good[op.id] = (op, fp)

    def forget(self, op_ids: Iterable[str]) -> None:
        """Let go the verdicts on ops no longer held (a replica rebased onto a snapshot
        covering them): each verdict keeps its op alive."""
        for op_id in op_ids:
            self._good.pop(op_id, None)

    def vouch(self, ops: Iterable[Op]) -> None:
        """Ops this process verified before storing (a server's database): good under
        whichever key the fold expects, as admission found them."""
        for op in ops:
            self._good[op.id] = (op, ANY_KEY)

    def carry(self, old: Op, new: Op) -> None:
        """``new`` is ``old`` with what the signature leaves out changed (seq, at)."""
        good = self._good.get(old.id)
        if good is not None and good[0] is old:
            self._good[new.id] = (new, good[1])

    def fingerprint_of(self, op: Op) -> bytes | None:
        good = self._good.get(op.id)
        return good[1] if good is not None and good[0] is op and good[1] != ANY_KEY else None

    def take_fresh(self) -> list[tuple[str, bytes]]:
        fresh, self.fresh = self.fresh, []
        return fresh


class Vouched(Signatures):
    """A server's verdicts on its own log: every op in it was checked at admission (or
    signed by the server itself) before it was stored, so its fold takes each as signed
    by whom it must be, and keeps no memo (a server holds many circles)."""

    def check(self, op: Op, key: str) -> bool:
        return True

    def proves(self, op: MemberKey) -> bool:
        return True


def verify(op: Op, public: Ed25519PublicKey | None) -> bool:
    if op.sig is None or public is None:
        return False
    try:
        return _holds(op.sig, public, signed_bytes(op))
    except msgspec.EncodeError:
        return False


def _holds(signature: str, public: Ed25519PublicKey | None, message: bytes) -> bool:
    if public is None:
        return False
    try:
        public.verify(_unb64(signature), message)
    except (InvalidSignature, ValueError):
        return False
    return True


# --- whose key, and the verdict the fold uses ----------------------------------------


@dataclass(slots=True)
class KeyEntry:
    """One key a member held from a point on: the stamp (hlc, id) of the op that gave
    it, the key, why (first | rotate | lost) and who gave it."""

    at: tuple[str, str]
    key: str
    reason: str
    by: str
    at_ms: int


def add_key(keys: dict[str, list[KeyEntry]], member: str, entry: KeyEntry) -> None:
    insort(keys.setdefault(member, []), entry, key=lambda held: held.at)


def key_at(keys: dict[str, list[KeyEntry]], member: str, op: Op) -> str | None:
    """The key ``member`` held when ``op`` was stamped (None: none yet)."""
    history = keys.get(member)
    if not history:
        return None
    stamp = (op.hlc, op.id)
    if history[-1].at < stamp:  # nearly always: the latest key
        return history[-1].key
    for entry in reversed(history):
        if entry.at < stamp:
            return entry.key
    return None


def expected_key(keys: dict[str, list[KeyEntry]], op: Op) -> tuple[str | None, str]:
    """The key that must have signed ``op`` (None: no signature needed unless the
    circle requires one), and whose key it is, for reports."""
    if isinstance(op, CircleCreate):
        data = op.data
        return (data.server_key, SERVER_ACTOR) if op.signer else (data.key, op.actor)
    if op.signer is not None or op.actor == SERVER_ACTOR:
        server = key_at(keys, SERVER_ACTOR, op)
        if server is None and isinstance(op, MemberKey) and op.data.member == SERVER_ACTOR:
            return op.data.key, SERVER_ACTOR  # a hosted circle from before signing: its first
        return server, SERVER_ACTOR
    own = key_at(keys, op.actor, op)
    if own is None and isinstance(op, MemberJoin):
        return op.data.key, op.actor
    if own is None and isinstance(op, MemberKey) and op.data.member == op.actor:
        return op.data.key, op.actor
    return own, op.actor


def announced(ops: Iterable[Op]) -> dict[str, list[str]]:
    """The keys ``ops`` announce, by member: what a batch arriving together may be
    signed with beside the keys already known."""
    found: dict[str, list[str]] = {}
    for op in ops:
        pairs: list[tuple[str, str | None]]
        if isinstance(op, CircleCreate):
            pairs = [(op.actor, op.data.key), (SERVER_ACTOR, op.data.server_key)]
        elif isinstance(op, MemberJoin):
            pairs = [(op.actor, op.data.key)]
        elif isinstance(op, MemberKey):
            pairs = [(op.data.member, op.data.key)]
        else:
            continue
        for member, key in pairs:
            if key is not None:
                found.setdefault(member, []).append(key)
    return found


def candidates(keys: dict[str, list[KeyEntry]], op: Op, more: dict[str, list[str]]) -> list[str]:
    """The keys that may have signed ``op``, likeliest first: checking them as ops
    arrive (in a worker thread) leaves the fold only dictionary lookups."""
    whose = SERVER_ACTOR if op.signer is not None or op.actor == SERVER_ACTOR else op.actor
    if op.type == "circle.create":
        whose = SERVER_ACTOR if op.signer else op.actor
    known = [entry.key for entry in reversed(keys.get(whose, []))]
    return [*known, *more.get(whose, ())]


# Why an op is not taken as its author's, in the words the moderation log and notices use.
UNSIGNED = "not signed, though its author signs"
UNSIGNED_REQUIRED = "not signed, and this circle requires signatures"
UNKNOWN_KEY = "signed by a key this circle does not know"
UNPROVEN = "it announces a key it does not show it holds"


def mismatch(whose: str) -> str:
    owner = "the server" if whose == SERVER_ACTOR else "its author"
    return f"its signature does not match {owner}'s key"


def looks_forged(
    state: "CircleState", op: Op, more: dict[str, list[str]], signatures: Signatures
) -> str | None:
    """Why ``op`` cannot be its claimed author's by any key they have or that arriving
    ops announce (``more``, from ``announced``), or None. Asked of an op before it is
    held back for a far-future stamp, so a forgery is never said to be its claimed
    author's; the fold, when the op's time comes, still decides with ``problem``."""
    if op.LOCAL_ONLY:
        return None
    keys = candidates(state.keys, op, more)
    if not keys:
        if not state.signatures_required:
            return None  # an author who signs nothing: nothing to check, as in the fold
        return UNKNOWN_KEY if op.sig else UNSIGNED_REQUIRED
    if op.sig is None:
        return UNSIGNED
    if not signatures.first_good(op, keys):
        return mismatch(SERVER_ACTOR if SERVER_ACTOR in (op.actor, op.signer) else op.actor)
    return None


def problem(
    state: "CircleState", op: Op, signatures: Signatures | None = None
) -> tuple[str, str] | None:
    """Why ``op`` may not be folded as its author's: ("forged" | "unsigned", a sentence),
    or None; ``signatures`` defaults to the state's own."""
    if op.LOCAL_ONLY:
        return None  # a read mark never leaves this device
    if op.signer is not None and op.type != "circle.create":
        if not state.hosted or op.actor == SERVER_ACTOR:
            return "forged", "signed by a server in a circle no server hosts"
        if key_at(state.keys, op.actor, op) is not None:
            return "forged", "signed by the server for a member who signs for themselves"
    key, whose = expected_key(state.keys, op)
    if key is None:
        if state.signatures_required and op.type != "circle.create":
            if op.sig is None:
                return "unsigned", UNSIGNED_REQUIRED
            return "unsigned", UNKNOWN_KEY
        return None
    if op.sig is None:
        return "unsigned", UNSIGNED
    verdicts = signatures or state.signatures
    if not verdicts.check(op, key):
        return "forged", mismatch(whose)
    if isinstance(op, MemberKey) and op.data.reason == "rotate":
        unproven = rotation_unproven(op, verdicts, legacy=op.v == 1 and state.schema == 1)
        return None if unproven is None else ("forged", unproven)
    return None


def rotation_unproven(op: MemberKey, verdicts: Signatures, legacy: bool) -> str | None:
    """Why a rotation is not taken as its author's new key, or None. ``legacy``: it may
    come without a proof (the previous version's rotation, in a circle from then)."""
    if op.data.proof is None:
        if legacy:
            return None
        return f"{UNPROVEN} (no proof by the new key: made by an app too old for this circle?)"
    if not verdicts.proves(op):
        return f"{UNPROVEN} (its proof is not the new key's for this member and circle)"
    return None
