"""Sending is visible: an answer or a post that waits to be sent says it is queued, and
"sent" (or nothing) only once it has gone."""

from discussion_circle import build_story, make_app, open_as

from quiz_helpers import asked, quiz_circle
from studycircle_tui.tui.app import StudyCircleApp
from studycircle_tui.tui.screens.quiz_live import LiveQuizScreen
from studycircle_tui.tui.widgets.composer import Composer
from studycircle_tui.tui.widgets.thread_view import ThreadView


async def test_a_queued_answer_looks_queued_until_it_is_sent(tmp_path, monkeypatch):
    import studycircle_tui.tui.screens.quiz_live as live

    monkeypatch.setattr(live, "TICK_SECONDS", 1000)
    circle = await quiz_circle(tmp_path, ("Ayu",))
    session = await asked(circle)  # Ayu joined; question 1 is open
    (ayu,) = circle.players
    app = StudyCircleApp(ayu, sync=False)  # nothing leaves until the test syncs
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        await app.push_screen(LiveQuizScreen(ayu, session))
        await pilot.pause()
        await pilot.press("b")
        await app.intents.settled()
        await pilot.pause()
        status = lambda: str(app.screen.query_one("#quiz-status").render())  # noqa: E731
        assert "Answer queued" in status() and "will send when the server is back" in status()
        assert "Answer sent" not in status()
        await ayu.sync_once()  # it goes
        await pilot.pause()
        assert "Answer sent" in status()


async def test_a_post_waiting_to_send_is_marked_queued_until_it_is_sent(tmp_path):
    story = build_story(tmp_path)
    citra = open_as(story, "Citra", tmp_path)
    async with make_app(citra).run_test(size=(100, 30)) as pilot:  # nothing leaves by itself
        await pilot.pause()
        pilot.app.screen.open_thread(story.ids["belajar"])
        await pilot.press("r", *"Aku bawa kopi", "ctrl+s")
        await pilot.app.intents.settled()
        await pilot.pause()
        view = pilot.app.screen.query_one(ThreadView)
        lines = lambda: [view.render_line(y).text for y in range(view.size.height)]  # noqa: E731
        headers = [line for line in lines() if "Citra ·" in line or "Budi ·" in line]
        assert "⧗ queued" in headers[-1] and "Citra" in headers[-1]  # the new post
        assert sum("⧗ queued" in line for line in lines()) == 1  # only it
        await citra.sync_once()  # it goes
        await pilot.pause()
        assert not any("⧗ queued" in line for line in lines())
        assert any("Aku bawa kopi" in line for line in lines())


def test_a_queued_post_snapshot(snap_compare, tmp_path):
    story = build_story(tmp_path)
    citra = open_as(story, "Citra", tmp_path)

    async def reply_offline(pilot):
        await pilot.pause()
        pilot.app.screen.open_thread(story.ids["belajar"])
        await pilot.press("r", *"Aku bawa kopi", "ctrl+s")
        await pilot.app.intents.settled()
        await pilot.pause()
        pilot.app.screen.query_one(Composer).cursor_blink = False

    assert snap_compare(make_app(citra), terminal_size=(80, 24), run_before=reply_offline)
