"""Search and mentions over a circle's state (core/search.py) and the discussion queries
(core/discussion.py): folding, filters, who may see what, and staying current op by op."""

import pytest

from studycircle_tui.core import discussion, reducer
from studycircle_tui.core.search import (
    CHUNK_SIZE,
    CircleIndex,
    fold,
    highlight_spans,
    mention_tokens,
    parse_query,
)
from test_reducer import Circle


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Café", "cafe"),
        ("STRASSE Straße", "strasse strasse"),
        ("ＰＹＴＨＯＮ", "python"),  # full-width letters
        ("naïve résumé", "naive resume"),
        ("❤️ and ❤", "❤ and ❤"),  # the emoji presentation selector is dropped
        ("İstanbul", "istanbul"),
        ("a\x00b", "a b"),  # the chunk separator never survives folding
    ],
)
def test_fold(text, folded):
    assert fold(text) == folded


def test_parse_query_filters_phrases_and_problems():
    query = parse_query('Author:Ayu in:#general is:question "default list" x is:later')
    assert query.authors == ["ayu"]
    assert query.channels == ["general"]
    assert query.kinds == {"question"}
    assert query.terms == ["default list", "x"]
    assert query.problems and "is:later" in query.problems[0]
    assert parse_query("http://example.org 12:30").terms == ["http://example.org", "12:30"]
    assert parse_query("   ").empty


def test_highlight_spans_point_into_the_original_text():
    text = "Un café, deux CAFÉS"
    assert [text[a:b] for a, b in highlight_spans(text, ["cafe"])] == ["café", "CAFÉ"]


@pytest.fixture
def circle():
    c = Circle()
    c.mod, c.ana, c.budi = c.person(), c.person(), c.person()
    for who, name in ((c.mod, "Mo"), (c.ana, "Ayu Lestari"), (c.budi, "Budi")):
        c.do(who, "member.join", name=name)
    c.do(c.lead, "member.role", member=c.mod, role="moderator")
    c.general = c.do(c.lead, "channel.create", name="general")
    c.bahasa = c.do(c.lead, "channel.create", name="bahasa")
    c.q = c.do(c.ana, "thread.create", channel=c.general, kind="question",
               title="Default arguments?", text="Why does my default list grow?")  # fmt: skip
    c.answer = c.do(c.budi, "post.create", thread=c.q, text="Defaults are made once, @ayu.")
    c.chat = c.do(c.budi, "thread.create", channel=c.bahasa, kind="discussion",
                  title="Belajar", text="Kita bepergian ke perpustakaan 📚")  # fmt: skip
    c.rude = c.do(c.budi, "post.create", thread=c.chat, text="secret rude words")
    c.do(c.mod, "post.hide", post=c.rude, reason="unkind")
    return c


def ids(result):
    return [hit.post_id for hit in result.hits]


def test_search_matches_inside_words_and_filters(circle):
    index = CircleIndex(circle.state)
    me = circle.lead
    assert ids(index.search("pergi", me)) == [circle.chat]  # Bahasa affix: bepergian
    assert ids(index.search("📚", me)) == [circle.chat]
    assert ids(index.search("DEFAULT", me)) == [circle.answer, circle.q]  # newest first
    assert ids(index.search("default author:budi", me)) == [circle.answer]
    assert ids(index.search("default author:me", me)) == []
    assert ids(index.search("in:bahasa", me)) == [circle.rude, circle.chat]
    assert ids(index.search("is:unanswered", me)) == [circle.answer, circle.q]
    assert ids(index.search("arguments", me)) == [circle.q]  # the title is searched too
    assert ids(index.search("nothing-like-this", me)) == []
    assert ids(index.search("in:nowhere default", me)) == []


def test_hidden_posts_are_found_only_by_their_author_and_moderators(circle):
    index = CircleIndex(circle.state)
    assert ids(index.search("rude", circle.ana)) == []
    assert ids(index.search("rude", circle.budi)) == [circle.rude]
    assert ids(index.search("rude", circle.mod)) == [circle.rude]


def test_the_index_follows_new_posts_edits_and_refolds(circle):
    index = CircleIndex(circle.state)
    assert not ids(index.search("limit", circle.lead))
    op = circle.make(circle.ana, "post.create", thread=circle.q, text="What about a limit?")
    assert reducer.apply(circle.state, op)
    index.update(circle.state, [op])
    assert ids(index.search("limit", circle.lead)) == [op.id]
    edit = circle.make(circle.ana, "post.edit", post=op.id, text="Never mind")
    assert reducer.apply(circle.state, edit)
    index.update(circle.state, [edit])
    assert ids(index.search("limit", circle.lead)) == []
    assert ids(index.search("never mind", circle.lead)) == [op.id]
    # A refold hands over a new state object: the index starts again from it.
    fresh = reducer.fold(circle.id, [])
    index.update(fresh, [])
    assert index.state is fresh and ids(index.search("never", circle.lead)) == []


def test_many_posts_span_chunks_and_stop_at_the_limit(circle):
    index = CircleIndex(circle.state)
    index.build()
    made = []
    for number in range(CHUNK_SIZE + 10):
        op = circle.make(circle.budi, "post.create", thread=circle.chat, text=f"note {number}")
        assert reducer.apply(circle.state, op)
        made.append(op)
    index.update(circle.state, made)
    result = index.search("note", circle.lead, limit=50)
    assert result.more and ids(result) == [op.id for op in reversed(made[-50:])]
    assert ids(index.search(f"note {CHUNK_SIZE + 9}", circle.lead)) == [made[-1].id]


def test_mentions(circle):
    assert mention_tokens("hi @Ayu, and @budi.") == {"ayu", "budi"}
    assert mention_tokens("mail me at a@b.org") == set()
    index = CircleIndex(circle.state)
    # "Ayu Lestari" answers to @ayu and @AyuLestari; her own posts are not her mentions.
    assert index.mentions_of(circle.ana) == [circle.answer]
    assert index.mentions_of(circle.budi) == []


def test_a_deleted_post_leaves_mentions_and_a_title_mention_is_listed(circle):
    index = CircleIndex(circle.state)

    def do(actor: str, type_name: str, **data: object) -> str:
        op = circle.make(actor, type_name, **data)
        assert reducer.apply(circle.state, op)
        index.update(circle.state, [op])
        return op.id

    asked = do(circle.budi, "thread.create", channel=circle.general, kind="question",
               title="@Ayu can you check my loop?", text="It never ends.")  # fmt: skip
    assert index.mentions_of(circle.ana) == [asked, circle.answer]
    do(circle.budi, "post.delete", post=circle.answer)
    assert index.mentions_of(circle.ana) == [asked]


def test_discussion_queries(circle):
    state = circle.state
    assert discussion.unanswered(state) == [circle.q]
    circle.do(circle.ana, "answer.accept", post=circle.answer)
    assert discussion.unanswered(state) == []
    assert discussion.threads_by_activity(state, circle.bahasa) == [circle.chat]
    lead = circle.lead
    assert discussion.next_unread(state, lead, circle.general, None) == (circle.general, circle.q)
    circle.do(lead, "read.mark", thread=circle.q, post=circle.answer)
    assert discussion.next_unread(state, lead, circle.general, None) == (circle.bahasa, circle.chat)
    circle.do(lead, "read.mark", thread=circle.chat, post=circle.rude)
    assert discussion.next_unread(state, lead, circle.general, None) is None
