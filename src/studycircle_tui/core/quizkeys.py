"""The answer keys a live quiz keeps back until each reveal, and the salted hash it
publishes instead, so players can check that the keys revealed one by one are the ones
fixed at the start."""

import hashlib
from collections.abc import Iterable, Sequence

import msgspec

from .ops import Key
from .state import Quiz, QuizSession


def _key_bytes(key: Key) -> bytes:
    # Decoding normalises (5 → 5.0), so a key hashes the same before and after the log.
    return msgspec.json.encode(msgspec.convert(msgspec.to_builtins(key), Key))


def key_leaf(salt: str, key: Key) -> str:
    """One question's salted hash: a secret salt per question, revealed with its key, so
    no key can be guessed from the hash before its reveal."""
    return hashlib.sha256(salt.encode() + b"\n" + _key_bytes(key)).hexdigest()


def key_hash(salts: Sequence[str], keys: Sequence[Key]) -> str:
    """What a live quiz's ``quiz.create`` carries instead of its keys."""
    if len(salts) != len(keys):
        raise ValueError("one salt per key")
    leaves = "".join(key_leaf(salt, key) for salt, key in zip(salts, keys, strict=True))
    return "sha256:" + hashlib.sha256(leaves.encode()).hexdigest()


def keys_verified(expected: str | None, revealed: Sequence[tuple[str, Key] | None]) -> bool | None:
    """Whether the revealed (salt, key) pairs make the published hash: True or False
    once every question has been revealed, None before (or when there is no hash)."""
    if not expected or any(pair is None for pair in revealed):
        return None
    pairs = [pair for pair in revealed if pair is not None]
    return key_hash([s for s, _ in pairs], [k for _, k in pairs]) == expected


def practice_keys(quiz: Quiz, sessions: Iterable[QuizSession]) -> list[Key] | None:
    """The keys a practice attempt is marked with: the quiz's own, or once a live run has
    revealed every question, the revealed ones (they are in the log by then)."""
    if quiz.keys is not None:
        return list(quiz.keys)
    for session in sessions:
        if all(i in session.revealed for i in range(len(quiz.questions))):
            return [session.revealed[i] for i in range(len(quiz.questions))]
    return None
