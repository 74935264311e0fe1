"""Circle life from the main screen: focus mode, a new channel, rules before the first
post, the next session in the status line and a notice when a session starts."""

from contextlib import asynccontextmanager

import pytest
from discussion_circle import text_of
from toasts import toasts

from circles import FIXED_NOW_MS, as_member, fixed_demo_service
from studycircle_tui.core.schedule import next_occurrence
from studycircle_tui.tui.app import StudyCircleApp
from studycircle_tui.tui.screens.circle_dialogs import MeanwhileScreen
from studycircle_tui.tui.screens.rules import RulesScreen
from studycircle_tui.tui.widgets.channel_list import ChannelList
from studycircle_tui.tui.widgets.status_line import StatusLine


@pytest.fixture
def lead(tmp_path):
    return fixed_demo_service(tmp_path)


@asynccontextmanager
async def main_screen(service, size=(100, 30)):
    app = StudyCircleApp(service, sync=False)
    async with app.run_test(size=size, notifications=True) as pilot:
        await pilot.pause()
        yield app, pilot


def channels_shown(app) -> set[str]:
    listed = {option.id for option in app.screen.query_one(ChannelList).options}
    return listed & set(app.screen.service.state.channels)


async def test_focus_hides_other_channels_silences_mentions_and_tells_what_came(lead):
    ayu = as_member(lead, "Ayu")
    await ayu.sync_once()
    async with main_screen(lead) as (app, pilot):
        screen = app.screen
        assert len(channels_shown(app)) == 3
        await pilot.press("F")
        await pilot.pause()
        await pilot.press("enter")  # 25 minutes
        await pilot.pause()
        assert screen.focusing
        assert channels_shown(app) == {screen.channel_id}
        assert "focus until" in str(screen.query_one(StatusLine).render())

        general = next(c.id for c in ayu.state.channels.values() if c.name == "general")
        thread = ayu.submit(
            "thread.create",
            {"channel": general, "title": "Kuis?", "kind": "discussion", "text": "@Rina ikut?"},
        )
        await ayu.sync_once()
        bells_before = screen.mention_bells
        await lead.sync_once()
        await pilot.pause()
        assert screen.mention_bells == bells_before  # silent while focused

        await pilot.press("F")  # leave
        await pilot.pause()
        assert isinstance(app.screen, MeanwhileScreen)
        assert [a.thread_id for a in app.screen.arrivals] == [thread.id]
        assert app.screen.arrivals[0].mentions == 1
        await pilot.press("enter")
        await pilot.pause()
        assert screen.thread_id == thread.id
        assert len(channels_shown(app)) == 3


async def test_the_lead_creates_a_channel_a_member_cannot(lead):
    async with main_screen(lead) as (app, pilot):
        assert app.screen.check_action("new_channel", ()) is True
        await pilot.press("C")
        await pilot.pause()
        await pilot.press(*"toefl-writing", "enter")  # enter after the name: on to the goal
        await pilot.pause()
        assert not any(c.name == "toefl-writing" for c in lead.state.channels.values())
        await pilot.press(*"Two essays a week", "enter")
        await pilot.pause()
    [made] = [c for c in lead.state.channels.values() if c.name == "toefl-writing"]
    assert made.goal == "Two essays a week"

    budi = as_member(lead, "Budi")
    await budi.sync_once()
    budi.submit("rules.accept", {"version": budi.state.rules_version})
    async with main_screen(budi) as (app, pilot):
        screen = app.screen
        await pilot.press("C")
        await pilot.pause()
        assert app.screen is screen  # not offered: no form to fill in for nothing...
        assert screen.check_action("new_channel", ()) is False
        said = toasts(app)
    # ...and the key says why at once, in the circle's own words.
    assert "Not done: only a moderator or the lead may do this" in said


async def test_a_new_member_sees_the_rules_and_cannot_post_before_accepting(lead):
    sam = as_member(lead, "Sam")
    await sam.sync_once()
    async with main_screen(sam) as (app, pilot):
        assert isinstance(app.screen, RulesScreen)  # shown on joining
        await pilot.press("escape")  # later
        await pilot.pause()
        main = app.screen
        thread = next(iter(sam.state.threads))
        main.open_thread(thread)
        await pilot.pause()
        posts_before = len(sam.state.threads[thread].post_ids)
        await pilot.press("r", *"hi", "ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, RulesScreen)  # not sent: the rules come first
        assert len(sam.state.threads[thread].post_ids) == posts_before
        await pilot.press("a")  # accept: what waited in the composer is sent then
        await pilot.app.intents.settled()
        await pilot.pause()
        await pilot.app.intents.settled()
    assert len(sam.state.threads[thread].post_ids) == posts_before + 1
    sent = sam.state.posts[sam.state.threads[thread].post_ids[-1]]
    assert text_of(sam, sent.text_op) == "hi"


async def test_status_line_shows_the_next_session_and_a_notice_when_it_starts(lead):
    async with main_screen(lead) as (app, pilot):
        screen = app.screen
        status = str(screen.query_one(StatusLine).render())
        assert "next: Weekly session" in status
        upcoming = next_occurrence(lead.state.schedule, FIXED_NOW_MS)
        lead.now_ms = lambda: upcoming.start_ms + 60_000  # a minute into the session
        screen.status_line.tick()
        screen.status_line.tick()  # announced once, not on every tick
        await pilot.pause()
        notices = [text for text in toasts(app) if text.startswith("Session\n")]
        assert len(notices) == 1 and "has started" in notices[0]
        assert "now: Weekly session" in str(screen.query_one(StatusLine).render())
