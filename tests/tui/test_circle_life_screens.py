"""Circle life screens driven as a person would: rules on joining, participation,
schedule, the suggestion box, members, roles and the rota."""

from contextlib import asynccontextmanager

import icalendar
import pytest
from textual.widgets import Button, Checkbox, DataTable, Input, OptionList

from circles import as_member, fixed_demo_service
from studycircle_tui.core.signing import safety_number
from studycircle_tui.tui.app import StudyCircleApp
from studycircle_tui.tui.screens.export import ExportPathScreen
from studycircle_tui.tui.screens.members import MembersScreen
from studycircle_tui.tui.screens.participation import ParticipationScreen
from studycircle_tui.tui.screens.rules import RulesScreen, needs_acceptance
from studycircle_tui.tui.screens.schedule import ScheduleScreen, describe_next
from studycircle_tui.tui.screens.suggestions import SuggestionScreen


@pytest.fixture
def lead(tmp_path):
    return fixed_demo_service(tmp_path)


async def _member(lead, name):
    member = as_member(lead, name)
    await member.sync_once()
    return member


async def settled(pilot) -> None:
    """Wait until what was asked for is on disk (or refused), then redraw."""
    await pilot.pause()  # the keys (or clicks) are handled: what they ask is under way
    await pilot.app.intents.settled()  # (the pacer worker runs for good)
    await pilot.pause()


@asynccontextmanager
async def opened(service, screen, size=(100, 30)):
    """The app on ``service`` with ``screen`` pushed over the main screen."""
    app = StudyCircleApp(service, sync=False)
    async with app.run_test(size=size) as pilot:
        await settled(pilot)
        await app.push_screen(screen)
        await settled(pilot)
        yield app, pilot


async def test_a_new_member_accepts_the_rules_and_a_change_asks_again(lead):
    sam = await _member(lead, "Sam")
    assert needs_acceptance(sam) and not needs_acceptance(lead)
    async with opened(sam, RulesScreen(sam)) as (_app, pilot):
        await pilot.press("a")
        await settled(pilot)
    assert sam.state.members[sam.me].rules_accepted == sam.state.rules_version
    assert not needs_acceptance(sam)
    async with opened(sam, RulesScreen(sam)) as (app, _pilot):
        offered = {b.binding.action for b in app.screen.active_bindings.values()}
    assert "accept" not in offered  # nothing left to accept: no "a Accept" in the footer

    lead.submit("circle.update", {"rules": lead.state.rules + "\n5. Share what you learn."})
    await lead.sync_once()
    await sam.sync_once()
    assert needs_acceptance(sam)  # the change is shown to every member once
    assert not needs_acceptance(lead)  # its author has accepted it


async def test_participation_shows_everyone_to_the_lead_and_only_yourself_to_a_member(lead):
    async with opened(lead, ParticipationScreen(lead)) as (app, pilot):
        rows = app.screen.query_one(DataTable).row_count
        await pilot.press("3")  # the 30-day view
        await settled(pilot)
        month_rows = app.screen.query_one(DataTable).row_count
    assert rows == len(lead.state.members) + 1  # everyone and the circle's total
    assert month_rows == rows

    budi = await _member(lead, "Budi")
    async with opened(budi, ParticipationScreen(budi)) as (app, pilot):
        table = app.screen.query_one(DataTable)
        names = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
    assert names == ["Budi", "Circle total"]


async def test_the_lead_adds_a_session_and_exports_the_schedule(lead, tmp_path):
    async with opened(lead, ScheduleScreen(lead)) as (app, pilot):
        screen = app.screen
        screen.query_one("#title", Input).value = "Quiz night"
        screen.query_one("#time", Input).value = "20:30"
        screen.query_one("#tz", Input).value = "Asia/Jakarta"
        await pilot.click("#add")
        await settled(pilot)
        target = tmp_path / "club.ics"
        screen.query_one("#sessions", OptionList).focus()
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, ExportPathScreen)
        app.screen.query_one(Input).value = str(target)
        await pilot.press("enter")
        await settled(pilot)  # written in a thread
    assert [s.title for s in lead.state.schedule] == ["Weekly session", "Quiz night"]
    calendar = icalendar.Calendar.from_ical(target.read_bytes())
    summaries = sorted(str(e["summary"]) for e in calendar.walk("VEVENT"))
    assert summaries == ["Python Club Demo: Quiz night", "Python Club Demo: Weekly session"]
    assert describe_next(lead).startswith(("next: ", "now: "))


async def test_a_member_cannot_change_the_schedule(lead):
    budi = await _member(lead, "Budi")
    async with opened(budi, ScheduleScreen(budi)) as (app, pilot):
        form_shown = app.screen.query_one("#session-form").display
        app.screen.action_add()
        await settled(pilot)
    assert not form_shown
    assert len(budi.state.schedule) == 1


async def test_suggestions_anonymous_to_members_and_resolved_by_the_lead(lead):
    budi = await _member(lead, "Budi")
    async with opened(budi, SuggestionScreen(budi)) as (app, pilot):
        screen = app.screen
        assert screen.query("#anonymous-warning")  # a file circle says it cannot hide names
        assert not screen.query("#resolve-row")  # only the lead resolves
        screen.query_one("#suggestion-text", Input).value = "Sesi latihan soal tiap Jumat?"
        screen.query_one("#anonymous", Checkbox).value = True
        screen.query_one("#suggest", Button).press()
        await settled(pilot)
    await budi.sync_once()
    await lead.sync_once()
    (suggestion,) = lead.state.suggestions.values()
    assert suggestion.anonymous and suggestion.author == budi.me

    sam = await _member(lead, "Sam")
    async with opened(sam, SuggestionScreen(sam)) as (app, pilot):
        shown = str(app.screen.query_one("#suggestions", OptionList).get_option_at_index(0).prompt)
    assert "anonymous" in shown and "Budi" not in shown

    async with opened(lead, SuggestionScreen(lead)) as (app, pilot):
        screen = app.screen
        screen.query_one("#suggestions", OptionList).highlighted = 0
        screen.query_one("#reply", Input).value = "Yes, from next week."
        screen.query_one("#resolve", Button).press()
        await settled(pilot)
    assert (suggestion.status, suggestion.reply) == ("planned", "Yes, from next week.")


async def test_the_lead_grants_roles_and_sets_the_rota_a_member_cannot(lead):
    async with opened(lead, MembersScreen(lead)) as (app, pilot):
        screen = app.screen
        members = screen.query_one("#members", OptionList)
        members.focus()
        members.highlighted = [o.id for o in members._options].index(
            next(m.id for m in lead.state.members.values() if m.name == "Budi")
        )
        await pilot.press("m")
        volunteers = screen.query_one("#volunteers")
        for member in lead.state.members.values():
            if member.name in ("Ayu", "Budi"):
                volunteers.select(member.id)
        screen.query_one("#set-rota", Button).press()
        await settled(pilot)
    budi = next(m for m in lead.state.members.values() if m.name == "Budi")
    assert budi.role == "moderator"
    assert lead.state.rota is not None and len(lead.state.rota.volunteers) == 2

    sam = await _member(lead, "Sam")
    async with opened(sam, MembersScreen(sam)) as (app, pilot):
        screen = app.screen
        assert not screen.query("#rota-form") and not screen.query("#moderation-log")
        members = screen.query_one("#members", OptionList)
        members.focus()
        members.highlighted = 0
        await pilot.press("l")
        await settled(pilot)
        message = str(screen.query_one("#members-message").render())
    assert "lead" in message and "Not done" in message
    assert sum(1 for m in sam.state.members.values() if m.role == "lead") == 1


async def test_members_compare_keys_and_one_makes_a_new_key(lead):
    """Each member's key shows as a safety number, the same on every member's screen;
    Sam makes a new one (k), and the lead sees it changed and the log says so."""
    sam = await _member(lead, "Sam")
    async with opened(sam, MembersScreen(sam)) as (app, pilot):
        shown = str(app.screen.query_one("#member-key").render())
        assert shown.startswith("Your key: ")
        await pilot.press("k")
        await pilot.pause()
        assert "new key" in str(app.screen.query_one("#members-message").render())
        after = str(app.screen.query_one("#member-key").render())
    number = safety_number(sam.state.key_of(sam.me))
    assert after.startswith(f"Your key: {number}") and after != shown
    await sam.sync_once()
    await lead.sync_once()
    async with opened(lead, MembersScreen(lead)) as (app, pilot):
        members = app.screen.query_one("#members", OptionList)
        members.highlighted = [o.id for o in members.options].index(sam.me)
        await pilot.pause()
        seen = str(app.screen.query_one("#member-key").render())
        log = str(app.screen.query_one("#moderation-log").render())
    assert seen.startswith(f"Sam's key: {number}") and "they made a new one" in seen
    assert "Sam made a new key: Sam" in log
