"""What arrived while you were focused elsewhere."""

from circles import Circle
from studycircle_tui.core.digest import arrivals_since


def test_arrivals_count_others_posts_since_the_moment_with_mentions_first():
    circle = Circle("2026-11-20T10:00:00+00:00")
    ayu, budi = circle.member("Ayu"), circle.member("Budi")
    general = circle.do(circle.lead, "channel.create", name="general").id
    old = circle.do(
        ayu, "thread.create", channel=general, title="old", kind="discussion", text="before"
    ).id
    circle.at("2026-11-20T12:00:00+00:00")
    since = circle.clock
    circle.at("2026-11-20T12:05:00+00:00")
    circle.do(ayu, "post.create", thread=old, text="one")
    circle.do(budi, "post.create", thread=old, text="two")
    circle.do(ayu, "post.create", thread=old, text="Ayu again")
    new = circle.do(
        budi,
        "thread.create",
        channel=general,
        title="new",
        kind="question",
        text="@Lead can you look?",
    ).id
    mine = circle.do(circle.lead, "post.create", thread=new, text="on it")
    gone = circle.do(budi, "post.create", thread=new, text="oops").id
    circle.do(budi, "post.delete", post=gone)

    arrivals = arrivals_since(circle.state, circle.lead, since)
    assert [(a.thread_id, a.posts, a.mentions) for a in arrivals] == [(new, 1, 1), (old, 3, 0)]
    assert mine.id not in {a.thread_id for a in arrivals}
    assert arrivals_since(circle.state, circle.lead, circle.clock + 1) == []
