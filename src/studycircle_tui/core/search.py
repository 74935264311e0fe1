"""Searching a circle's posts, and finding who is @mentioned where.

Pure: it reads a ``CircleState`` and keeps its own indexes, updated op by op.

Matching folds both sides the same way (``fold``): case-folded, compatibility-decomposed
(NFKD) and stripped of accents and emoji presentation marks, so "cafe" finds "Café",
"STRASSE" finds "Straße", "❤" finds "❤️" and a full-width "ｐｙｔｈｏｎ" finds "python".
A word matches anywhere inside a word, so Bahasa Indonesia's affixes need no stemmer:
"pergi" finds "bepergian" and "pergilah", "buku" finds "bukunya".

The text index keeps every post's folded text in chunks joined into one string each;
a term is found with ``str.find`` (C speed) and the chunk's offset table says which post
it fell in. The index is built on the first search, then kept current op by op
(``CircleIndex.update``); a refolded state (a new ``CircleState`` object) rebuilds it.
"""

import re
import unicodedata
from array import array
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from .discussion import may_see
from .ops import Op, PostEdit
from .state import CircleState, Post, Thread

# Zero-width joiner, text/emoji variation selectors, zero-width space, soft hyphen.
_IGNORABLE = frozenset("\u200d\ufe0e\ufe0f\u200b\u00ad")
_SEPARATOR = "\x00"  # between posts in a chunk; never inside folded text

CHUNK_SIZE = 1024  # posts per chunk: an edit re-joins one chunk, not the whole corpus
DEFAULT_LIMIT = 200

MENTION = re.compile(r"(?<![\w@])@([\w][\w.\-]*)")


_marks: re.Pattern[str] | None = None


def _mark_pattern() -> re.Pattern[str]:
    """Every combining mark (accents and the like) and the ignorable characters, as
    one regex character class: built once, on the first non-ASCII text (~30 ms)."""
    global _marks
    if _marks is None:
        ranges: list[str] = []
        start = None
        for code in range(0x30000 + 1):
            marked = code < 0x30000 and unicodedata.combining(chr(code)) != 0
            if marked and start is None:
                start = code
            elif not marked and start is not None:
                ranges.append(f"{chr(start)}-{chr(code - 1)}" if code - 1 > start else chr(start))
                start = None
        _marks = re.compile("[" + "".join(ranges) + "".join(sorted(_IGNORABLE)) + "]")
    return _marks


def fold(text: str) -> str:
    """Text as search compares it (see the module's docstring)."""
    if text.isascii():
        return text.lower().replace(_SEPARATOR, " ")
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    # Casefolding can itself make a combining mark ("İ" gives "i" and a dot above), and
    # NFKD can make capitals (a "㎒" sign becomes "MHz"), hence the order and the second
    # casefold.
    return _mark_pattern().sub("", decomposed).casefold().replace(_SEPARATOR, " ")


def fold_with_origins(text: str) -> tuple[str, list[int]]:
    """``fold(text)`` and, for each of its characters, the index in ``text`` it came from.

    Used to highlight a match in the original text; per character, so only for the few
    posts on screen.
    """
    folded: list[str] = []
    origins: list[int] = []
    for index, char in enumerate(text):
        piece = fold(char)
        folded.append(piece)
        origins.extend([index] * len(piece))
    return "".join(folded), origins


def compact_name(name: str) -> str:
    """How a display name is written after an @: folded, without spaces."""
    return "".join(fold(name).split())


def mention_tokens(text: str) -> set[str]:
    """The folded names a text @mentions ("@Ayu," gives "ayu")."""
    if "@" not in text:
        return set()
    return {fold(match.group(1)).rstrip(".-") for match in MENTION.finditer(text)}


def names_for(member_name: str) -> set[str]:
    """What an @mention of this member may say: the whole name without spaces, or the
    first name ("Ayu Lestari" answers to @AyuLestari and @Ayu)."""
    words = fold(member_name).split()
    return {"".join(words), words[0]} if words else set()


# --- queries --------------------------------------------------------------------------

IS_VALUES = ("question", "discussion", "unanswered", "answered")
_TOKEN = re.compile(r'(\w+):("[^"]*"|\S+)|"([^"]*)"|(\S+)')


@dataclass(slots=True)
class Query:
    """A parsed search: words to find (all of them), and filters."""

    terms: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)
    kinds: set[str] = field(default_factory=set)  # values of is:
    problems: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.terms or self.authors or self.channels or self.kinds)


def parse_query(text: str) -> Query:
    """``ayu in:general is:question "default list" author:budi`` → a Query.

    Filters: ``author:NAME`` (a display name, or ``me``), ``in:CHANNEL`` (``#`` optional),
    ``is:question``, ``is:discussion``, ``is:unanswered``, ``is:answered``. Quotes keep
    words together. An unknown ``is:`` value is reported in ``problems``.
    """
    query = Query()
    for match in _TOKEN.finditer(text):
        key, value, phrase, word = match.groups()
        if key is not None:
            value = value.strip('"')
            lowered = key.lower()
            if lowered == "author":
                query.authors.append(fold(value.lstrip("@")))
            elif lowered == "in":
                query.channels.append(fold(value.lstrip("#")))
            elif lowered == "is":
                kind = fold(value)
                if kind in IS_VALUES:
                    query.kinds.add(kind)
                else:
                    query.problems.append(
                        f"is:{value} is not a filter; try "
                        + ", ".join(f"is:{v}" for v in IS_VALUES)
                    )
            else:  # "http://…", "12:30": not a filter, just words
                query.terms.append(fold(match.group(0)))
        elif phrase is not None:
            if phrase.strip():
                query.terms.append(fold(phrase))
        else:
            query.terms.append(fold(word))
    query.terms = [term for term in query.terms if term.strip()]
    return query


@dataclass(slots=True, frozen=True)
class SearchHit:
    post_id: str
    thread_id: str


@dataclass(slots=True)
class SearchResult:
    hits: list[SearchHit]
    query: Query
    more: bool = False  # stopped at the limit; older matches exist


def highlight_spans(text: str, terms: Iterable[str]) -> list[tuple[int, int]]:
    """Where the (folded) terms occur in ``text``, as (start, end) indices into ``text``."""
    terms = [term for term in terms if term]
    if not terms:
        return []
    folded, origins = fold_with_origins(text)
    spans = []
    for term in terms:
        start = folded.find(term)
        while start != -1:
            end = start + len(term)
            spans.append((origins[start], origins[end - 1] + 1))
            start = folded.find(term, end)
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


# --- the index ------------------------------------------------------------------------


class _Chunk:
    """Up to CHUNK_SIZE posts' folded texts, joined with separators for ``str.find``."""

    __slots__ = ("_joined", "_parts", "_starts")

    def __init__(self) -> None:
        self._parts: list[str] | None = []
        self._joined = ""
        self._starts = array("l")

    def __len__(self) -> int:
        return len(self._parts) if self._parts is not None else len(self._starts)

    def append(self, text: str) -> None:
        self._unjoin().append(text)

    def replace(self, index: int, text: str) -> None:
        self._unjoin()[index] = text

    def text(self, index: int) -> str:
        if self._parts is not None:
            return self._parts[index]
        end = self._starts[index + 1] - 1 if index + 1 < len(self._starts) else len(self._joined)
        return self._joined[self._starts[index] : end]

    def find(self, term: str) -> list[int]:
        """Indices of the texts containing ``term``, in order."""
        joined, starts = self._join()
        found: list[int] = []
        position = joined.find(term)
        while position != -1:
            index = bisect_right(starts, position) - 1
            found.append(index)
            if index + 1 >= len(starts):
                break
            position = joined.find(term, starts[index + 1])
        return found

    def _unjoin(self) -> list[str]:
        if self._parts is None:
            self._parts = self._joined.split(_SEPARATOR) if self._starts else []
            self._joined, self._starts = "", array("l")
        return self._parts

    def _join(self) -> tuple[str, "array[int]"]:
        if self._parts is not None:
            starts = array("l")
            offset = 0
            for part in self._parts:
                starts.append(offset)
                offset += len(part) + 1
            self._joined, self._starts, self._parts = _SEPARATOR.join(self._parts), starts, None
        return self._joined, self._starts


class CircleIndex:
    """Search and mention indexes over one circle's posts, kept current op by op."""

    def __init__(self, state: CircleState) -> None:
        self._state = state
        self._ids: list[str] = []  # post ids in index order (fold order)
        self._where: dict[str, int] = {}
        self._chunks: list[_Chunk] = []
        self._text_built = False
        # folded @name → the ids of posts mentioning it (a dict as an ordered set)
        self._mentions: dict[str, dict[str, None]] = {}
        for post in state.posts.values():
            self._add_mentions(post)

    @property
    def state(self) -> CircleState:
        return self._state

    def update(self, state: CircleState, ops: Iterable[Op]) -> None:
        """Take ops just applied to ``state``; a different state object means a refold."""
        if state is not self._state:
            self.__init__(state)  # type: ignore[misc]
            return
        for op in ops:
            kind = op.type
            if kind in ("post.create", "thread.create"):
                post = state.posts.get(op.id)
                if post is not None and op.id not in self._where:
                    self._add_mentions(post)
                    if self._text_built:
                        self._add_text(post)
            elif isinstance(op, PostEdit):
                post = state.posts.get(op.data.post)
                if post is not None:
                    self._add_mentions(post)
                    where = self._where.get(post.id)
                    if self._text_built and where is not None:
                        chunk = self._chunks[where // CHUNK_SIZE]
                        chunk.replace(where % CHUNK_SIZE, self._folded(post))

    # --- mentions ---------------------------------------------------------------------

    def _mentioning_text(self, post: Post) -> str:
        """What of a post can @mention someone: its text, and for a thread's opening post
        the thread's title too ("@Ayu, can you check this?" as a title)."""
        thread = self._state.threads.get(post.thread_id) if post.index == 0 else None
        return post.text if thread is None else thread.title + "\n" + post.text

    def _add_mentions(self, post: Post) -> None:
        for token in mention_tokens(self._mentioning_text(post)):
            self._mentions.setdefault(token, {})[post.id] = None

    def mentions_of(self, member_id: str, viewer: str | None = None) -> list[str]:
        """Post ids that @mention the member (by their current name), newest first."""
        state = self._state
        member = state.members.get(member_id)
        if member is None:
            return []
        viewer = viewer or member_id
        names = names_for(member.name)
        found: dict[str, None] = {}
        for name in names:
            for post_id in self._mentions.get(name, ()):
                post = state.posts.get(post_id)
                if (
                    post is not None
                    and not post.deleted
                    and post.author != member_id
                    and may_see(state, viewer, post)
                    # still there after an edit
                    and names & mention_tokens(self._mentioning_text(post))
                ):
                    found[post_id] = None
        return sorted(found, key=lambda pid: state.posts[pid].created_ms, reverse=True)

    # --- text -------------------------------------------------------------------------

    def _folded(self, post: Post) -> str:
        if post.index == 0:
            thread = self._state.threads.get(post.thread_id)
            if thread is not None:
                return fold(thread.title + "\n" + post.text)
        return fold(post.text)

    def _add_text(self, post: Post) -> None:
        if not self._chunks or len(self._chunks[-1]) >= CHUNK_SIZE:
            self._chunks.append(_Chunk())
        self._where[post.id] = len(self._ids)
        self._ids.append(post.id)
        self._chunks[-1].append(self._folded(post))

    def build(self) -> None:
        """Index every post's text now (otherwise done by the first search)."""
        if self._text_built:
            return
        self._text_built = True
        for post in self._state.posts.values():
            self._add_text(post)
        for chunk in self._chunks:
            chunk.find(_SEPARATOR)  # join each chunk now rather than in a search

    def _matching(self, terms: list[str], threads: list[str] | None) -> Iterator[int]:
        """Positions of posts containing every term (in ``threads``, when given), newest
        first."""
        if not terms:
            if threads is None:
                yield from range(len(self._ids) - 1, -1, -1)
                return
            where = self._where
            positions = [where[pid] for tid in threads for pid in self._state.threads[tid].post_ids]
            positions.sort(reverse=True)
            yield from positions
            return
        first, *rest = sorted(terms, key=len, reverse=True)  # the longest is the rarest
        for number in range(len(self._chunks) - 1, -1, -1):
            chunk = self._chunks[number]
            base = number * CHUNK_SIZE
            for index in reversed(chunk.find(first)):
                if rest:
                    text = chunk.text(index)
                    if not all(term in text for term in rest):
                        continue
                yield base + index

    def search(self, query: Query | str, viewer: str, limit: int = DEFAULT_LIMIT) -> SearchResult:
        """Posts matching the query that ``viewer`` may read, newest first."""
        if isinstance(query, str):
            query = parse_query(query)
        if query.empty:
            return SearchResult([], query)
        self.build()
        state = self._state
        authors = _members_named(state, query.authors, viewer) if query.authors else None
        channels = _channels_named(state, query.channels) if query.channels else None
        if (authors is not None and not authors) or (channels is not None and not channels):
            return SearchResult([], query)
        threads = None
        if not query.terms and (channels is not None or query.kinds):
            # Only filters: walk the threads they allow, not every post in the circle.
            threads = [
                thread.id
                for thread in state.threads.values()
                if (channels is None or thread.channel_id in channels)
                and _kind_matches(query.kinds, thread)
            ]
        hits: list[SearchHit] = []
        for position in self._matching(query.terms, threads):
            post = state.posts.get(self._ids[position])
            if post is None or post.deleted or not may_see(state, viewer, post):
                continue
            if authors is not None and post.author not in authors:
                continue
            thread = state.threads[post.thread_id]
            if channels is not None and thread.channel_id not in channels:
                continue
            if query.kinds and not _kind_matches(query.kinds, thread):
                continue
            if len(hits) == limit:
                return SearchResult(hits, query, more=True)
            hits.append(SearchHit(post.id, thread.id))
        return SearchResult(hits, query)


def _members_named(state: CircleState, names: list[str], viewer: str) -> set[str]:
    found = set()
    for name in names:
        if name == "me":
            found.add(viewer)
            continue
        for member in state.members.values():
            folded = fold(member.name)
            if folded.startswith(name) or compact_name(member.name).startswith(name):
                found.add(member.id)
    return found


def _channels_named(state: CircleState, names: list[str]) -> set[str]:
    exact = {cid for cid, ch in state.channels.items() if fold(ch.name) in names}
    if exact:
        return exact
    return {
        cid
        for cid, channel in state.channels.items()
        if any(fold(channel.name).startswith(name) for name in names)
    }


def _kind_matches(kinds: set[str], thread: Thread) -> bool:
    if "question" in kinds and thread.kind != "question":
        return False
    if "discussion" in kinds and thread.kind != "discussion":
        return False
    if "unanswered" in kinds and (thread.kind != "question" or thread.answered):
        return False
    return not ("answered" in kinds and not thread.answered)
