"""The rota's volunteers say who is picked in their box (✓, or empty), not by colour
alone: Textual's own boxes read "X" for every member, picked or not."""

import pytest
from textual.widgets import SelectionList

from circles import fixed_demo_service
from studycircle_tui.tui.app import StudyCircleApp
from studycircle_tui.tui.screens.members import MembersScreen


@pytest.fixture
def lead(tmp_path):
    return fixed_demo_service(tmp_path)  # outside the test's loop: it syncs in one of its own


async def test_the_volunteers_boxes_say_who_is_picked(lead):
    names = {member.name: member.id for member in lead.state.members.values()}
    lead.submit(
        "moderator.rota",
        {"volunteers": [names["Ayu"], lead.me], "start": "2026-11-16", "tz": "UTC"},
    )
    async with StudyCircleApp(lead, sync=False).run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.app.push_screen(MembersScreen(lead))
        await pilot.pause()
        volunteers = pilot.app.screen.query_one("#volunteers", SelectionList)
        lines = [volunteers.render_line(y).text for y in range(volunteers.option_count)]
        picked = {line.split()[1] for line in lines if line[1] == "✓"}
        assert picked == {"Ayu", "Rina"}
        assert not any("X" in line[:4] for line in lines)  # no box reads X
        volunteers.focus()
        volunteers.highlighted = lines.index(next(line for line in lines if "Budi" in line))
        await pilot.press("space")  # the lead picks Budi too
        await pilot.pause()
        lines = [volunteers.render_line(y).text for y in range(volunteers.option_count)]
        assert {line.split()[1] for line in lines if line[1] == "✓"} == {"Ayu", "Budi", "Rina"}
