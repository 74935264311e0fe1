"""What a live quiz's screens redraw, and what they leave alone: with thirty players'
apps in one ssh-serve worker, every redraw no one sees is paid thirty times a change.

- The Quiz pane under a live quiz draws nothing while it is covered, and shows what
  changed when it shows again.
- The live screen redraws for the sync's state only when its own answer goes from
  queued to sent (or back), not for every other player's op queued and sent.
- A line that changes in place ("1 of 3 answered" → "2 of 3") is drawn again without
  laying the whole screen out; one that gains or loses lines is laid out.
"""

from contextlib import AsyncExitStack, asynccontextmanager

from note_helpers import until
from textual.screen import Screen
from textual.widgets import OptionList

from quiz_helpers import lobby, quiz_circle
from studycircle_tui.config import Settings
from studycircle_tui.core.replica import Change
from studycircle_tui.sync.quizrun import QuizRunner
from studycircle_tui.tui.app import StudyCircleApp
from studycircle_tui.tui.messages import CircleChanged, SyncStatusChanged
from studycircle_tui.tui.screens import quiz_live
from studycircle_tui.tui.screens.quiz import QuizPaneScreen
from studycircle_tui.tui.screens.quiz_live import ROOM_SECONDS, LiveQuizScreen
from studycircle_tui.tui.widgets.quiz_views import FeedbackView


def _app(service) -> StudyCircleApp:
    settings = Settings(name=service.state.members[service.me].name)
    return StudyCircleApp(service, sync=False, settings=settings, theme="textual-dark")


async def _join(pilot) -> LiveQuizScreen:
    """The player opens the Quiz pane and joins the live quiz in it."""
    await pilot.press("z")
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause()
    assert isinstance(pilot.app.screen, LiveQuizScreen)
    return pilot.app.screen


@asynccontextmanager
async def _answered(tmp_path, key: str):
    """Question 1 asked, and Ayu's app on it having answered with ``key``, counted in
    the room: (the circle, the session, Ayu's pilot, her live screen)."""
    circle = await quiz_circle(tmp_path)
    session = await lobby(circle)
    await QuizRunner(circle.lead).open_question(session, 0)
    await circle.sync()
    async with _app(circle.players[0]).run_test(size=(80, 24)) as pilot:
        live = await _join(pilot)
        await pilot.press(key)
        await until(pilot, lambda: live.my_answer(0) is not None)  # made in a worker
        await circle.sync()
        await until(pilot, lambda: "1 of 3" in _status(live))
        yield circle, session, pilot, live


def _counting_views(live: LiveQuizScreen) -> list[int]:
    """Count the live screen's whole redraws from now on (``del live.refresh_view``
    stops counting)."""
    drawn: list[int] = []
    original = live.refresh_view

    def counting() -> None:
        drawn.append(1)
        original()

    live.refresh_view = counting  # type: ignore[method-assign]
    return drawn


def _listed(pane: QuizPaneScreen) -> str:
    listing = pane.query_one("#quiz-list", OptionList)
    return str(listing.get_option_at_index(0).prompt)


async def test_the_quiz_pane_under_a_live_quiz_waits_and_shows_what_changed_on_its_return(
    tmp_path,
):
    circle = await quiz_circle(tmp_path)
    session = await lobby(circle, [])
    ayu = circle.players[0]
    async with _app(ayu).run_test(size=(80, 24)) as pilot:
        await pilot.press("z")
        await pilot.pause()
        pane = pilot.app.screen
        assert isinstance(pane, QuizPaneScreen)
        assert "LIVE lobby" in _listed(pane)
        await pilot.press("enter")  # Ayu joins: the live screen covers the pane
        await pilot.pause()
        live = pilot.app.screen
        assert isinstance(live, LiveQuizScreen)
        await circle.sync()
        await QuizRunner(circle.lead).open_question(session, 0)
        await circle.sync()
        # The live screen shows the question (the change has reached the app) ...
        await until(pilot, lambda: "question 1 of 3" in _text(live, "#quiz-live-title"))
        # ... and the pane behind it still lists the lobby: it was not drawn meanwhile.
        assert "LIVE lobby" in _listed(pane)
        live.dismiss()  # back to the pane, still in the quiz
        await pilot.pause()
        assert pilot.app.screen is pane
        assert "LIVE lobby" not in _listed(pane) and "LIVE" in _listed(pane)


async def test_the_live_screen_redraws_for_the_sync_only_when_its_own_answer_goes(tmp_path):
    circle = await quiz_circle(tmp_path)
    session = await lobby(circle)
    await QuizRunner(circle.lead).open_question(session, 0)
    await circle.sync()
    ayu = circle.players[0]
    async with AsyncExitStack() as stack:
        pilot = await stack.enter_async_context(_app(ayu).run_test(size=(80, 24)))
        live = await _join(pilot)
        await pilot.press("2")  # Ayu answers
        await until(pilot, lambda: "Answer" in _status(live))
        await circle.sync()
        await until(pilot, lambda: "Answer sent" in _status(live))
        await pilot.pause(ROOM_SECONDS * 2)  # the room's redraw, if one was coming, is done
        drawn = _counting_views(live)
        # Another player's op queued and sent: handled, and nothing drawn (the next
        # status, which draws, shows it was handled in its turn).
        live.post_message(SyncStatusChanged(ayu.status))
        await pilot.pause()
        assert not drawn

        # Ayu's own answer waits to be sent again (the positive control): "queued" ...
        waiting = True
        real = ayu.waiting_to_send
        ayu.waiting_to_send = lambda op_id: waiting or real(op_id)  # type: ignore[method-assign]
        live.post_message(SyncStatusChanged(ayu.status))
        await until(pilot, lambda: drawn)
        assert len(drawn) == 1 and "Answer queued" in _status(live)
        # ... and once it has gone, drawn again: "sent".
        waiting = False
        live.post_message(SyncStatusChanged(ayu.status))
        await until(pilot, lambda: len(drawn) == 2)
        assert "Answer sent" in _status(live)
        del live.refresh_view


def _text(screen: LiveQuizScreen, selector: str) -> str:
    return " ".join(str(screen.query_one(selector).render()).split())


def _status(screen: LiveQuizScreen) -> str:
    return _text(screen, "#quiz-status")


async def test_a_count_that_changes_in_place_is_drawn_without_a_layout(tmp_path):
    async with _answered(tmp_path, "2") as (circle, session, pilot, live):
        budi = circle.players[1]
        status = live.query_one("#quiz-status")
        layouts = []
        refresh = status.refresh

        def noting(*regions, **options):
            layouts.append(options.get("layout", False))
            return refresh(*regions, **options)

        status.refresh = noting  # type: ignore[method-assign]
        await QuizRunner(budi).answer(session, 0, [0])  # Budi's answer: a count in place
        await circle.sync()
        await until(pilot, lambda: "2 of 3" in _status(live))
        assert layouts and not any(layouts)

        await QuizRunner(circle.lead).close(session)  # one line where there were more
        await circle.sync()
        await until(pilot, lambda: "Answers are closed" in _status(live))
        assert layouts[-1] is True
        del status.refresh


async def test_a_step_that_changes_the_screen_s_shape_is_laid_out_once(tmp_path, monkeypatch):
    """The close (the countdown goes, the status loses lines) lays the screen out once:
    the sizes that layout finds do not ask for a second one (compat.LaidOutOnce)."""
    async with _answered(tmp_path, "2") as (circle, session, pilot, live):
        await pilot.pause(ROOM_SECONDS * 2)  # the room's redraw, if one was coming, is done
        layouts = []
        original = Screen._refresh_layout

        def counted(screen, *args, **options):
            layouts.append(screen)
            return original(screen, *args, **options)

        monkeypatch.setattr(Screen, "_refresh_layout", counted)
        await QuizRunner(circle.lead).close(session)
        await circle.sync()
        await until(pilot, lambda: "Answers are closed" in _status(live))
        await pilot.pause(0.2)  # any second layout would come within a few frames
        assert layouts == [live]


async def test_a_revealed_question_shown_again_unchanged_keeps_its_feedback(tmp_path):
    """Once revealed, the screen is shown again at each change of the room (a late
    answer, a sync): its feedback, unchanged, is not given again (an update lays the
    whole screen out)."""
    # Wrong, with its feedback ("Three items." is for the right one).
    async with _answered(tmp_path, "b") as (circle, session, pilot, live):
        lead = QuizRunner(circle.lead)
        await lead.close(session)
        await lead.reveal(session)
        await circle.sync()
        await until(pilot, lambda: "Answer:" in _status(live))
        feedback = live.query_one(FeedbackView)
        given = []
        update = feedback.update

        def noting(*args, **options) -> None:
            given.append(args)
            update(*args, **options)

        feedback.update = noting  # type: ignore[method-assign]
        live.refresh_view()
        assert not given
        # The positive control: other feedback is given.
        feedback.show(live.quiz.questions[0], ["Something else."])
        assert given
        del feedback.update


async def test_a_redraw_of_the_whole_screen_takes_the_room_s_pending_redraw_with_it(
    tmp_path, monkeypatch
):
    """Others' answers wait ROOM_SECONDS to be drawn; a step that redraws the screen
    before then (the close) shows their counts too, and the room's redraw is not made
    after it."""
    monkeypatch.setattr(quiz_live, "ROOM_SECONDS", 60.0)  # Budi's answer waits meanwhile
    async with _answered(tmp_path, "2") as (circle, session, pilot, live):
        budis = await QuizRunner(circle.players[1]).answer(session, 0, [0])
        await circle.sync()
        await pilot.pause()
        live.post_message(CircleChanged(Change([budis])))  # as Budi's answer reaches it
        await until(pilot, lambda: live._room_timer is not None)  # and waits
        drawn = _counting_views(live)
        live.refreshed()  # a step redraws the whole screen (as the close's change does)
        assert live._room_timer is None
        assert "2 of 3" in _status(live)
        await pilot.pause(0.2)
        assert len(drawn) == 1
        del live.refresh_view
