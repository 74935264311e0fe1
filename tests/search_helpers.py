"""Search as it matched before the store had an index: every version of every post's
text, folded, checked term by term (``str`` containment). Tests compare the index with
it, and search histories with it where no store is at hand."""

from collections.abc import Iterable

from studycircle_tui.core import search
from studycircle_tui.core.ops import Op
from studycircle_tui.core.state import CircleState


def versions(ops: Iterable[Op]) -> list[tuple[str, str, str]]:
    """(post, op, folded text) of every text an op carried: a post's own, and its edits'
    (an opening post's with its thread's title)."""
    ops = list(ops)
    titles = {op.id: op.data.title for op in ops if op.type == "thread.create"}
    found = []
    for op in ops:
        if op.type in ("post.create", "thread.create"):
            post = op.id
        elif op.type == "post.edit":
            post = op.data.post
        else:
            continue
        found.append((post, op.id, search.searchable(op.data.text, titles.get(post))))
    return found


def matching(ops: Iterable[Op], terms: list[str]) -> list[tuple[str, str]]:
    """(post, op) of every text version containing all the terms."""
    return [(post, op) for post, op, folded in versions(ops) if search.contains_all(terms, folded)]


def scan(
    state: CircleState, ops: Iterable[Op], query: str, viewer: str, limit: int = 200
) -> search.SearchResult:
    """``core.search.search`` fed by a scan of every text instead of the store's index."""
    parsed = search.parse_query(query)
    found = matching(ops, parsed.terms) if parsed.terms else None
    result = search.search(state, parsed, viewer, found, limit)
    assert result is not None
    return result
