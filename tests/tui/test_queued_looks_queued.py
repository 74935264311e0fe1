"""Sending is visible: an answer that waits to be sent says it is queued, and "sent"
only once it has gone; a server that does not answer is said in plain words."""

from discussion_circle import build_story, make_app, open_as

from quiz_helpers import quiz_circle
from studycircle_tui.sync.http import HttpTransport
from studycircle_tui.sync.quizrun import QuizRunner
from studycircle_tui.sync.transport import TransportError
from studycircle_tui.tui.app import StudyCircleApp
from studycircle_tui.tui.screens.quiz_live import LiveQuizScreen
from studycircle_tui.tui.widgets.composer import Composer
from studycircle_tui.tui.widgets.thread_view import ThreadView


async def test_a_queued_answer_looks_queued_until_it_is_sent(tmp_path, monkeypatch):
    import studycircle_tui.tui.screens.quiz_live as live

    monkeypatch.setattr(live, "TICK_SECONDS", 1000)
    circle = await quiz_circle(tmp_path, ("Ayu",))
    runner = QuizRunner(circle.lead)
    session = (await runner.start(circle.quiz)).id
    await runner.open_question(session, 0)
    await circle.sync()
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
        await pilot.press("e")  # an edit waits too
        composer = pilot.app.screen.query_one(Composer)
        composer.select_all()
        await pilot.press(*"Aku bawa teh", "ctrl+s")
        await pilot.app.intents.settled()
        await pilot.pause()
        assert any("⧗ queued" in line for line in lines())
        await citra.sync_once()
        await pilot.pause()
        assert not any("⧗ queued" in line for line in lines())


async def test_an_unreachable_server_is_said_in_plain_words():
    transport = HttpTransport("http://127.0.0.1:9", "0" * 26, "token")
    try:
        await transport.pull(None)
    except TransportError as error:
        said = str(error)
    finally:
        await transport.close()
    assert said == (
        "the server at http://127.0.0.1:9 is not answering (it may be down, or you are offline)"
    )
    assert "All connection attempts failed" not in said


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
