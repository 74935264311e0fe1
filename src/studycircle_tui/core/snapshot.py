"""A circle's folded state as bytes, and what it covers: so a big circle opens without
folding its whole log.

A snapshot holds the state after every op up to a position in fold order (an (hlc, id)
key in a file circle, a seq in a server circle), with what a replica resuming from it
needs to go on exactly as one that folded everything (``Replica.resume``):

- ``count`` and ``digests``: how many ops it covers and an 8-byte digest of each one's
  id, sorted, so an op seen again is known without the ops themselves in memory (a
  digest colliding by chance is a 1-in-10^14 event at 100,000 ops);
- ``clock``: the greatest stamp among them, which the replica's clock has observed.

It is tied to the code that made it: ``shape()`` fingerprints the state's classes (every
field's name and type, recursively) and the reducer's ``VERSION`` says when the fold's
result changed for the same ops. The local store keeps those marks beside the bytes and
throws a snapshot away when they differ (``sync/snapshots.py``).

Posts are kept as the bytes of each (``PostTable``): restoring a snapshot decodes no post
until one is asked for. A note's texts are kept as its head's text (``NoteTexts.saved``):
every other revision's is its whole text or a patch, in the revisions themselves.

Pure: bytes in, bytes out.
"""

import hashlib
from array import array
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import fields, is_dataclass
from functools import cache
from typing import get_args, get_type_hints

import msgspec

from .notetext import NoteTexts
from .posts import Post, PostTable
from .signing import Signatures
from .state import CircleState

Position = tuple[str, str] | int  # the last op covered: (hlc, id), or a seq


class Snapshot(msgspec.Struct, array_like=True):
    state: CircleState
    position: Position
    count: int  # ops covered, refused ones included
    digests: bytes  # sorted array("Q") of the covered ops' id digests
    clock: str  # the greatest hlc among them


def digest(op_id: str) -> int:
    """A stable 64-bit digest of an op id (blake2b: not chosen by whoever picks ids)."""
    return int.from_bytes(hashlib.blake2b(op_id.encode(), digest_size=8).digest(), "little")


def digests_of(op_ids: Iterable[str], more: "array[int] | None" = None) -> "array[int]":
    """The sorted digests of ``op_ids`` (and of ``more``, already digests)."""
    merged = sorted([*(more or ()), *(digest(op_id) for op_id in op_ids)])
    return array("Q", merged)


def covers(digests: "array[int]", op_id: str) -> bool:
    wanted = digest(op_id)
    at = bisect_left(digests, wanted)
    return at < len(digests) and digests[at] == wanted


def _enc_hook(value: object) -> object:
    if isinstance(value, PostTable):
        return value.encoded()
    if isinstance(value, NoteTexts):
        return value.saved()
    if isinstance(value, Signatures):
        return None  # a memo, not part of the state: a restored state starts its own
    raise NotImplementedError(type(value))


def _dec_hook(kind: type, value: object) -> object:
    if kind is PostTable and isinstance(value, dict):
        return PostTable(value)
    if kind is Signatures and value is None:
        return Signatures()
    if kind is NoteTexts and isinstance(value, list) and len(value) == 2:
        head, text = value
        if isinstance(head, str) and (text is None or isinstance(text, str)):
            return NoteTexts.restored(head, text)
    raise NotImplementedError(kind)


_encoder = msgspec.msgpack.Encoder(enc_hook=_enc_hook)
_decoder = msgspec.msgpack.Decoder(Snapshot, dec_hook=_dec_hook)
_state_decoder = msgspec.msgpack.Decoder(CircleState, dec_hook=_dec_hook)


def encode(snapshot: Snapshot) -> bytes:
    return _encoder.encode(snapshot)


def decode(data: bytes) -> Snapshot:
    """The snapshot in ``data``; msgspec.DecodeError (a ValueError) when it is not one."""
    return _decoder.decode(data)


def encode_state(state: CircleState) -> bytes:
    return _encoder.encode(state)


def decode_state(data: bytes) -> CircleState:
    return _state_decoder.decode(data)


@cache
def shape() -> str:
    """A fingerprint of the state's classes: every field's name and type, recursively.
    Any change to them gives another fingerprint, so old snapshots are not misread."""
    described: dict[str, list[tuple[str, str]]] = {}

    def visit(kind: object) -> None:
        for argument in get_args(kind):
            visit(argument)
        if kind is PostTable:
            visit(Post)
            return
        if kind is NoteTexts:  # kept as what ``saved`` gives
            described[kind.__qualname__] = [("saved", repr(get_type_hints(kind.saved)))]
            return
        if not isinstance(kind, type) or kind.__qualname__ in described:
            return
        if is_dataclass(kind):
            names = [field.name for field in fields(kind)]
        elif issubclass(kind, msgspec.Struct):
            names = list(kind.__struct_fields__)
        else:
            return
        hints = get_type_hints(kind)
        described[kind.__qualname__] = [(name, repr(hints[name])) for name in names]
        for name in names:
            visit(hints[name])

    visit(CircleState)
    text = repr(sorted(described.items()))
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()
