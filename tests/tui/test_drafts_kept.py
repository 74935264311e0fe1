"""Nothing typed is ever lost: a refused thread keeps its dialog and its text, the
composer counts down to its limit, a post written before accepting the rules is sent
once they are accepted, and what is pasted is cleaned of terminal control characters."""

import pytest
from discussion_circle import build_story, make_app, open_as, text_of
from textual import events
from textual.widgets import Input, Label

from circles import as_member, fixed_demo_service
from studycircle_tui.tui.app import StudyCircleApp
from studycircle_tui.tui.screens.new_thread import NewThreadScreen
from studycircle_tui.tui.screens.rules import RulesScreen
from studycircle_tui.tui.widgets.composer import Composer, PostArea, clean_pasted

PASTED = "Bukti panjang: " + "x" * 90_000  # a 90 KB paste


@pytest.fixture
def story(tmp_path):
    return build_story(tmp_path)


async def settle(pilot) -> None:
    await pilot.app.intents.settled()
    await pilot.pause()


async def write_thread(pilot, title: str, text: str) -> NewThreadScreen:
    await pilot.press("t")
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, NewThreadScreen)
    screen.query_one("#title", Input).value = title
    screen.query_one("#text", PostArea).load_text(text)
    await pilot.pause()
    return screen


async def reply_box(pilot, thread_id: str) -> Composer:
    """The thread open, its composer focused (``r``)."""
    await pilot.pause()
    pilot.app.screen.open_thread(thread_id)
    await pilot.press("r")
    return pilot.app.screen.query_one(Composer)


async def test_a_refused_thread_keeps_its_dialog_and_its_text(story, tmp_path):
    citra = open_as(story, "Citra", tmp_path)
    threads_before = len(citra.state.threads)
    async with make_app(citra).run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = await write_thread(pilot, "Catatan lengkap", PASTED)
        assert screen.query_one("#text", PostArea).border_subtitle == (
            "70,015 over the 20,000-character limit"
        )
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is screen  # still open
        assert screen.query_one("#text", PostArea).text == PASTED
        assert screen.query_one("#title", Input).value == "Catatan lengkap"
        said = str(screen.query_one("#error", Label).render())
    assert said == "Not done: the post is longer than 20,000 characters"
    assert len(citra.state.threads) == threads_before


async def test_the_composer_counts_down_near_its_limit(story, tmp_path):
    citra = open_as(story, "Citra", tmp_path)
    async with make_app(citra).run_test(size=(100, 30)) as pilot:
        composer = await reply_box(pilot, story.ids["limit"])
        composer.load_text("short")
        await pilot.pause()
        assert composer.border_subtitle == ""  # far from it: nothing said
        composer.load_text("y" * 18_765)
        await pilot.pause()
        assert composer.border_subtitle == "1,235 characters left"
        await pilot.press("y")
        await pilot.pause()
        assert composer.border_subtitle == "1,234 characters left"


@pytest.fixture
def sam(tmp_path):
    """A member of the demo circle who has not accepted its rules yet."""
    import asyncio

    member = as_member(fixed_demo_service(tmp_path), "Sam")
    asyncio.run(member.sync_once())
    return member


async def test_a_thread_written_before_accepting_the_rules_is_sent_on_accepting(sam):
    threads_before = len(sam.state.threads)
    async with StudyCircleApp(sam, sync=False).run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(pilot.app.screen, RulesScreen)
        await pilot.press("escape")  # later
        await pilot.pause()
        dialog = await write_thread(pilot, "Halo semua", "Saya Sam, baru bergabung 👋")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(pilot.app.screen, RulesScreen)  # the rules first
        await pilot.press("a")
        await settle(pilot)
        await settle(pilot)
        assert not dialog.is_attached  # sent, and closed
    assert len(sam.state.threads) == threads_before + 1
    newest = max(sam.state.threads.values(), key=lambda thread: thread.id)
    assert newest.title == "Halo semua"
    assert text_of(sam, sam.state.posts[newest.id].text_op) == "Saya Sam, baru bergabung 👋"


async def test_control_characters_are_cleaned_from_a_paste(story, tmp_path):
    citra = open_as(story, "Citra", tmp_path)
    async with make_app(citra).run_test(size=(100, 30)) as pilot:
        composer = await reply_box(pilot, story.ids["limit"])
        composer.post_message(events.Paste("merah: \x1b[31mred\x1b[0m\r\nbaris\x07 dua\tok"))
        await pilot.pause()
        assert composer.text == "merah: red\nbaris dua\tok"


def test_clean_pasted_keeps_words_accents_and_emoji():
    assert clean_pasted("Café ☕ — naïve 📚\n\tok") == "Café ☕ — naïve 📚\n\tok"
    assert clean_pasted("\x1b]0;title\x07after") == "after"


def test_a_refused_post_with_its_draft_kept_snapshot(snap_compare, story, tmp_path):
    citra = open_as(story, "Citra", tmp_path)

    async def refuse(pilot):
        await pilot.pause()
        screen = await write_thread(pilot, "Catatan lengkap", "Ringkasan bab 3 📚\n" + PASTED)
        await pilot.press("ctrl+s")
        await settle(pilot)
        screen.query_one("#title", Input).cursor_blink = False
        screen.query_one("#text", PostArea).cursor_blink = False
        await pilot.pause()

    assert snap_compare(make_app(citra), terminal_size=(80, 24), run_before=refuse)
