"""Focus where the hands are: the Schedule opens on its title field (what is typed goes
there, never to the hotkeys), the run-live dialog on its first choice, and enter after a
flag's comment flags the post."""

import pytest
from discussion_circle import build_story, make_app, open_as
from textual.widgets import Input, OptionList, RadioSet

from circles import fixed_demo_service
from studycircle_tui.tui.app import StudyCircleApp
from studycircle_tui.tui.screens.dialogs import FlagScreen
from studycircle_tui.tui.screens.quiz_dialogs import LiveSettingsScreen
from studycircle_tui.tui.screens.schedule import ScheduleScreen


@pytest.fixture
def lead(tmp_path):
    return fixed_demo_service(tmp_path)


async def test_typing_in_the_schedule_goes_to_its_title_not_the_hotkeys(
    lead, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)  # where an export (x) would land, were it pressed
    sessions_before = len(lead.state.schedule)
    async with StudyCircleApp(lead, sync=False).run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("s")
        await pilot.pause()
        screen = pilot.app.screen
        assert isinstance(screen, ScheduleScreen)
        await pilot.press(*"Baca dan diskusi: ax")
        await pilot.pause()
        assert screen.query_one("#title", Input).value == "Baca dan diskusi: ax"
        assert str(screen.query_one("#schedule-message").render()) == ""  # no export
    assert not list(tmp_path.glob("*.ics"))
    assert len(lead.state.schedule) == sessions_before


async def test_the_run_live_dialog_starts_on_its_first_choice(lead):
    async with StudyCircleApp(lead, sync=False).run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.app.push_screen(LiveSettingsScreen("Python basics", open_keys=False))
        await pilot.pause()
        dialog = pilot.app.screen
        assert isinstance(dialog.focused, RadioSet)
        await pilot.press("enter")  # an early enter picks a choice, opens nothing
        await pilot.pause()
        assert pilot.app.screen is dialog


@pytest.fixture
def story(tmp_path):
    return build_story(tmp_path)


async def test_enter_after_the_flag_comment_flags_the_post(story, tmp_path):
    citra = open_as(story, "Citra", tmp_path)
    answer = story.ids["answer"]
    async with make_app(citra).run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        pilot.app.screen.open_thread(story.ids["derivative"])
        await pilot.press("g", "j")
        await pilot.press("f")
        await pilot.pause()
        dialog = pilot.app.screen
        assert isinstance(dialog, FlagScreen)
        dialog.query_one("#reasons", OptionList).highlighted = 1  # off-topic
        dialog.query_one("#comment", Input).focus()
        await pilot.press(*"bukan di sini", "enter")
        await pilot.app.intents.settled()
        await pilot.pause()
        assert pilot.app.screen is not dialog
    flags = citra.state.posts[answer].flags
    assert any(flag.reason == "off-topic" and flag.comment == "bukan di sini" for flag in flags)
