"""The real app keeps running whatever its sync loop meets: a transport that raises, or a
hostile line in the circle file whose text would be read as markup."""

import asyncio
import html
import re

import pytest

from circles import join_file_circle, new_file_circle
from file_faults import RaisingTransport
from studycircle_tui.config import Settings
from studycircle_tui.sync import synclog
from studycircle_tui.sync.engine import CircleService
from studycircle_tui.tui.app import StudyCircleApp

SIZE = (100, 30)


def screen_text(app) -> str:
    """What the terminal shows, as text (from the app's own screenshot)."""
    return html.unescape(re.sub(r"<[^>]+>", "", app.export_screenshot()))


def toasts(app) -> list[str]:
    return [toast.render().plain for toast in app.screen.query("Toast")]


async def until(pilot, condition, seconds=30.0) -> bool:
    for _ in range(int(seconds / 0.1)):
        if condition():
            return True
        await pilot.pause(0.1)
    return False


@pytest.fixture
def circle(tmp_path):
    """The lead's service, Ayu's, and their channel's id (made outside the app's loop)."""
    lead = new_file_circle(tmp_path)
    channel = lead.submit("channel.create", {"name": "general"}).id
    asyncio.run(lead.sync_once())
    return lead, join_file_circle(tmp_path, "Ayu"), channel


async def test_the_app_outlives_a_failing_sync_and_catches_up(circle):
    lead, ayu, channel = circle
    transport = RaisingTransport(lead.transport.path, failures=2)
    service = CircleService(lead.store, lead.record, transport, lead.now_ms)
    app = StudyCircleApp(service, settings=Settings(name="Lead"))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        assert await until(pilot, lambda: any("sync failed" in text for text in toasts(app)))
        shown = next(text for text in toasts(app) if "sync failed" in text)
        assert "FileNotFoundError" in shown and "sync.log" in shown
        assert re.search(r"#\sgeneral\s*▕", screen_text(app))  # nothing unread yet
        ayu.submit(
            "thread.create",
            {"channel": channel, "title": "Masih di sini?", "kind": "discussion", "text": "x"},
        )
        await ayu.sync_once()
        # Retried (with backoff) until the transport works again: Ayu's thread arrives.
        assert await until(pilot, lambda: re.search(r"#\sgeneral\s+1\s*▕", screen_text(app)))
        assert app.is_running and transport.pulls >= 3
        assert [w.state.name for w in app.workers if w.group == "sync"] == ["RUNNING"]
    assert "Traceback" in synclog.log_path().read_text(encoding="utf-8")


async def test_a_hostile_line_that_looks_like_markup_is_shown_as_it_is(circle):
    lead, _, _ = circle
    path = lead.transport.path
    app = StudyCircleApp(lead, settings=Settings(name="Lead"))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        line = path.read_bytes().splitlines()[1].replace(b'"channel.create"', b'"[/bold]"')
        with path.open("ab") as handle:
            handle.write(line + b"\n")
        assert await until(pilot, lambda: any("[/bold]" in text for text in toasts(app)))
        assert app.is_running
        assert [w.state.name for w in app.workers if w.group == "sync"] == ["RUNNING"]
