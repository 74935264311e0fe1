"""Joining a busy circle as a person sees it: the status line's progress, the channels
and newest threads while the history still comes, and what search says meanwhile."""

import asyncio
import dataclasses

import pytest
from discussion_circle import THEME, build_story, make_app, open_as

from catchup_helpers import busy_circle, member
from server_helpers import Site
from studycircle_tui.config import Settings
from studycircle_tui.sync.engine import SyncStatus
from studycircle_tui.tui.app import StudyCircleApp
from studycircle_tui.tui.widgets.status_line import bar, describe


def test_the_status_line_says_what_is_on_its_way():
    online = SyncStatus("server", "online")
    assert describe(dataclasses.replace(online, fetching=(0, 0))) == (
        "online · newest threads ░░░░░░░░"  # asked for, the answer's length not yet known
    )
    assert describe(dataclasses.replace(online, fetching=(12_345, 41_000))) == (
        "online · newest threads ██░░░░░░ 12/41 KB"
    )
    assert describe(dataclasses.replace(online, history=(2_000, 10_000))) == (
        "online · history ██░░░░░░ 2,000/10,000"
    )
    assert describe(dataclasses.replace(online, sending=(4_096, 38_500), waiting=1)) == (
        "online · 1 waiting to send · sending █░░░░░░░ 4.1/38 KB"
    )
    assert (bar(0, 10), bar(10, 10), bar(5, 0)) == ("░" * 8, "█" * 8, "░" * 8)


@pytest.fixture
async def site(tmp_path):
    site = await Site.start(tmp_path / "server")
    yield site
    await site.close()


async def test_a_new_member_sees_channels_and_newest_threads_while_history_comes(site, tmp_path):
    circle, lead, channels, _ = await busy_circle(site, tmp_path)
    ana = await member(site, tmp_path, await site.invite(circle), "Ana", held=True)
    app = StudyCircleApp(ana, settings=Settings(name="Ana"), theme=THEME)
    async with app.run_test(size=(120, 32)) as pilot:
        async with asyncio.timeout(20):
            while not ana.catching_up:
                await pilot.pause(0.05)
        await pilot.pause(0.2)
        text = _screen_text(pilot)
        assert "cells" in text and "genes" in text  # the channels
        newest = lead.state.channels[channels[0]].thread_ids[-1]
        assert lead.state.threads[newest].title in text  # the first channel's newest
        assert "older ones still coming" in text
        await pilot.press("slash", *"point")
        await pilot.pause(0.4)
        assert "found · history still loading" in _screen_text(pilot)
        await pilot.press("escape", "escape", "N")  # the notes: none yet, as the search
        await pilot.pause(0.4)
        text = _screen_text(pilot)
        assert "Notes still coming" in text and "No note yet" not in text
        ana.transport.go.set()
        async with asyncio.timeout(30):
            while ana.catching_up:
                await pilot.pause(0.05)
        await pilot.pause(0.4)
        text = _screen_text(pilot)
        assert "Glossary" in text and "Notes still coming" not in text
        await pilot.press("escape", "slash", *"point")
        await pilot.pause(0.4)
        assert "history still loading" not in _screen_text(pilot)


def _screen_text(pilot) -> str:
    """What the terminal shows, as text (the screen's compositor, rendered whole)."""
    update = pilot.app.screen._compositor.render_full_update()
    return "\n".join(
        "".join(strip.text for strip in line) if not hasattr(line, "text") else line.text
        for line in update.strips
    )


class TestSnapshots:
    @pytest.mark.parametrize("size", [(100, 30), (80, 24)], ids=["100x30", "80x24"])
    def test_joining_before_the_newest_threads_came(self, tmp_path, snap_compare, size):
        story = build_story(tmp_path)
        service = open_as(story, "Citra", tmp_path)
        service.replica.state.channels.clear()  # as a circle not yet arrived
        service.replica.state.name = ""  # the line names it as it was joined meanwhile
        service.replica.state.channel_order.clear()
        service.circle.status = SyncStatus("server", "online", fetching=(12_345, 41_000))
        assert snap_compare(make_app(service), terminal_size=size)

    def test_history_still_coming(self, tmp_path, snap_compare):
        story = build_story(tmp_path)
        service = open_as(story, "Citra", tmp_path)
        service.circle.status = SyncStatus("server", "online", history=(2_000, 10_000))
        assert snap_compare(make_app(service), terminal_size=(80, 24))
