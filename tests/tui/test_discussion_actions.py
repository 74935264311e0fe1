"""Every discussion action driven by its key, as a member would, asserting on the circle's
state afterwards (and that a role's actions stay out of reach of those without it)."""

import pytest
from discussion_circle import NOW_MS, build_story, make_app, open_as, text_of
from textual.widgets import Input, Static
from toasts import toasts

from studycircle_tui.tui.screens.dialogs import ConfirmScreen, FlagScreen, ReactScreen
from studycircle_tui.tui.screens.new_thread import NewThreadScreen
from studycircle_tui.tui.timefmt import absolute
from studycircle_tui.tui.widgets.composer import Composer
from studycircle_tui.tui.widgets.row_list import RowList
from studycircle_tui.tui.widgets.thread_view import ThreadView

SIZE = (120, 36)


@pytest.fixture
def story(tmp_path):
    return build_story(tmp_path)


@pytest.fixture
def as_(story, tmp_path):
    return lambda name: open_as(story, name, tmp_path)


async def open_thread(pilot, thread_id: str, select: int | None = None) -> ThreadView:
    screen = pilot.app.screen
    screen.open_thread(thread_id)
    await settled(pilot)
    view = screen.query_one(ThreadView)
    if select is not None:
        await pilot.press("g", *["j"] * select)
        await settled(pilot)
        assert view.selected == select
    return view


async def settled(pilot) -> None:
    """Wait until what the keys asked for is on disk (or refused), then redraw."""
    await pilot.pause()  # the keys are handled: what they ask for is under way
    await pilot.app.intents.settled()  # (the pacer worker runs for good)
    await pilot.pause()


async def write(pilot, text: str) -> None:
    """Type into the focused composer and send with ctrl+s."""
    composer = pilot.app.screen.query_one(Composer)
    assert composer.has_focus
    await pilot.press(*text)
    await pilot.press("ctrl+s")
    await settled(pilot)


async def test_new_question_then_a_reply(as_, story):
    citra = as_("Citra")
    async with make_app(citra).run_test(size=SIZE) as pilot:
        await settled(pilot)
        await pilot.press("down", "enter")  # #questions
        await pilot.press("t")
        await settled(pilot)
        assert isinstance(pilot.app.screen, NewThreadScreen)
        await pilot.press(*"Chain rule?")
        pilot.app.screen.query_one("#question").value = True
        pilot.app.screen.query_one("#text").focus()
        await pilot.press(*"When do I use it?", "ctrl+s")
        await settled(pilot)
        thread_id = pilot.app.main_screen.thread_id
        await pilot.press("r")
        await write(pilot, "Answering myself: for composed functions.")
    thread = citra.state.threads[thread_id]
    assert (thread.title, thread.kind, thread.channel_id) == (
        "Chain rule?",
        "question",
        story.ids["questions"],
    )
    replies = [citra.state.posts[p] for p in thread.post_ids[1:]]
    assert [(p.author, text_of(citra, p.text_op), p.reply_to) for p in replies] == [
        (citra.me, "Answering myself: for composed functions.", None)
    ]


async def test_reply_to_a_particular_post_shows_what_it_answers(as_, story):
    citra = as_("Citra")
    async with make_app(citra).run_test(size=SIZE) as pilot:
        await settled(pilot)
        await open_thread(pilot, story.ids["derivative"], select=1)
        await pilot.press("R")
        context = str(pilot.app.screen.query_one("#composer-context").render())
        assert "Replying to Dewi" in context
        await write(pilot, "Thanks, that helps")
        view = pilot.app.screen.query_one(ThreadView)
        post = citra.state.posts[citra.state.threads[story.ids["derivative"]].post_ids[-1]]
        assert view.selected_post is post  # the new post is where the view went
        lines = [view.render_line(y).text for y in range(view.size.height)]
    assert (text_of(citra, post.text_op), post.reply_to) == (
        "Thanks, that helps",
        story.ids["answer"],
    )
    assert any("↩ Dewi: Use the limit definition" in line for line in lines)


async def test_edit_own_post_keeps_its_history(as_, story):
    dewi = as_("Dewi")
    post_id = story.ids["edited"]
    async with make_app(dewi).run_test(size=SIZE) as pilot:
        await settled(pilot)
        view = await open_thread(pilot, story.ids["belajar"])
        assert view.selected_post.id == post_id  # a thread opens at its last post
        await pilot.press("e")
        composer = pilot.app.screen.query_one(Composer)
        assert composer.text == "Saya ikut, tapi datang jam 10."
        composer.select_all()
        await write(pilot, "Saya ikut jam 11.")
        assert composer.text == ""  # the thread's draft is back, and it was empty
    post = dewi.state.posts[post_id]
    assert text_of(dewi, post.text_op) == "Saya ikut jam 11."
    history = [text_of(dewi, op_id) for op_id in post.history]
    assert history == ["Saya ikut, tapi terlambat.", "Saya ikut, tapi datang jam 10."]
    assert post.edited_ms


async def test_post_info_says_when_and_how_often_it_was_edited(as_, story):
    citra = as_("Citra")
    post = citra.state.posts[story.ids["edited"]]
    async with make_app(citra).run_test(size=SIZE) as pilot:
        await settled(pilot)
        view = await open_thread(pilot, story.ids["belajar"])
        await pilot.press("G")  # the last post: Dewi's, edited once
        assert view.selected_post.id == post.id
        await pilot.press("i")
        await settled(pilot)
        info = str(pilot.app.screen.query_one("#info", Static).render())
    when = absolute(post.created_ms, citra.now_ms())
    assert info.startswith(f"By Dewi, {when}\n")  # not "Thu ago at 01:17"
    assert "Edited once; earlier versions, oldest first:" in info


async def test_delete_own_post_leaves_a_tombstone(as_, story):
    dewi = as_("Dewi")
    post_id = story.ids["edited"]
    async with make_app(dewi).run_test(size=SIZE, notifications=True) as pilot:
        await settled(pilot)
        view = await open_thread(pilot, story.ids["belajar"])
        await pilot.press("d")
        await settled(pilot)
        assert isinstance(pilot.app.screen, ConfirmScreen)
        await pilot.press("y")
        await settled(pilot)
        lines = [view.render_line(y).text for y in range(view.size.height)]
        assert dewi.state.posts[post_id].deleted
        assert any("[deleted by its author]" in line for line in lines)
        # Someone else's post: the key says why it does nothing there.
        await pilot.press("k", "d")
        await settled(pilot)
        assert not isinstance(pilot.app.screen, ConfirmScreen)
        messages = toasts(pilot.app)
    assert any("Only its author can delete a post." in m for m in messages)
    budi_post = dewi.state.threads[story.ids["belajar"]].post_ids[1]
    assert not dewi.state.posts[budi_post].deleted


async def test_react_and_take_it_back(as_, story):
    citra = as_("Citra")
    answer = story.ids["answer"]
    async with make_app(citra).run_test(size=SIZE) as pilot:
        await settled(pilot)
        await open_thread(pilot, story.ids["derivative"], select=1)
        await pilot.press("plus")
        await settled(pilot)
        assert isinstance(pilot.app.screen, ReactScreen)
        await pilot.press("1")
        await settled(pilot)
        assert citra.me in citra.state.posts[answer].reactions["+1"]
        await pilot.press("plus", "2")  # helpful was Citra's already: taken back
        await settled(pilot)
    reactions = citra.state.posts[answer].reactions
    assert citra.me in reactions["+1"] and "helpful" not in reactions


async def test_react_with_a_reaction_v3_added(as_, story):
    citra = as_("Citra")
    answer = story.ids["answer"]
    async with make_app(citra).run_test(size=SIZE) as pilot:
        await settled(pilot)
        view = await open_thread(pilot, story.ids["derivative"], select=1)
        await pilot.press("plus")
        await settled(pilot)
        assert isinstance(pilot.app.screen, ReactScreen)
        await pilot.press("4")  # 🙋 same question
        await settled(pilot)
        assert citra.me in citra.state.posts[answer].reactions["question"]
        lines = [view.render_line(y).text for y in range(view.size.height)]
        assert any("🙋 same question 1" in line for line in lines)
    given = [op for op in citra.circle.replica.ops() if op.type == "post.react"]
    # Written as v3, so an app from before these reactions says it needs a newer one.
    assert given[-1].data.reaction == "question" and given[-1].v == 3


async def test_the_asker_accepts_another_answer(as_, story):
    citra = as_("Citra")
    async with make_app(citra).run_test(size=SIZE) as pilot:
        await settled(pilot)
        await open_thread(pilot, story.ids["derivative"], select=2)
        await pilot.press("a")
        await settled(pilot)
    thread = citra.state.threads[story.ids["derivative"]]
    assert thread.accepted_post == story.ids["second_answer"]
    assert not citra.state.posts[story.ids["answer"]].accepted


async def test_a_moderator_verifies_an_answer(as_, story):
    budi = as_("Budi")
    async with make_app(budi).run_test(size=SIZE) as pilot:
        await settled(pilot)
        await open_thread(pilot, story.ids["derivative"], select=2)
        await pilot.press("v")
        await settled(pilot)
    assert budi.state.posts[story.ids["second_answer"]].verified_by == budi.me
    assert story.ids["second_answer"] in budi.state.threads[story.ids["derivative"]].verified_posts


async def test_a_member_cannot_verify_or_hide(as_, story):
    citra = as_("Citra")
    target = story.ids["second_answer"]
    async with make_app(citra).run_test(size=SIZE, notifications=True) as pilot:
        await settled(pilot)
        await open_thread(pilot, story.ids["derivative"], select=2)
        screen = pilot.app.screen
        pane = screen.thread_pane
        # Neither key is offered (nor shown in the footer)...
        assert pane.check_action("verify", ()) is False
        assert pane.check_action("hide", ()) is False
        assert pane.check_action("flag", ()) is True  # (what a member may do is)
        shown = {b.binding.action for b in screen.active_bindings.values() if b.enabled}
        assert "flag" in shown and not {"verify", "hide"} & shown
        await pilot.press("v", "x")
        await settled(pilot)
        # ...and asked for another way, the circle refuses and says why.
        pane.action_verify()
        pane.action_hide()
        await settled(pilot)
        messages = toasts(pilot.app)
    post = citra.state.posts[target]
    assert post.verified_by is None and not post.hidden
    assert any("only a moderator or the lead may do this" in m for m in messages)


async def test_flag_a_post(as_, story):
    citra = as_("Citra")
    async with make_app(citra).run_test(size=SIZE) as pilot:
        await settled(pilot)
        await open_thread(pilot, story.ids["welcome"], select=1)
        await pilot.press("f")
        await settled(pilot)
        assert isinstance(pilot.app.screen, FlagScreen)
        await pilot.press("down", "enter")  # the second reason: off-topic
        await settled(pilot)
    budi_post = citra.state.threads[story.ids["welcome"]].post_ids[1]
    flags = citra.state.posts[budi_post].flags
    assert [(f.by, f.reason) for f in flags] == [(citra.me, "off-topic")]


async def test_a_moderator_hides_and_unhides(as_, story):
    budi = as_("Budi")
    async with make_app(budi).run_test(size=SIZE) as pilot:
        await settled(pilot)
        await open_thread(pilot, story.ids["welcome"], select=2)
        await pilot.press("x")
        await settled(pilot)
        await pilot.press(*"spam", "enter")
        await settled(pilot)
        mention = budi.state.posts[story.ids["mention"]]
        assert (mention.hidden, mention.hidden_by, mention.hide_reason) == (True, budi.me, "spam")
        await pilot.press("x")  # a hidden post: the same key shows it again
        await settled(pilot)
    assert not budi.state.posts[story.ids["mention"]].hidden


async def test_next_unread_walks_every_unread_thread_across_channels(as_, story):
    citra = as_("Citra")
    state = citra.state
    unread = {t for t in state.threads if state.unread_in_thread(citra.me, t)}
    assert len(unread) >= 3
    opened = []
    async with make_app(citra).run_test(size=SIZE, notifications=True) as pilot:
        await settled(pilot)
        for _ in unread:
            await pilot.press("n")
            await settled(pilot)
            opened.append(pilot.app.screen.thread_id)
            assert pilot.app.screen.pane == "thread"
        await pilot.press("n")
        await settled(pilot)
        messages = toasts(pilot.app)
    assert set(opened) == unread
    assert not any(state.unread_in_thread(citra.me, t) for t in state.threads)
    assert any("caught up" in m for m in messages)


async def test_search_opens_the_thread_at_the_post(as_, story):
    citra = as_("Citra")
    async with make_app(citra).run_test(size=SIZE) as pilot:
        await settled(pilot)
        await pilot.press("slash")
        await pilot.press(*"pergi in:bahasa")  # Bahasa affixes: "bepergian"
        await pilot.press("enter")
        await settled(pilot)
        rows = pilot.app.screen.query_one(RowList)
        assert rows.rows == [story.ids["belajar"]]
        await pilot.press("enter")
        await settled(pilot)
        screen = pilot.app.screen
        assert screen.thread_id == story.ids["belajar"]
        assert screen.query_one(ThreadView).selected_post.id == story.ids["belajar"]
        # Accents fold: "cafe" finds Budi's "Café".
        await pilot.press("slash")
        search = screen.query_one("#search", Input)
        search.value = "cafe"
        await pilot.press("enter", "enter")
        await settled(pilot)
        selected = screen.query_one(ThreadView).selected_post
    assert "Café" in text_of(citra, selected.text_op)


async def test_a_search_that_finds_nothing_is_typed_over(as_, story):
    citra = as_("Citra")
    async with make_app(citra).run_test(size=SIZE) as pilot:
        await settled(pilot)
        await pilot.press("slash", *"xyzzy", "enter")
        await settled(pilot)
        search = pilot.app.screen.query_one("#search", Input)
        assert search.has_focus and not pilot.app.screen.query_one(RowList).rows
        await pilot.press(*"pergi", "enter")
        await settled(pilot)
        assert search.value == "pergi"  # not "xyzzypergi"
        assert pilot.app.screen.query_one(RowList).rows == [story.ids["belajar"]]


async def test_mentions_are_gathered_and_ring_the_bell(as_, story, tmp_path):
    citra = as_("Citra")
    ana = as_("Ana")
    async with make_app(citra).run_test(size=SIZE) as pilot:
        await settled(pilot)
        await pilot.press("at")
        await settled(pilot)
        screen = pilot.app.screen
        assert screen.query_one(RowList).rows == [story.ids["mention"]]
        assert screen.mention_bells == 0
        # Ana mentions Citra again; it reaches Citra through the shared file.
        post = ana.submit("post.create", {"thread": story.ids["belajar"], "text": "@citra ya!"})
        await ana.sync_once()
        await citra.sync_once()
        await settled(pilot)
        assert screen.mention_bells == 1
        assert screen.query_one(RowList).rows == [post.id, story.ids["mention"]]
        await pilot.press("g", "enter")  # the newest is first
        await settled(pilot)
        assert screen.query_one(ThreadView).selected_post.id == post.id


async def test_unanswered_lists_open_questions_oldest_first(as_, story):
    ana = as_("Ana")
    later = ana.submit(
        "thread.create",
        {"channel": story.ids["questions"], "title": "Why?", "kind": "question", "text": "?"},
    )
    async with make_app(ana).run_test(size=SIZE) as pilot:
        await settled(pilot)
        await pilot.press("u")
        await settled(pilot)
        rows = pilot.app.screen.query_one(RowList).rows
    assert rows == [story.ids["limit"], later.id]


async def test_the_draft_survives_a_restart(as_, story, tmp_path):
    citra = as_("Citra")
    async with make_app(citra).run_test(size=SIZE) as pilot:
        await settled(pilot)
        await open_thread(pilot, story.ids["limit"])
        await pilot.press("r", *"half a thought")
        await pilot.press("ctrl+q")
    assert citra.draft(story.ids["limit"]) == "half a thought"
    again = open_as(story, "Citra", tmp_path)
    async with make_app(again).run_test(size=SIZE) as pilot:
        await settled(pilot)
        await open_thread(pilot, story.ids["limit"])
        assert pilot.app.screen.query_one(Composer).text == "half a thought"


async def test_whoever_is_on_the_rota_today_is_offered_hide(as_, story):
    ana = as_("Ana")
    citra = as_("Citra")
    ana.submit(
        "moderator.rota",
        {"volunteers": [citra.me], "start": "2026-11-18", "period_days": 7, "tz": "UTC"},
    )
    await ana.sync_once()
    await citra.sync_once()
    async with make_app(citra).run_test(size=SIZE) as pilot:
        await settled(pilot)
        await open_thread(pilot, story.ids["welcome"], select=1)
        # The reducer lets her hide today, so the footer offers it (her role says member).
        assert citra.state.role_of(citra.me) == "member"
        assert pilot.app.screen.thread_pane.check_action("hide", ()) is True
        await pilot.press("x")
        await settled(pilot)
        await pilot.press(*"off-topic", "enter")
        await settled(pilot)
    budi_post = citra.state.threads[story.ids["welcome"]].post_ids[1]
    assert citra.state.posts[budi_post].hidden_by == citra.me


@pytest.mark.parametrize(("who", "sees"), [("Citra", False), ("Budi", True)])
async def test_post_info_shows_a_hidden_posts_versions_only_to_moderators(as_, story, who, sees):
    """The hidden off-topic post, edited by its author: its info lists earlier versions,
    which a member who is not a moderator (nor its author) must not read there either."""
    viewer = as_(who)
    offtopic, dewi = story.ids["offtopic"], story.members["Dewi"]
    edit = viewer.replica.make(
        dewi, "post.edit", {"post": offtopic, "text": "Selling a bike, cheap."}, NOW_MS, b"e" * 10
    )
    assert viewer.replica.add([edit]).applied
    thread = viewer.state.threads[story.ids["welcome"]]
    async with make_app(viewer).run_test(size=SIZE) as pilot:
        await open_thread(pilot, thread.id, select=thread.post_ids.index(offtopic))
        await pilot.press("i")
        await pilot.pause()
        shown = "\n".join(str(widget.render()) for widget in pilot.app.screen.query(Static))
    assert ("bike" in shown) == sees, shown
    assert ("Hidden by a moderator." in shown) != sees
