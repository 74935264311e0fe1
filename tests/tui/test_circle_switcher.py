"""Switching circles in the app, and renaming yourself in one: the switcher lists the
member's circles on this device; choosing another ends the app with its id (the command
opens it next); a new name goes through the core."""

import pytest
from textual.widgets import Input, OptionList

from circles import new_file_circle
from studycircle_tui.store.db import Store
from studycircle_tui.sync.circles import create_file_circle
from studycircle_tui.tui.app import StudyCircleApp
from studycircle_tui.tui.screens.circle_switcher import CircleSwitcherScreen

SIZE = (80, 24)


@pytest.fixture
def two_circles(tmp_path):
    """Ana leads "Biology 101" and "Kimia Dasar", both in the same store."""
    biology = new_file_circle(tmp_path, "Biology 101", "Ana")
    folder = tmp_path / "kimia"
    folder.mkdir()
    store = Store(tmp_path / "Ana-replica.sqlite3")
    kimia = create_file_circle(store, folder / "kimia.jsonl", "Kimia Dasar", "Ana")
    kimia.close()
    return biology, kimia.record.id


async def open_switcher(pilot) -> CircleSwitcherScreen:
    await pilot.pause()
    await pilot.press("O")
    await pilot.app.intents.settled()
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, CircleSwitcherScreen)
    return screen


async def test_choosing_another_circle_ends_the_app_with_its_id(two_circles):
    biology, kimia_id = two_circles
    app = StudyCircleApp(biology, sync=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_switcher(pilot)
        listed = screen.query_one("#circles", OptionList)
        names = [str(option.prompt) for option in listed.options]
        assert any("Kimia Dasar" in name for name in names)
        assert any("Biology 101" in name and "open now" in name for name in names)
        assert listed.get_option_at_index(listed.highlighted).id == kimia_id  # the other one
        await pilot.press("enter")
        await pilot.pause()
    assert app.return_value == kimia_id


async def test_renaming_yourself_in_a_circle(two_circles):
    biology, _ = two_circles
    app = StudyCircleApp(biology, sync=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_switcher(pilot)
        field = screen.query_one("#my-name", Input)
        field.value = "Ana Wijaya"
        field.focus()
        await pilot.press("enter")
        await pilot.app.intents.settled()
        await pilot.pause()
        assert "You are Ana Wijaya" in str(screen.query_one("#switcher-message").render())
        field.value = "x" * 80 + "!"  # past the limit the field allows: typed anyway
        field.post_message(Input.Submitted(field, field.value))
        await pilot.app.intents.settled()
        await pilot.pause()
        said = str(screen.query_one("#switcher-message").render())
    assert biology.state.members[biology.me].name == "Ana Wijaya"
    assert said == "Not done: your name is longer than 80 characters"


def test_circle_switcher_snapshot(snap_compare, two_circles):
    biology, _ = two_circles

    async def show(pilot):
        pilot.app.theme = "textual-dark"
        await open_switcher(pilot)
        pilot.app.screen.query_one(Input).cursor_blink = False
        await pilot.pause()

    assert snap_compare(StudyCircleApp(biology, sync=False), terminal_size=SIZE, run_before=show)
