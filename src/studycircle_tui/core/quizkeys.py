"""The answer keys a live quiz keeps back until each reveal, and the salted hashes it
publishes instead, so players can check that each key revealed is the one fixed at the
start.

A quiz publishes one hash per question (``key_hashes``, each the hash of a secret salt
and that question's key) and the quiz's own hash (``key_hash``, the hash of those). Each
reveal carries its key and salt, so it is checked the moment it arrives. Quizzes made
before per-question hashes carry the quiz's hash alone: theirs can be checked only once
every question is revealed (``keys_verified``).
"""

import hashlib
from collections.abc import Iterable, Sequence
from enum import Enum

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


def root_of(leaves: Iterable[str]) -> str:
    """The quiz's hash, made of its questions' hashes."""
    return "sha256:" + hashlib.sha256("".join(leaves).encode()).hexdigest()


def key_hashes(salts: Sequence[str], keys: Sequence[Key]) -> list[str]:
    """What a live quiz's ``quiz.create`` carries instead of its keys: a hash per
    question."""
    if len(salts) != len(keys):
        raise ValueError("one salt per key")
    return [key_leaf(salt, key) for salt, key in zip(salts, keys, strict=True)]


def key_hash(salts: Sequence[str], keys: Sequence[Key]) -> str:
    """The quiz's hash (which the lead's device also files its kept keys under)."""
    return root_of(key_hashes(salts, keys))


def keys_verified(expected: str | None, revealed: Sequence[tuple[str, Key] | None]) -> bool | None:
    """Whether the revealed (salt, key) pairs make the published hash: True or False
    once every question has been revealed, None before (or when there is no hash)."""
    if not expected or any(pair is None for pair in revealed):
        return None
    pairs = [pair for pair in revealed if pair is not None]
    return key_hash([s for s, _ in pairs], [k for _, k in pairs]) == expected


class Check(Enum):
    """What a reveal's key is checked against, and how that went."""

    MATCHES = "matches"  # the hash published for the question (or the practice key)
    DIFFERS = "differs"  # it is not the key the quiz was published with
    AT_THE_END = "at the end"  # an older quiz: one hash for all, checked once all are out
    NOTHING = "nothing"  # no hash to check against (made by hand, without one)


def reveal_check(quiz: Quiz, session: QuizSession, index: int) -> Check:
    """Check the key revealed for question ``index`` against what ``quiz`` published."""
    key = session.revealed[index]
    if quiz.keys is not None:  # shared for practice: the key is in the log already
        same = index < len(quiz.keys) and _key_bytes(quiz.keys[index]) == _key_bytes(key)
        return Check.MATCHES if same else Check.DIFFERS
    leaves = quiz.key_hashes
    if leaves is None:
        return Check.AT_THE_END if quiz.key_hash else Check.NOTHING
    if len(leaves) != len(quiz.questions) or (quiz.key_hash and root_of(leaves) != quiz.key_hash):
        return Check.DIFFERS  # the hashes published do not agree with each other
    salt = session.salts.get(index, "")
    return Check.MATCHES if key_leaf(salt, key) == leaves[index] else Check.DIFFERS


def practice_keys(quiz: Quiz, sessions: Iterable[QuizSession]) -> list[Key] | None:
    """The keys a practice attempt is marked with: the quiz's own, or once a live run has
    revealed every question, the revealed ones (they are in the log by then)."""
    if quiz.keys is not None:
        return list(quiz.keys)
    for session in sessions:
        if all(i in session.revealed for i in range(len(quiz.questions))):
            return [session.revealed[i] for i in range(len(quiz.questions))]
    return None
