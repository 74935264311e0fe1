"""Say no early, and say why: an action a member may not take is in no footer, and its
key pressed anyway says why at once (not silence, not a form filled in for nothing)."""

import pytest
from discussion_circle import build_story, make_app, open_as
from textual.widgets import Label, OptionList

from studycircle_tui.tui.screens.members import MembersScreen
from studycircle_tui.tui.widgets.thread_view import ThreadView

SIZE = (100, 30)


@pytest.fixture
def story(tmp_path):
    return build_story(tmp_path)


def toasts(app) -> list[str]:
    return [str(notification.message) for notification in app._notifications]


def offered(screen) -> set[str]:
    return {key for key, active in screen.active_bindings.items() if active.enabled}


async def open_thread(pilot, thread_id: str) -> None:
    await pilot.pause()
    pilot.app.screen.open_thread(thread_id)
    await pilot.pause()


async def test_a_on_someone_elses_question_says_only_the_asker_accepts(story, tmp_path):
    citra = open_as(story, "Citra", tmp_path)
    async with make_app(citra).run_test(size=SIZE, notifications=True) as pilot:
        await open_thread(pilot, story.ids["limit"])  # Dewi's question
        assert "a" not in offered(pilot.app.screen)
        await pilot.press("a")
        await pilot.pause()
        assert "Not done: only the asker may accept an answer" in toasts(pilot.app)


async def test_v_on_a_discussion_reply_says_it_is_for_question_threads(story, tmp_path):
    budi = open_as(story, "Budi", tmp_path)  # a moderator: v is his in questions
    async with make_app(budi).run_test(size=SIZE, notifications=True) as pilot:
        await open_thread(pilot, story.ids["welcome"])
        assert "v" not in offered(pilot.app.screen)
        await pilot.press("v")
        await pilot.pause()
        said = toasts(pilot.app)
    assert "Not done: only answers in a question thread can be accepted or verified" in said


async def test_the_lead_does_not_verify_her_own_answer(story, tmp_path):
    ana = open_as(story, "Ana", tmp_path)
    own = story.ids["second_answer"]
    async with make_app(ana).run_test(size=SIZE, notifications=True) as pilot:
        await open_thread(pilot, story.ids["derivative"])
        await pilot.press("g", "j", "j")
        assert pilot.app.screen.query_one(ThreadView).selected_post.id == own
        await pilot.press("v")
        await pilot.app.intents.settled()
        await pilot.pause()
        said = toasts(pilot.app)
    assert any("you cannot verify your own answer" in text for text in said)
    assert ana.state.posts[own].verified_by is None


async def test_a_member_pressing_C_is_told_before_any_form(story, tmp_path):
    citra = open_as(story, "Citra", tmp_path)
    async with make_app(citra).run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        screen = pilot.app.screen
        await pilot.press("C")
        await pilot.pause()
        assert pilot.app.screen is screen  # no form to fill in for nothing
        assert "Not done: only a moderator or the lead may do this" in toasts(pilot.app)


async def test_members_opens_on_the_list_and_l_by_a_member_says_why(story, tmp_path):
    dewi = open_as(story, "Dewi", tmp_path)
    async with make_app(dewi).run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        await pilot.press("m")
        await pilot.pause()
        screen = pilot.app.screen
        assert isinstance(screen, MembersScreen)
        assert isinstance(screen.focused, OptionList)  # the keys act on it at once
        assert "l" not in offered(screen)
        await pilot.press("l")
        await pilot.pause()
        line = str(screen.query_one("#members-message", Label).render())
    assert line == "Not done: only the circle's lead may do this"


async def test_the_lead_gives_a_role_from_members_without_tab(story, tmp_path):
    ana = open_as(story, "Ana", tmp_path)
    async with make_app(ana).run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        await pilot.press("m")
        await pilot.pause()
        listed = pilot.app.screen.query_one("#members", OptionList)
        listed.highlighted = [o.id for o in listed.options].index(story.members["Citra"])
        await pilot.press("m")  # make moderator, straight away
        await pilot.app.intents.settled()
    assert ana.state.members[story.members["Citra"]].role == "moderator"


async def test_mark_all_read_clears_every_channel(story, tmp_path):
    citra = open_as(story, "Citra", tmp_path)
    state = citra.state
    assert any(state.unread_in_channel(citra.me, channel) for channel in state.channels)
    async with make_app(citra).run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        await pilot.press("A")
        await pilot.app.intents.settled()
        await pilot.pause()
        said = toasts(pilot.app)
    assert not any(state.unread_in_channel(citra.me, channel) for channel in state.channels)
    assert any(text.startswith("Marked ") and text.endswith("threads read.") for text in said)
