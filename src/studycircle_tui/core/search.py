"""Searching a circle's posts, and finding who is @mentioned where: the rules.

Pure: what a query means (``parse_query``), what a post's text is matched as
(``searchable``: folded, see ``folding.py``), when it matches (``contains_all``: every
term anywhere inside it, so Bahasa Indonesia's affixes need no stemmer: "pergi" finds
"bepergian" and "pergilah", "buku" finds "bukunya"), and which matches a member is shown
and in what order (``search``: the filters, who may read a hidden post, newest first).

Finding the texts that contain the terms is the local store's index (SQLite FTS5,
``store/texts.py``): it holds every version of every post's text, folded by
``searchable``, and hands ``search`` the versions that match.
"""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from .discussion import may_see
from .folding import compact_name, fold, fold_with_origins, names_for
from .state import CircleState, Thread

DEFAULT_LIMIT = 200

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


# --- the rules -----------------------------------------------------------------------


def searchable(text: str, title: str | None = None) -> str:
    """What a post's text is matched as: folded, with its thread's title in front when it
    is the thread's opening post (a term may be found in either; none holds a newline)."""
    return fold(text if title is None else title + "\n" + text)


def contains_all(terms: Iterable[str], folded: str) -> bool:
    """The matching rule: every (folded) term occurs in the folded text, anywhere, even
    inside a word."""
    return all(term in folded for term in terms)


def search(
    state: CircleState,
    query: Query | str,
    viewer: str,
    found: Iterable[tuple[str, str | None]] | None,
    limit: int = DEFAULT_LIMIT,
    stale: Callable[[], bool] | None = None,
) -> SearchResult | None:
    """The posts ``viewer`` may read that the query asks for, newest first.

    ``found`` is what matched the query's words: (post id, id of the op whose text
    matched) for every version of a text that ``contains_all`` the terms (the local
    store's index gives it); a post counts only when the text that matched is the one it
    shows now. ``None`` when the query has no words: then every post is a candidate.
    Reads posts without making them live (``PostTable.peek``), so it may run on another
    thread than the fold's; ``stale`` is asked now and then, and None returned when it
    says the search is no longer wanted.
    """
    if isinstance(query, str):
        query = parse_query(query)
    if query.empty:
        return SearchResult([], query)
    authors = _members_named(state, query.authors, viewer) if query.authors else None
    channels = _channels_named(state, query.channels) if query.channels else None
    if (authors is not None and not authors) or (channels is not None and not channels):
        return SearchResult([], query)
    threads = state.threads
    posts = state.posts
    if found is None:  # only filters: walk the threads they allow, not every post
        allowed = [
            thread
            for thread in list(threads.values())
            if (channels is None or thread.channel_id in channels)
            and _kind_matches(query.kinds, thread)
        ]
        found = ((post_id, None) for thread in allowed for post_id in list(thread.post_ids))
    hits: list[tuple[int, str, str]] = []
    for looked, (post_id, op_id) in enumerate(found):
        if stale is not None and looked % 1024 == 1023 and stale():
            return None
        post = posts.peek(post_id)
        if post is None or (op_id is not None and post.text_op != op_id) or post.deleted:
            continue
        if authors is not None and post.author not in authors:
            continue
        thread = threads.get(post.thread_id)
        if thread is None or (channels is not None and thread.channel_id not in channels):
            continue
        if query.kinds and not _kind_matches(query.kinds, thread):
            continue
        if not may_see(state, viewer, post):
            continue
        hits.append((post.created_ms, post.id, thread.id))
    hits.sort(reverse=True)
    return SearchResult(
        [SearchHit(post_id, thread_id) for _, post_id, thread_id in hits[:limit]],
        query,
        more=len(hits) > limit,
    )


def mentions_of(state: CircleState, member_id: str, viewer: str | None = None) -> list[str]:
    """Post ids that @mention the member (by their current name), newest first."""
    member = state.members.get(member_id)
    if member is None:
        return []
    viewer = viewer or member_id
    names = names_for(member.name)
    found: dict[str, int] = {}
    for name in names:
        for post_id in state.mentioned.get(name, ()):
            post = state.posts.peek(post_id)
            if (
                post is not None
                and not post.deleted
                and post.author != member_id
                and may_see(state, viewer, post)
                and names.intersection(post.mentions)  # still there after an edit
            ):
                found[post_id] = post.created_ms
    return sorted(found, key=lambda pid: (found[pid], pid), reverse=True)


def _members_named(state: CircleState, names: list[str], viewer: str) -> set[str]:
    found = set()
    for name in names:
        if name == "me":
            found.add(viewer)
            continue
        for member in list(state.members.values()):  # (search may run on another thread)
            folded = fold(member.name)
            if folded.startswith(name) or compact_name(member.name).startswith(name):
                found.add(member.id)
    return found


def _channels_named(state: CircleState, names: list[str]) -> set[str]:
    channels = list(state.channels.items())
    exact = {cid for cid, ch in channels if fold(ch.name) in names}
    if exact:
        return exact
    return {
        cid
        for cid, channel in channels
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
