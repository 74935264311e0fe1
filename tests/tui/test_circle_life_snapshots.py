"""What the circle life screens look like, pinned at 100x30 and 80x24."""

import asyncio

import pytest
from textual.widgets import Input

from circles import as_member, fixed_demo_service
from studycircle_tui.tui.app import StudyCircleApp
from studycircle_tui.tui.screens.members import MembersScreen
from studycircle_tui.tui.screens.participation import ParticipationScreen
from studycircle_tui.tui.screens.rules import RulesScreen
from studycircle_tui.tui.screens.schedule import ScheduleScreen
from studycircle_tui.tui.screens.suggestions import SuggestionScreen

SCREENS = {
    # screen, and whose eyes: a new member sees the rules on joining
    "rules-on-joining": (RulesScreen, "Sam"),
    "participation-lead": (ParticipationScreen, None),
    "participation-member": (ParticipationScreen, "Budi"),
    "rota-and-roles": (MembersScreen, None),
    "schedule": (ScheduleScreen, None),
    "suggestion-box": (SuggestionScreen, "Budi"),
}


def _service(tmp_path, who, joining: bool):
    lead = fixed_demo_service(tmp_path)
    if who is None:
        return lead
    member = as_member(lead, who)
    asyncio.run(member.sync_once())
    if not joining:  # a member who has read the rules: they do not open on top
        member.submit("rules.accept", {"version": member.state.rules_version})
    return member


@pytest.mark.parametrize("size", [(100, 30), (80, 24)], ids=["100x30", "80x24"])
@pytest.mark.parametrize("name", list(SCREENS))
def test_circle_life_screen(snap_compare, tmp_path, name, size):
    screen_class, who = SCREENS[name]
    joining = name == "rules-on-joining"
    service = _service(tmp_path, who, joining)
    if name == "rota-and-roles":
        ayu = next(m.id for m in service.state.members.values() if m.name == "Ayu")
        service.submit(
            "moderator.rota",
            {"volunteers": [ayu, service.me], "start": "2026-11-16", "tz": "Asia/Jakarta"},
        )
    if name == "suggestion-box":
        service.submit("suggestion.create", {"text": "Kuis tiap Jumat? 🎯", "anonymous": True})

    async def show(pilot):
        pilot.app.theme = "textual-dark"
        if joining:  # the rules open by themselves, after the main screen's first frame
            while not isinstance(pilot.app.screen, screen_class):
                await pilot.pause(0.02)
        else:
            await pilot.app.push_screen(screen_class(service))
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False
        await pilot.pause()

    app = StudyCircleApp(service, sync=False)
    assert snap_compare(app, terminal_size=size, run_before=show)


@pytest.mark.parametrize("size", [(100, 30), (80, 24)], ids=["100x30", "80x24"])
def test_focus_mode(snap_compare, tmp_path, size):
    service = fixed_demo_service(tmp_path)

    async def focus(pilot):
        pilot.app.theme = "textual-dark"
        await pilot.pause()
        pilot.app.screen.enter_focus(50)
        await pilot.pause()

    assert snap_compare(StudyCircleApp(service, sync=False), terminal_size=size, run_before=focus)
