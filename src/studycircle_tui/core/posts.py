"""A circle's posts: the ``Post`` record, and the table the state keeps them in.

A big circle has tens of thousands of posts, and a screen looks at a few dozen. So a post
restored from a snapshot (``core/snapshot.py``) stays as the few bytes it was stored as
("cold") until something asks for it by id, which turns it into a ``Post`` for good
("live"): opening a 100,000-op circle decodes no post, and each costs its id and some
40 bytes until then. Posts made or changed by the fold are live from the start.

A ``PostTable`` is a mapping of post id to ``Post``, with two ways to read:

- ``table[id]`` / ``table.get(id)``: the post, made live. The reducer changes posts only
  this way, so every change lands on the one object the table keeps.
- ``values()`` / ``items()``: a read-only walk (participation, search's filters) that
  decodes cold posts without keeping them, so walking 100,000 posts leaves the memory
  as it was. A post had this way must not be changed or kept.

Post texts are not here at all: a post names the op its text came from (``text_op``),
and the text stays in the local store (read when the post is drawn).

Reading is safe from another thread while the fold runs (search filters on the store's
reader thread): a post turns live by being put in ``_live`` before it leaves ``_cold``,
and readers look in ``_cold`` first.
"""

from collections.abc import Iterator, MutableMapping

import msgspec


class Flag(msgspec.Struct, array_like=True, gc=False):
    by: str
    reason: str
    comment: str
    at_ms: int


# array_like: a cold post is its fields in order, without their names (about 40 bytes).
# gc=False: a post holds plain values and never takes part in a reference cycle.
class Post(msgspec.Struct, array_like=True, gc=False):
    id: str
    thread_id: str
    author: str
    created_ms: int
    index: int  # position in its thread
    reply_to: str | None = None
    edits: tuple[str, ...] = ()  # the post.edit ops that changed its text, in fold order
    mentions: tuple[str, ...] = ()  # the folded @names its current text mentions
    edited_ms: int = 0
    deleted: bool = False
    reactions: dict[str, set[str]] = msgspec.field(default_factory=dict)
    flags: list[Flag] = msgspec.field(default_factory=list)
    hidden: bool = False
    hidden_by: str | None = None
    hide_reason: str = ""
    accepted: bool = False
    verified_by: str | None = None

    @property
    def text_op(self) -> str:
        """The op whose text the post shows now: its own until it is edited."""
        return self.edits[-1] if self.edits else self.id

    @property
    def history(self) -> tuple[str, ...]:
        """The ops of its earlier texts, oldest first (the post's own, then all edits
        but the last)."""
        return (self.id, *self.edits[:-1]) if self.edits else ()


_encode = msgspec.msgpack.Encoder().encode
_decode = msgspec.msgpack.Decoder(Post).decode


class PostTable(MutableMapping[str, Post]):
    """Post id → ``Post``; see the module's docstring for cold and live posts."""

    __slots__ = ("_cold", "_live")

    def __init__(self, cold: dict[str, bytes] | None = None) -> None:
        self._live: dict[str, Post] = {}
        self._cold: dict[str, bytes] = cold if cold is not None else {}

    def __getitem__(self, post_id: str) -> Post:
        post = self._live.get(post_id)
        if post is None:
            post = _decode(self._cold[post_id])  # KeyError: no such post
            self._live[post_id] = post  # live before it leaves the cold ones (see above)
            del self._cold[post_id]
        return post

    def __setitem__(self, post_id: str, post: Post) -> None:
        self._live[post_id] = post
        self._cold.pop(post_id, None)

    def __delitem__(self, post_id: str) -> None:
        if self._live.pop(post_id, None) is None:
            del self._cold[post_id]

    def __contains__(self, post_id: object) -> bool:
        return post_id in self._cold or post_id in self._live

    def __iter__(self) -> Iterator[str]:
        yield from list(self._live)
        yield from list(self._cold)

    def __len__(self) -> int:
        return len(self._live) + len(self._cold)

    def peek(self, post_id: str) -> Post | None:
        """The post, without making it live (read only; see the module's docstring)."""
        blob = self._cold.get(post_id)  # cold first: see the module's docstring
        if blob is not None:
            return _decode(blob)
        return self._live.get(post_id)

    def values(self) -> Iterator[Post]:  # type: ignore[override]
        """Every post, read only (see the module's docstring)."""
        yield from list(self._live.values())
        for blob in list(self._cold.values()):
            yield _decode(blob)

    def items(self) -> Iterator[tuple[str, Post]]:  # type: ignore[override]
        for post in self.values():
            yield post.id, post

    def freeze(self) -> None:
        """Turn every live post cold (after a fold of many: memory as if restored)."""
        for post_id, post in list(self._live.items()):
            self._cold[post_id] = _encode(post)  # cold before it leaves the live ones
        self._live.clear()

    def encoded(self) -> dict[str, bytes]:
        """Every post as the bytes a snapshot keeps (cold ones as they are)."""
        return {**self._cold, **{pid: _encode(post) for pid, post in self._live.items()}}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PostTable):
            return NotImplemented
        if len(self) != len(other):
            return False
        return all(other.peek(post.id) == post for post in self.values())

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"PostTable({len(self._live)} live, {len(self._cold)} cold)"
