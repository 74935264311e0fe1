"""A live question closes on time wherever its lead is in the app (the pacer runs beside
the sync loop, not in the quiz screen), after the lead's app restarts too, and the status
line tells the lead and the players that a live quiz is running and how long is left.

The clock is the test's: it stands still until moved, and the app is left to work until
what should happen has happened (never a sleep on a real deadline)."""

from contextlib import AsyncExitStack

from note_helpers import until

from quiz_helpers import asked, quiz_circle
from studycircle_tui.config import Settings
from studycircle_tui.store.db import Store
from studycircle_tui.sync.engine import CircleService
from studycircle_tui.sync.file import FileTransport
from studycircle_tui.sync.quizrun import QuizRunner, live_stage
from studycircle_tui.tui.app import StudyCircleApp
from studycircle_tui.tui.screens.main import MainScreen
from studycircle_tui.tui.screens.notes import NotesScreen
from studycircle_tui.tui.screens.quiz_live import LiveQuizScreen
from studycircle_tui.tui.widgets.status_line import StatusLine


def _app(service) -> StudyCircleApp:
    settings = Settings(name=service.state.members[service.me].name)
    return StudyCircleApp(service, sync=False, settings=settings, theme="textual-dark")


def status_text(app) -> str:
    return str(app.screen.query_one(StatusLine).render())


def stage(service, session_id: str) -> str:
    return live_stage(service.state.sessions[session_id]).kind


async def test_a_question_closes_on_time_while_the_lead_is_on_another_screen(tmp_path):
    circle = await quiz_circle(tmp_path)
    lead = circle.lead
    async with _app(lead).run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("z", "l")  # the Quiz pane, run the quiz live
        await pilot.pause()
        # The dialog opens on its first choice; enter on its top-N field opens the lobby
        # with the default scoring.
        pilot.app.screen.query_one("#quiz-top-n").focus()
        await pilot.press("enter")
        await pilot.pause()
        host = pilot.app.screen
        assert isinstance(host, LiveQuizScreen)
        await pilot.press("n")  # ask question 1 (20 s)
        await pilot.pause()
        session = host.session_id
        opened = circle.clock.ms
        assert stage(lead, session) == "open"
        await pilot.press("escape", "escape", "N")  # leave the quiz: the notes, elsewhere
        await pilot.pause()
        assert isinstance(pilot.app.screen, NotesScreen)

        circle.clock.ms = opened + 19_000
        await pilot.pause()
        await pilot.pause()
        assert stage(lead, session) == "open"  # a second to go: still open
        circle.clock.ms = opened + 20_000  # its deadline
        await until(pilot, lambda: stage(lead, session) == "closed")
        assert isinstance(pilot.app.screen, NotesScreen)  # the lead never came back
    # The close goes to the players like any op.
    await circle.sync()
    assert stage(circle.players[0], session) == "closed"


async def test_the_question_closes_early_once_every_player_has_answered(tmp_path):
    circle = await quiz_circle(tmp_path)
    session = await asked(circle)
    async with _app(circle.lead).run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert isinstance(pilot.app.screen, MainScreen)
        for index, player in enumerate(circle.players):
            circle.clock.advance(1000)
            await QuizRunner(player).answer(session, 0, [index])
            await player.sync_once()
        await circle.lead.sync_once()  # the last answer reaches the lead, 3 s in
        await until(pilot, lambda: stage(circle.lead, session) == "closed")
    assert circle.clock.ms < circle.lead.state.sessions[session].deadline_ms


async def test_after_a_restart_the_lead_s_app_picks_the_running_question_up(tmp_path):
    circle = await quiz_circle(tmp_path)
    session = await asked(circle)
    opened = circle.clock.ms
    # The lead's app stops mid-question (closed, killed, the laptop slept)...
    record = circle.lead.record
    circle.lead.store.close()
    # ... and starts again, from the same replica on disk.
    store = Store(tmp_path / "Lea-replica.sqlite3")
    again = CircleService(store, record, FileTransport(circle.path), now_ms=circle.clock)
    assert stage(again, session) == "open"
    async with _app(again).run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert "LIVE Python basics" in status_text(pilot.app)
        circle.clock.ms = opened + 20_000
        await until(pilot, lambda: stage(again, session) == "closed")
        assert isinstance(pilot.app.screen, MainScreen)


async def test_the_status_line_shows_the_running_quiz_to_the_lead_and_the_players(tmp_path):
    circle = await quiz_circle(tmp_path)
    lead = QuizRunner(circle.lead)
    ayu = circle.players[0]
    async with AsyncExitStack() as stack:
        lea_pilot = await stack.enter_async_context(_app(circle.lead).run_test(size=(100, 30)))
        ayu_pilot = await stack.enter_async_context(_app(ayu).run_test(size=(100, 30)))
        await ayu_pilot.pause()
        await ayu_pilot.press("N")  # Ayu reads the notes meanwhile
        await ayu_pilot.pause()
        assert isinstance(ayu_pilot.app.screen, NotesScreen)
        assert "LIVE" not in status_text(lea_pilot.app)  # nothing runs yet

        session = (await lead.start(circle.quiz)).id
        await circle.sync()
        await until(lea_pilot, lambda: "● LIVE Python basics · lobby" in status_text(lea_pilot.app))
        await until(ayu_pilot, lambda: "● LIVE Python basics · lobby" in status_text(ayu_pilot.app))

        await lead.open_question(session, 0)
        await circle.sync()
        circle.clock.advance(8_000)
        for pilot in (lea_pilot, ayu_pilot):
            await until(pilot, lambda p=pilot: "Q1/3 · 12 s left" in status_text(p.app))

        await lead.pause(session)
        await circle.sync()
        await until(ayu_pilot, lambda: "Q1/3 · paused" in status_text(ayu_pilot.app))

        await lead.finish(session)
        await circle.sync()
        for pilot in (lea_pilot, ayu_pilot):
            await until(pilot, lambda p=pilot: "LIVE" not in status_text(p.app))


async def test_a_covered_status_line_waits_and_catches_up_when_its_screen_shows(tmp_path):
    circle = await quiz_circle(tmp_path)
    lead = QuizRunner(circle.lead)
    ayu = circle.players[0]
    async with _app(ayu).run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        main = pilot.app.screen
        assert isinstance(main, MainScreen)
        await pilot.press("N")  # the notes cover the main screen
        await pilot.pause()
        assert isinstance(pilot.app.screen, NotesScreen)

        await lead.start(circle.quiz)
        await circle.sync()
        # The line of the screen showing says so (the control)...
        await until(pilot, lambda: "● LIVE" in status_text(pilot.app))
        # ... and the covered main screen's line was not redrawn behind the notes.
        assert "LIVE" not in str(main.query_one(StatusLine).render())

        await pilot.press("escape")
        await until(pilot, lambda: pilot.app.screen is main)
        await until(pilot, lambda: "● LIVE Python basics · lobby" in status_text(pilot.app))
