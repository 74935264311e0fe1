"""The local store's search index (store/texts.py, SQLite FTS5 with trigrams) finds what
core's matching rule finds (core/search.py ``contains_all`` on ``searchable`` texts),
on random texts and random circles: accents and case folded, terms anywhere inside
words (Indonesian affixes), short terms, emoji, edits."""

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from circles import circle_ops
from histories import histories
from search_helpers import matching, scan
from studycircle_tui.core import reducer
from studycircle_tui.core.replica import Replica
from studycircle_tui.core.search import fold, parse_query, search
from studycircle_tui.store import texts
from studycircle_tui.store.db import Store
from studycircle_tui.sync.reading import TextIndexer

PROPERTY_SETTINGS = settings(
    deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)

# What the circles write: Bahasa Indonesia with its affixes, accents, capitals,
# compatibility forms, emoji with and without presentation marks, and what a query
# might be made of.
PIECES = [
    "belajar", "pelajaran", "bepergian", "pergi", "buku", "bukunya", "perpustakaan",
    "kalkulus", "Kalkulus", "KALKULUS", "café", "Café", "CAFE", "naïve", "résumé",
    "Straße", "strasse", "İstanbul", "ｐｙｔｈｏｎ", "python", "❤️", "❤", "📚", "ke", "di",
    "a", "é", " ", " ", " ", "-", ".", ",", '"', "%", "_", "*", "\n",
]  # fmt: skip
FILTERS = ["in:general", "is:question", "author:me", "is:unanswered"]
texts_made = st.lists(st.sampled_from(PIECES), max_size=12).map("".join)


def _stored(tmp: Path, ops) -> Store:
    store = Store(tmp / "replica.sqlite3")
    store.add_ops(ops[0].circle, ops)
    while texts.index_since(store.db, ops[0].circle, batch=7):  # several batches
        pass
    return store


def _posts(bodies: list[str]):
    """A circle whose thread holds one post per text, and edits of some of them."""
    circle_id, ops = circle_ops(0)
    replica = Replica(circle_id)
    replica.add(ops)
    thread = ops[-1].id
    for number, body in enumerate(bodies):
        if number % 3 == 2:  # every third text edits the post before it
            op = replica.make(ops[0].actor, "post.edit", {"post": ops[-1].id, "text": body},
                              1_800_000_000_000 + number, number.to_bytes(10, "big"))  # fmt: skip
        else:
            op = replica.make(ops[0].actor, "post.create", {"thread": thread, "text": body},
                              1_800_000_000_000 + number, number.to_bytes(10, "big"))  # fmt: skip
        replica.add([op])
        ops.append(op)
    return circle_id, ops


@PROPERTY_SETTINGS
@given(
    st.lists(texts_made.filter(str.strip), min_size=1, max_size=12),
    st.lists(st.sampled_from(PIECES) | texts_made, min_size=1, max_size=3),
    st.data(),
)
def test_the_index_finds_what_core_matching_finds(bodies, words, data):
    circle_id, ops = _posts(bodies)
    # Words as typed, and pieces cut out of what was written (inside words, across them).
    body = data.draw(st.sampled_from(bodies))
    start = data.draw(st.integers(0, len(body)))
    cut = body[start : start + data.draw(st.integers(1, 8))]
    query = " ".join(f'"{word}"' for word in [*words, cut] if '"' not in word)
    terms = parse_query(query).terms
    with tempfile.TemporaryDirectory() as tmp:
        store = _stored(Path(tmp), ops)
        try:
            found = sorted(texts.matching(store.db, circle_id, terms))
        finally:
            store.close()
    assert found == sorted(matching(ops, terms)), (query, terms)


@PROPERTY_SETTINGS
@given(histories(), st.data())
def test_search_through_the_index_equals_todays_matching_on_random_circles(history, data):
    ops = history.sorted_ops()
    state = reducer.fold(history.circle_id, ops)
    written = [op.data.text for op in ops if op.type in texts.TEXT_OPS]
    words = {word for text in written for word in fold(text).split()} or {"why"}
    with tempfile.TemporaryDirectory() as tmp:
        store = _stored(Path(tmp), ops)
        try:
            for _ in range(3):
                query = data.draw(st.sampled_from(sorted(words)))
                if data.draw(st.booleans()):
                    query += " " + data.draw(st.sampled_from(FILTERS))
                viewer = data.draw(st.sampled_from([p.id for p in history.people]))
                parsed = parse_query(query)
                found = texts.matching(store.db, history.circle_id, parsed.terms)
                indexed = search(state, parsed, viewer, found)
                assert indexed == scan(state, ops, query, viewer), query
        finally:
            store.close()


def test_stored_ops_without_text_do_not_wake_the_indexer_and_the_next_text_indexes_past_them(
    tmp_path,
):
    """A live quiz's answers carry no text: each wake-up would be a write and a disk flush
    beside the answers' own. A post after them is indexed, and so the mark passes them."""
    circle_id, ops = _posts(["kalkulus"])
    post = ops[-1]
    store = Store(tmp_path / "replica.sqlite3")
    indexer = TextIndexer(store.path, circle_id)
    try:
        assert indexer.idle()
        asked = indexer._asked
        quiet = [op for op in ops if op.type not in texts.TEXT_OPS]
        store.add_ops(circle_id, quiet)
        indexer.wake(quiet)
        assert indexer._asked == asked  # not woken
        store.add_ops(circle_id, [op for op in ops if op not in quiet])
        indexer.wake([post])
        assert indexer._asked == asked + 1
        assert indexer.idle()
        assert texts.unindexed(store.db, circle_id) == 0
    finally:
        indexer.close()
        store.close()
