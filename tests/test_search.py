"""Search and mentions over a circle's state (core/search.py) through the local store's
index (store/texts.py), and the discussion queries (core/discussion.py): folding,
filters, who may see what, edits and deletes."""

import pytest

from studycircle_tui.core import discussion
from studycircle_tui.core.folding import fold, mention_tokens
from studycircle_tui.core.search import highlight_spans, mentions_of, parse_query, search
from studycircle_tui.store import texts
from studycircle_tui.store.db import Store
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
        ("a\x00b", "a b"),  # the separator never survives folding
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


class Index:
    """The circle's ops in a real local store, its texts indexed (store/texts.py), searched
    with core's rules: what the app does, without the app."""

    def __init__(self, circle, folder) -> None:
        self.circle = circle
        self.store = Store(folder / "replica.sqlite3")

    def search(self, query: str, viewer: str, limit: int = 200):
        circle = self.circle
        self.store.add_ops(circle.id, [op for op in circle.made.values() if op.id != circle.id])
        while texts.index_since(self.store.db, circle.id):
            pass
        parsed = parse_query(query)
        found = texts.matching(self.store.db, circle.id, parsed.terms) if parsed.terms else None
        return search(circle.state, parsed, viewer, found, limit)


@pytest.fixture
def index(circle, tmp_path):
    return Index(circle, tmp_path)


def ids(result):
    return [hit.post_id for hit in result.hits]


def test_search_matches_inside_words_and_filters(circle, index):
    me = circle.lead
    assert ids(index.search("pergi", me)) == [circle.chat]  # Bahasa affix: bepergian
    assert ids(index.search("📚", me)) == [circle.chat]
    assert ids(index.search("DEFAULT", me)) == [circle.answer, circle.q]  # newest first
    assert ids(index.search("default author:budi", me)) == [circle.answer]
    assert ids(index.search("default author:me", me)) == []
    assert ids(index.search("in:bahasa", me)) == [circle.rude, circle.chat]
    assert ids(index.search("is:unanswered", me)) == [circle.answer, circle.q]
    assert ids(index.search("arguments", me)) == [circle.q]  # the title is searched too
    assert ids(index.search("arguments grow", me)) == [circle.q]  # title and text together
    assert ids(index.search("nothing-like-this", me)) == []
    assert ids(index.search("in:nowhere default", me)) == []


def test_short_terms_are_found_without_trigrams(circle, index):
    me = circle.lead
    assert ids(index.search("ke", me)) == [circle.chat]  # "ke perpustakaan"
    assert ids(index.search("📚 ke", me)) == [circle.chat]
    assert ids(index.search("ke default", me)) == []


def test_hidden_posts_are_found_only_by_their_author_and_moderators(circle, index):
    assert ids(index.search("rude", circle.ana)) == []
    assert ids(index.search("rude", circle.budi)) == [circle.rude]
    assert ids(index.search("rude", circle.mod)) == [circle.rude]


def test_edits_deletes_and_refused_edits(circle, index):
    assert not ids(index.search("limit", circle.lead))
    post = circle.do(circle.ana, "post.create", thread=circle.q, text="What about a limit?")
    assert ids(index.search("limit", circle.lead)) == [post]
    circle.do(circle.ana, "post.edit", post=post, text="Never mind")
    # The older text is still in the index, but is not what the post shows now.
    assert ids(index.search("limit", circle.lead)) == []
    assert ids(index.search("never mind", circle.lead)) == [post]
    # An edit by someone else is refused: its text never counts.
    circle.refused(circle.budi, "post.edit", post=post, text="budi was here")
    assert ids(index.search("budi was here", circle.lead)) == []
    circle.do(circle.ana, "post.delete", post=post)
    assert ids(index.search("never mind", circle.lead)) == []


def test_an_edited_opening_post_keeps_its_title_searchable(circle, index):
    circle.do(circle.ana, "post.edit", post=circle.q, text="Why do defaults stay?")
    assert ids(index.search("arguments stay", circle.lead)) == [circle.q]
    assert ids(index.search("grow", circle.lead)) == []


def test_many_posts_stop_at_the_limit(circle, index):
    made = [
        circle.do(circle.budi, "post.create", thread=circle.chat, text=f"note {number}")
        for number in range(1_034)
    ]
    result = index.search("note", circle.lead, limit=50)
    assert result.more and ids(result) == list(reversed(made[-50:]))
    assert ids(index.search("note 1033", circle.lead)) == [made[-1]]


def test_mentions(circle):
    assert mention_tokens("hi @Ayu, and @budi.") == ("ayu", "budi")
    assert mention_tokens("mail me at a@b.org") == ()
    # "Ayu Lestari" answers to @ayu and @AyuLestari; her own posts are not her mentions.
    assert mentions_of(circle.state, circle.ana) == [circle.answer]
    assert mentions_of(circle.state, circle.budi) == []
    circle.do(circle.budi, "post.edit", post=circle.answer, text="Defaults are made once.")
    assert mentions_of(circle.state, circle.ana) == []  # an edit took the mention out


def test_a_deleted_post_leaves_mentions_and_a_title_mention_is_listed(circle):
    asked = circle.do(circle.budi, "thread.create", channel=circle.general, kind="question",
                      title="@Ayu can you check my loop?", text="It never ends.")  # fmt: skip
    assert mentions_of(circle.state, circle.ana) == [asked, circle.answer]
    # An edit of the opening post keeps the title's mention.
    circle.do(circle.budi, "post.edit", post=asked, text="It still never ends.")
    assert mentions_of(circle.state, circle.ana) == [asked, circle.answer]
    circle.do(circle.budi, "post.delete", post=circle.answer)
    assert mentions_of(circle.state, circle.ana) == [asked]


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
