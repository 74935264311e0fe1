"""A UI action the core refuses shows the core's reason, in the member's words, through the
one presenter (``intents.say_no``), and keeps what the member typed."""

import pytest
from discussion_circle import build_story, make_app, open_as
from textual.widgets import OptionList
from toasts import toasts

from studycircle_tui import i18n
from studycircle_tui.core import permissions
from studycircle_tui.tui.screens.members import MembersScreen
from studycircle_tui.tui.widgets.composer import Composer
from studycircle_tui.tui.widgets.thread_view import ThreadView

SIZE = (100, 30)


@pytest.fixture
def story(tmp_path):
    return build_story(tmp_path)


async def settle(pilot) -> None:
    """Wait until what the keys asked for is done (written, or refused), then redraw."""
    await pilot.app.intents.settled()
    await pilot.pause()


async def test_a_post_too_long_is_refused_in_words_and_the_draft_stays(story, tmp_path):
    citra = open_as(story, "Citra", tmp_path)
    thread = story.ids["limit"]
    pasted = "Bukti panjang: " + "x" * 20_000
    async with make_app(citra).run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        pilot.app.screen.open_thread(thread)
        await pilot.press("r")
        composer = pilot.app.screen.query_one(Composer)
        composer.load_text(pasted)
        await pilot.press("ctrl+s")
        await settle(pilot)
        said = toasts(pilot.app)
        assert composer.text == pasted  # nothing typed is lost
        assert composer.has_focus
    assert "Not done: the post is longer than 20,000 characters" in said
    assert not any("$." in text or "Expected" in text for text in said)
    assert len(citra.state.threads[thread].post_ids) == 1  # nothing was stored


@pytest.mark.parametrize("code", ["en", "id"])
async def test_a_rule_refusal_says_the_reducers_own_sentence(story, tmp_path, code):
    """In the member's language: the presenter translates the core's marked sentence
    and its heading (``--lang id`` or ssh-serve sets the language for the app)."""
    citra = open_as(story, "Citra", tmp_path)
    answer = story.ids["second_answer"]
    with i18n.speaking(code):
        async with make_app(citra).run_test(size=SIZE, notifications=True) as pilot:
            await pilot.pause()
            screen = pilot.app.screen
            screen.open_thread(story.ids["derivative"])
            await pilot.press("g", "j", "j")
            assert screen.query_one(ThreadView).selected_post.id == answer
            screen.thread_pane.action_verify()  # not offered to a member: asked another way
            await settle(pilot)
            said = toasts(pilot.app)
    reason = permissions.may(citra.state, citra.me, "answer.verify", 0, post=answer).reason
    language = i18n.language(code)
    assert reason and f"{language.gettext('Not done')}: {language.message(reason)}" in said
    if code == "id":
        assert "Tidak dilakukan: hanya moderator atau ketua yang boleh melakukan ini" in said
    assert citra.state.posts[answer].verified_by is None


async def test_a_refusal_in_a_form_shows_on_its_own_message_line(story, tmp_path):
    dewi = open_as(story, "Dewi", tmp_path)
    async with make_app(dewi).run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        await pilot.app.push_screen(MembersScreen(dewi))
        await pilot.pause()
        screen = pilot.app.screen
        screen.query_one("#members", OptionList).highlighted = 0
        screen.action_role("lead")  # asked for another way: the key is the lead's
        await settle(pilot)
        line = str(screen.query_one("#members-message").render())
        said = toasts(pilot.app)
    assert line == "Not done: only the circle's lead may do this"
    assert not any("lead may do this" in text for text in said)  # shown once, by the form
