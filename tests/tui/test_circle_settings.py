"""Setting a circle up from nothing in the app: the lead writes its goal and rules and
adds, renames and archives channels (circle settings, ``S``); members read the same
screen with nothing to change; ``t`` in a circle with no channel says what to do."""

import asyncio

import pytest
from textual.widgets import Input, OptionList, TextArea

from circles import fixed_demo_service, join_file_circle
from studycircle_tui.store.db import Store
from studycircle_tui.sync.circles import create_file_circle
from studycircle_tui.tui.app import StudyCircleApp
from studycircle_tui.tui.screens.circle_settings import CircleSettingsScreen

SIZE = (80, 24)


def toasts(app) -> list[str]:
    return [str(notification.message) for notification in app._notifications]


async def settle(pilot) -> None:
    await pilot.app.intents.settled()
    await pilot.pause()


@pytest.fixture
def lead(tmp_path):
    """Ana's new circle, made with no channel (the command makes #general; a lead may
    still archive every channel)."""
    store = Store(tmp_path / "Ana-replica.sqlite3")
    return create_file_circle(store, tmp_path / "circle.jsonl", "Biology 101", "Ana", ())


@pytest.fixture
def member(tmp_path, lead):
    """Budi, who joined the circle (its lead Ana has set it up a little)."""
    lead.submit("circle.update", {"goal": "Pass the final together.", "rules": "Be kind."})
    lead.submit("channel.create", {"name": "general"})
    asyncio.run(lead.sync_once())  # into the shared file
    budi = join_file_circle(tmp_path, "Budi")
    asyncio.run(budi.sync_once())
    return budi


@pytest.fixture
def newcomer(tmp_path, lead):
    """Citra, who joined before the lead set anything up."""
    return join_file_circle(tmp_path, "Citra")


async def test_a_new_lead_sets_up_goal_rules_and_channels(lead):
    app = StudyCircleApp(lead, sync=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        await pilot.press("t")  # no channel yet: said, not silence
        await pilot.pause()
        assert any("no channel yet" in said and "S" in said for said in toasts(app))
        await pilot.press("S")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, CircleSettingsScreen)
        screen.query_one("#circle-goal", Input).value = "Pass the final together."
        screen.query_one("#circle-rules", TextArea).load_text("Be kind. Cite sources.")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert lead.state.goal == "Pass the final together."
        assert lead.state.rules == "Be kind. Cite sources."
        screen.query_one("#circle-channels").focus()
        await pilot.press("n", *"homework", "enter")
        await settle(pilot)
        (channel_id,) = lead.state.channel_order
        assert lead.state.channels[channel_id].name == "homework"
        await pilot.press("r", *"-help", "enter")  # the field starts from the old name
        await settle(pilot)
        assert lead.state.channels[channel_id].name == "homework-help"
        await pilot.press("x")
        await settle(pilot)
        assert lead.state.channels[channel_id].archived
        shown = str(screen.query_one("#circle-channels", OptionList).get_option_at_index(0).prompt)
        assert "#homework-help" in shown and "archived" in shown
        await pilot.press("x")  # and back
        await settle(pilot)
        assert not lead.state.channels[channel_id].archived
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("t")  # now there is a channel to start a thread in
        await pilot.pause()
        assert app.screen.__class__.__name__ == "NewThreadScreen"


async def test_a_refused_change_keeps_what_was_typed(lead):
    app = StudyCircleApp(lead, sync=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        await pilot.press("S")
        await pilot.pause()
        screen = app.screen
        long_goal = "g" * 400 + "\x07"  # a control character: the core's schema refuses it
        screen.query_one("#circle-goal", Input).value = long_goal
        await pilot.press("ctrl+s")
        await settle(pilot)
        line = str(screen.query_one("#circle-message").render())
        assert "the circle's goal contains a control character" in line
        assert screen.query_one("#circle-goal", Input).value == long_goal
        assert app.screen is screen
    assert lead.state.goal == ""


async def test_members_read_the_settings_and_cannot_change_them(member):
    member.submit("rules.accept", {"version": member.state.rules_version})
    app = StudyCircleApp(member, sync=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        await pilot.app.push_screen(CircleSettingsScreen(member))
        await pilot.pause()
        screen = app.screen
        assert screen.query_one("#circle-goal", Input).value == "Pass the final together."
        assert screen.query_one("#circle-goal", Input).disabled
        assert screen.query_one("#circle-rules", TextArea).read_only
        assert not screen.query_one("#channel-field", Input).display
        offered = {key for key, active in screen.active_bindings.items() if active.enabled}
        assert "ctrl+s" not in offered and "n" not in offered and "x" not in offered
        assert "escape" in offered


async def test_t_in_a_circle_with_no_channel_tells_a_member_who_adds_one(newcomer):
    app = StudyCircleApp(newcomer, sync=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        await pilot.press("t")
        await pilot.pause()
        said = "Not done: there is no channel yet; the circle's lead adds the first one"
        assert said in toasts(app)


def test_circle_settings_snapshot(snap_compare, tmp_path):
    service = fixed_demo_service(tmp_path)

    async def show(pilot):
        pilot.app.theme = "textual-dark"
        await pilot.app.push_screen(CircleSettingsScreen(service))
        await pilot.pause()
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False
        pilot.app.screen.query_one(TextArea).cursor_blink = False
        await pilot.pause()

    app = StudyCircleApp(service, sync=False)
    assert snap_compare(app, terminal_size=SIZE, run_before=show)
