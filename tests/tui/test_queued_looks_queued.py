"""Sending is visible: an answer that waits to be sent says it is queued, and "sent"
only once it has gone; a server that does not answer is said in plain words."""

from quiz_helpers import quiz_circle
from studycircle_tui.sync.http import HttpTransport
from studycircle_tui.sync.quizrun import QuizRunner
from studycircle_tui.sync.transport import TransportError
from studycircle_tui.tui.app import StudyCircleApp
from studycircle_tui.tui.screens.quiz_live import LiveQuizScreen


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
