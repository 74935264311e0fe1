"""Every screen on the stack hears about changes to the circle (members, schedule and
suggestions showed stale data while open), and a worker that fails is said in one
place instead of ending the app."""

from contextlib import asynccontextmanager

import pytest
from textual.widgets import OptionList
from toasts import toasts

from circles import as_member, fixed_demo_service
from studycircle_tui.tui.app import StudyCircleApp
from studycircle_tui.tui.screens.members import MembersScreen
from studycircle_tui.tui.screens.schedule import ScheduleScreen
from studycircle_tui.tui.screens.suggestions import SuggestionScreen


@pytest.fixture
def lead(tmp_path):
    return fixed_demo_service(tmp_path)


@asynccontextmanager
async def showing(service, screen):
    app = StudyCircleApp(service, sync=False)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await pilot.pause()
        await app.push_screen(screen)
        await pilot.pause()
        yield app, pilot


def listed(screen, list_id: str) -> str:
    options = screen.query_one(list_id, OptionList)
    return "\n".join(
        str(options.get_option_at_index(i).prompt) for i in range(options.option_count)
    )


async def arrives(pilot, *services) -> None:
    """Others' ops reach this member's app through the shared file."""
    for service in services:
        await service.sync_once()
    await pilot.pause()


async def test_open_screens_show_what_others_just_did(lead):
    budi = as_member(lead, "Budi")
    await budi.sync_once()
    citra = next(m for m in lead.state.members.values() if m.name != "Budi" and m.role == "member")
    async with showing(budi, MembersScreen(budi)) as (app, pilot):
        members = app.screen
        schedule = ScheduleScreen(budi)
        await app.push_screen(schedule)  # on top: the members screen is underneath
        await pilot.pause()
        suggestions = SuggestionScreen(budi)
        await app.push_screen(suggestions)
        await pilot.pause()
        assert f"{citra.name}  moderator" not in listed(members, "#members")
        # Meanwhile the lead names a moderator, adds a session, answers nobody yet.
        lead.submit("member.role", {"member": citra.id, "role": "moderator"})
        sessions = [{"title": "Lab night", "weekday": 4, "time": "18:00", "tz": "UTC"}]
        lead.submit("schedule.set", {"sessions": sessions})
        lead.submit("suggestion.create", {"text": "Bring snacks?", "anonymous": False})
        await lead.sync_once()
        await arrives(pilot, budi)
        assert "Bring snacks?" in listed(suggestions, "#suggestions")
        assert "Lab night" in listed(schedule, "#sessions")
        assert f"{citra.name}  moderator" in listed(members, "#members")


async def test_a_failed_worker_is_said_and_the_app_goes_on(lead):
    async def broken_sync() -> None:
        raise RuntimeError("the disk fell off")

    lead.run = broken_sync  # the sync loop fails the way a bug would
    app = StudyCircleApp(lead, sync=True)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        # Wait for what the member is told, not for the worker: a failed worker leaves
        # the app's list of workers, and a toast read late (a busy machine) is gone.
        said: list[str] = []
        for _ in range(500):
            said = toasts(app)
            if any("the disk fell off" in text for text in said):
                break
            await pilot.pause(0.02)
        await pilot.press("question_mark")  # and the app still takes keys
        await pilot.pause()
        still_running = app.is_running and app.screen is not app.main_screen
    assert any("Something went wrong: the disk fell off" in text for text in said)
    assert still_running
