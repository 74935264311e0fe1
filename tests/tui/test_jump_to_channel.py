"""Jump to a channel by its number: the list shows 1-9 beside the first nine channels,
the key opens that channel's threads from anywhere on the main screen, ``?`` says so,
and a number with no channel (or focus mode) says why nothing opened."""

import pytest
from discussion_circle import build_story, make_app, open_as
from rich.console import Console

from studycircle_tui.tui.messages import Listing
from studycircle_tui.tui.screens.help import help_table
from studycircle_tui.tui.screens.main import MainScreen
from studycircle_tui.tui.widgets.channel_list import ChannelList
from studycircle_tui.tui.widgets.composer import Composer
from studycircle_tui.tui.widgets.row_list import RowList

SIZE = (100, 30)


@pytest.fixture
def citra(tmp_path):
    return open_as(build_story(tmp_path), "Citra", tmp_path)


def toasts(app) -> list[str]:
    return [str(notification.message) for notification in app._notifications]


async def test_a_number_opens_that_channel_from_the_open_thread(citra):
    state = citra.state
    general, questions, bahasa = (c for c in state.channel_order)
    async with make_app(citra).run_test(size=SIZE) as pilot:
        await pilot.pause()
        channels = pilot.app.screen.query_one(ChannelList)
        prompts = [str(channels.get_option_at_index(i).prompt) for i in range(3)]
        assert [p.split("\n")[0] for p in prompts][:1] == ["1 # general"]
        assert prompts[1].startswith("2 # questions") and prompts[2].startswith("3 # bahasa")
        pilot.app.screen.open_thread(next(iter(state.channels[general].thread_ids)))
        await pilot.pause()
        await pilot.press("3")
        await pilot.pause()
        screen = pilot.app.screen
        assert (screen.channel_id, screen.view, screen.pane) == (bahasa, Listing.CHANNEL, "threads")
        assert screen.query_one("#threads-pane RowList", RowList).has_focus
        assert channels.highlighted == 2
        await pilot.press("2")
        await pilot.pause()
        assert screen.channel_id == questions
        screen.open_thread(next(iter(state.channels[general].thread_ids)))
        await pilot.press("r", "3")  # typed into a reply, a number is a number
        await pilot.pause()
        assert screen.query_one(Composer).text == "3" and screen.channel_id == general


async def test_a_number_with_no_channel_says_so(citra):
    async with make_app(citra).run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        channel = pilot.app.screen.channel_id
        await pilot.press("7")
        await pilot.pause()
        assert "Not done: there is no channel 7 (the list has 3)" in toasts(pilot.app)
        assert pilot.app.screen.channel_id == channel


async def test_in_focus_mode_a_number_says_why_it_does_not_jump(citra):
    async with make_app(citra).run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        screen = pilot.app.screen
        screen.enter_focus(25)
        channel = screen.channel_id
        await pilot.press("2")
        await pilot.pause()
        assert screen.channel_id == channel
        assert any("focus mode shows only this channel" in said for said in toasts(pilot.app))


def test_help_lists_the_channel_numbers_in_one_row():
    console = Console(width=100, record=True)
    console.print(help_table(MainScreen.KEY_SCOPES))
    lines = [" ".join(line.split()) for line in console.export_text().splitlines()]
    assert "1-9 Open the channel with that number in the list." in lines
    assert not any("Open channel 1 of the list" in line for line in lines)
