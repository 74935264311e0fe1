"""The live room as its lead and players see it, each in their own app over one circle
file: the lobby lists players as they join, a late joiner enters at the next question and
is not waited for before, each reveal is checked against its question's hash the moment
it arrives (a reveal that does not match says so), a hands-free quiz runs to its podium
with no key pressed after the first question, and feedback is rendered, not shown raw.

The clock is the test's: it stands still until moved, and the apps are left to work until
what should happen has happened."""

from contextlib import AsyncExitStack

import msgspec
from note_helpers import until
from textual.widgets import Checkbox, DataTable, Input

from quiz_helpers import asked, lobby, quiz_circle, shown
from studycircle_tui.config import Settings
from studycircle_tui.core import quizkeys
from studycircle_tui.core.ops import Key, Question
from studycircle_tui.core.state import Quiz, QuizSession
from studycircle_tui.sync.quizrun import QuizRunner, live_stage
from studycircle_tui.tui.app import StudyCircleApp
from studycircle_tui.tui.screens import quiz_live, quiz_room
from studycircle_tui.tui.screens.quiz_dialogs import LiveSettingsScreen
from studycircle_tui.tui.screens.quiz_live import LiveQuizScreen


def _app(service) -> StudyCircleApp:
    settings = Settings(name=service.state.members[service.me].name)
    return StudyCircleApp(service, sync=False, settings=settings, theme="textual-dark")


def text(screen, selector: str) -> str:
    """What a part of the screen says, its lines joined (words wrap at 80 columns)."""
    return " ".join(str(screen.query_one(selector).render()).split())


def stage(service, session_id: str) -> str:
    return live_stage(service.state.sessions[session_id]).kind


async def _settle(circle, pilots) -> None:
    await circle.sync()
    for pilot in pilots:
        await pilot.pause()


async def _join(pilot) -> LiveQuizScreen:
    """A player opens the Quiz pane and the live quiz in it: they join (its lead goes
    back to hosting it)."""
    await pilot.press("z")
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, LiveQuizScreen)
    return screen


async def test_the_lobby_lists_players_as_they_join_and_a_late_joiner_plays_from_the_next(
    tmp_path, monkeypatch
):
    # Each step's screens are read as soon as it is synced: the room's redraw (others'
    # joins and answers, drawn at most every ROOM_SECONDS) comes at once here.
    monkeypatch.setattr(quiz_live, "ROOM_SECONDS", 0.001)
    circle = await quiz_circle(tmp_path)
    lead = QuizRunner(circle.lead)
    session = (await lead.start(circle.quiz)).id
    await circle.sync()
    async with AsyncExitStack() as stack:
        pilots = [
            await stack.enter_async_context(_app(s).run_test(size=(80, 24)))
            for s in circle.everyone
        ]
        lea, ayu, budi, citra = pilots
        host = await _join(lea)
        assert "No one has joined yet" in text(host, "#quiz-lobby")
        await _join(ayu)
        await _settle(circle, pilots)
        assert "In the lobby (1): Ayu" in text(host, "#quiz-lobby")
        await _join(budi)
        await _settle(circle, pilots)
        assert "In the lobby (2): Ayu, Budi" in text(host, "#quiz-lobby")
        assert "Citra" not in text(host, "#quiz-lobby")  # a member, but not in the room

        await lea.press("n")  # question 1, for Ayu and Budi
        await _settle(circle, pilots)
        late = await _join(citra)  # Citra comes in while it is being asked
        await _settle(circle, pilots)
        assert "you play from question 2" in text(late, "#quiz-status")
        await citra.press("2")  # her keys do not answer this one
        await _settle(circle, pilots)
        assert circle.players[2].me not in circle.lead.state.sessions[session].answered.get(0, ())
        assert "0 of 2 answered" in text(host, "#quiz-status")

        await ayu.press("2")
        await _settle(circle, pilots)
        assert "✓ Answer sent: B) 3" in text(ayu.app.screen, "#quiz-status")
        assert "1 of 2 answered" in text(host, "#quiz-status")
        await budi.press("1")
        await _settle(circle, pilots)
        # Everyone in has answered: the lead's app closes it, not waiting for Citra.
        await until(lea, lambda: stage(circle.lead, session) == "closed")
        assert circle.clock.ms < circle.lead.state.sessions[session].deadline_ms

        await lea.press("n")  # the reveal: not Citra's question
        await _settle(circle, pilots)
        assert "you play from question 2" in text(late, "#quiz-status")
        assert "You did not answer" not in text(late, "#quiz-status")
        await lea.press("n", "n")  # leaderboard, question 2
        await _settle(circle, pilots)
        assert stage(circle.lead, session) == "open"
        assert "0 of 3 answered" in text(host, "#quiz-status")  # Citra is in now
        await citra.press("2")
        await _settle(circle, pilots)
        assert "✓ Answer sent: B) False" in text(late, "#quiz-status")

        await ayu.press("escape")  # Ayu leaves
        await _settle(circle, pilots)
        assert "1 of 2 answered" in text(host, "#quiz-status")
        assert "Left: Ayu" in text(host, "#quiz-status")


async def test_each_reveal_is_checked_as_it_arrives_and_a_wrong_one_says_so(tmp_path):
    circle = await quiz_circle(tmp_path)
    session = await lobby(circle)
    lead = QuizRunner(circle.lead)
    ayu = circle.players[0]
    async with _app(ayu).run_test(size=(80, 24)) as pilot:
        player = await _join(pilot)
        await lead.open_question(session, 0)
        await circle.sync()
        await lead.close(session)
        await lead.reveal(session)  # question 1's true key and salt
        await circle.sync()
        await until(pilot, lambda: "Checked: the answer fixed" in text(player, "#quiz-status"))

        # Question 2 is revealed with another key than the one the quiz was published
        # with (its right salt, so only the key differs).
        await lead.open_question(session, 1)
        await circle.sync()
        await lead.close(session)
        salts, _ = lead.held_keys(circle.lead.state.quizzes[circle.quiz])
        forged = {"choices": [0]}  # "True", where the published key says "False"
        data = {"session": session, "question": 1, "key": forged, "salt": salts[1]}
        circle.lead.submit("quiz.reveal", data)
        await circle.sync()
        await until(pilot, lambda: "NOT the answer fixed" in text(player, "#quiz-status"))
        # Checked at once: the last question has not even been asked.
        assert 2 not in ayu.state.sessions[session].revealed
        assert "changed after the quiz started" in text(player, "#quiz-status")

        await lead.finish(session)
        await circle.sync()
        ended = "The answer to question 2 is NOT the one fixed"
        await until(pilot, lambda: ended in text(player, "#quiz-status"))


async def test_a_hands_free_quiz_runs_to_its_podium_with_no_key_pressed(tmp_path):
    """The lead picks hands-free in the run-live dialog and asks question 1; from there
    on no key is pressed: each question closes (everyone answered, or its time is up),
    is revealed, its leaderboard shows 5 s, and the next comes, to the podium."""
    circle = await quiz_circle(tmp_path)
    ayu, budi, citra = (QuizRunner(p) for p in circle.players)
    async with _app(circle.lead).run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("z", "l")
        await pilot.pause()
        dialog = pilot.app.screen
        assert isinstance(dialog, LiveSettingsScreen)
        dialog.query_one("#quiz-hands-free", Checkbox).value = True
        await pilot.pause()
        seconds = dialog.query_one("#quiz-hands-free-s", Input)
        seconds.value = "5"
        seconds.focus()
        await pilot.press("enter")  # enter on a number field opens the lobby
        await pilot.pause()
        host = pilot.app.screen
        assert isinstance(host, LiveQuizScreen)
        session = host.session_id
        assert circle.lead.state.sessions[session].hands_free == 5
        await circle.sync()
        for player in (ayu, budi, citra):
            await player.join(session)
        await circle.sync()
        await pilot.press("n")  # question 1: the last key the lead presses
        await pilot.pause()
        pressed_after = pilot.app.screen  # nothing below presses a key in the lead's app

        async def answered_by_all(question: int, values) -> None:
            for player, value in zip((ayu, budi, citra), values, strict=True):
                circle.clock.advance(1_000)
                await circle.sync()
                await player.answer(session, question, value)
            await circle.sync()

        # Question 1: all answer, so it closes at once; revealed with it.
        await answered_by_all(0, ([1], [1], [0]))
        await until(pilot, lambda: stage(circle.lead, session) == "revealed")
        await until(pilot, lambda: "Next question in 0:05" in text(host, "#quiz-countdown"))
        # The countdown ticks on its own; the room's last answers redraw the rest within
        # ROOM_SECONDS, so a loaded machine may show the countdown first.
        await until(pilot, lambda: "Leaderboard" in text(host, "#quiz-board"))
        circle.clock.advance(5_000)  # the leaderboard's 5 s
        await until(pilot, lambda: stage(circle.lead, session) == "open")
        # Question 2: no one answers; its 20 s run out.
        circle.clock.advance(20_000)
        await until(pilot, lambda: stage(circle.lead, session) == "revealed")
        circle.clock.advance(5_000)
        await until(pilot, lambda: circle.lead.state.sessions[session].current == 2)
        await circle.sync()
        await answered_by_all(2, (8.0, 7.0, 9.0))
        await until(pilot, lambda: "The podium in" in text(host, "#quiz-countdown"))
        circle.clock.advance(5_000)
        await until(pilot, lambda: stage(circle.lead, session) == "finished")
        await pilot.pause()
        assert pilot.app.screen is pressed_after
        podium = text(host, "#quiz-board")
        assert "Final podium" in podium and "Ayu" in podium
    await circle.sync()
    assert QuizRunner(circle.players[0]).keys_verified(session) is True


async def test_feedback_is_rendered_as_its_question_is_written(tmp_path):
    circle = await quiz_circle(tmp_path, players=("Ayu",))
    question = Question(
        kind="multiple_choice",
        text="What does `7 // 2` give?",
        choices=["3", "3.5"],
        text_format="markdown",
    )
    key = Key(
        choices=[0],
        feedback=["", "That is `7 / 2`; **floor** division rounds down."],
        general_feedback="`//` is *floor* division.",
    )
    quiz = (await QuizRunner(circle.lead).create("Markdown", [question], [key], circle.channel)).id
    await circle.sync()
    session = (await QuizRunner(circle.lead).start(quiz)).id
    await circle.sync()
    ayu = circle.players[0]
    async with _app(ayu).run_test(size=(80, 24)) as pilot:
        player = await _join(pilot)
        await circle.sync()
        await QuizRunner(circle.lead).open_question(session, 0)
        await circle.sync()
        await until(pilot, lambda: stage(ayu, session) == "open")
        await pilot.press("b")  # 3.5: wrong, with feedback
        await until(pilot, lambda: player.my_answer(0) is not None)  # made in a worker
        await circle.sync()
        await QuizRunner(circle.lead).close(session)
        await QuizRunner(circle.lead).reveal(session)
        await circle.sync()
        explain = player.query_one("#quiz-explain")
        # Not only shown but laid out: the reveal may arrive just before the screen's
        # next layout, and until then the feedback has no place on screen (reads empty).
        await until(pilot, lambda: explain.display and explain.region.area > 0)
        feedback = " ".join(shown(explain).split())
        assert "That is 7 / 2; floor division rounds down." in feedback
        assert "// is floor division." in feedback
        assert "`" not in feedback and "*" not in feedback


def test_an_older_quiz_ended_early_says_in_plain_words_why_it_was_not_checked():
    keys = [Key(choices=[1]), Key(choices=[0]), Key(choices=[1])]
    quiz = Quiz("q", "Q", None, "host", [Question(kind="true_false", text="?")] * 3, None, None, 0)
    quiz.key_hash = quizkeys.key_hash(["a", "b", "c"], keys)  # one hash for all: older quizzes
    session = QuizSession("s", "q", "host", "live", "accuracy", False, 5, 0)
    session.revealed[0], session.salts[0] = msgspec.convert({"choices": [1]}, Key), "a"
    line = quiz_room.final_check_line(quiz, session)
    assert "one hash for all its answers, and 2 questions ended unrevealed" in line
    assert "needs every question" not in line
    session.revealed[1], session.salts[1] = keys[1], "b"
    session.revealed[2], session.salts[2] = keys[2], "c"
    assert "✓ Checked: every answer" in quiz_room.final_check_line(quiz, session)


async def test_a_player_below_the_top_sees_their_place_and_the_podium_keeps_a_0_point_third(
    tmp_path,
):
    """Top 1 on the board: Citra, last with no points, still sees her own line and place;
    the reveal says how the room did; the podium of a room of three has all three."""
    circle = await quiz_circle(tmp_path)
    session = await lobby(circle, scoring="speed", top_n=1)
    lead = QuizRunner(circle.lead)
    ayu, budi, _ = (QuizRunner(p) for p in circle.players)
    citra = circle.players[2]
    async with _app(citra).run_test(size=(80, 24)) as pilot:
        player = await _join(pilot)
        await lead.open_question(session, 0)
        await circle.sync()
        await until(pilot, lambda: stage(citra, session) == "open")
        circle.clock.advance(1_000)
        await ayu.answer(session, 0, [1])  # "3": right, first
        circle.clock.advance(3_000)
        await budi.answer(session, 0, [1])  # right, later
        await circle.sync()
        await pilot.press("1")  # "2": wrong
        await circle.sync()
        await lead.close(session)
        await lead.reveal(session)
        await circle.sync()
        await until(pilot, lambda: "Answer:" in text(player, "#quiz-status"))

        assert "✗ Not right +0 pts · you are 3rd of 3" in text(player, "#quiz-status")
        board = text(player, "#quiz-board")
        assert "1. Ayu" in board and "Budi" not in board  # the top 1
        assert "… 3. Citra 0 pts" in board and "← you" in board  # and her own line
        tally = text(player, "#quiz-tally")
        assert "2 of 3 players right (67%) · 3 answered" in tally

        await lead.finish(session)
        await circle.sync()
        await until(pilot, lambda: "Final podium" in text(player, "#quiz-board"))
        podium = text(player, "#quiz-board")
        assert "1. Ayu" in podium and "2. Budi" in podium and "3. Citra 0 pts" in podium
        assert "…" not in podium  # on the podium itself, not as her own line below it


async def test_the_question_table_at_the_end_fits_80_columns(tmp_path):
    """At 80x24 the per-question table ran two columns past the screen: the fastest
    player's time was cut ("Budi Santoso 2.8") and a scrollbar appeared under it."""
    circle = await quiz_circle(tmp_path, players=("Budi Santoso",))
    session = await asked(circle)
    lead, budi = (QuizRunner(service) for service in circle.everyone)
    circle.clock.advance(2_800)
    await budi.answer(session, 0, [1])
    await circle.sync()
    for step in (lead.close, lead.reveal, lead.finish):
        await step(session)
    await circle.sync()
    async with _app(circle.lead).run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        pilot.app.push_screen(LiveQuizScreen(circle.lead, session))
        await pilot.pause()
        table = pilot.app.screen.query_one("#quiz-stats", DataTable)
        assert "Budi Santoso 2.8 s" in [str(cell) for cell in table.get_row_at(0)]
        assert table.max_scroll_x == 0, (table.virtual_size, table.size)


async def test_a_player_served_over_ssh_comes_back_into_the_quiz_they_are_seated_in(tmp_path):
    """A player whose connection dropped mid-question starts again in the live quiz (the
    question open, their seat kept); one not seated in it, and a local app, open on the
    channels as always."""
    circle = await quiz_circle(tmp_path)
    ayu, budi = circle.players[:2]
    session = await asked(circle, players=[ayu])

    def served(player) -> StudyCircleApp:
        settings = Settings(name=player.state.members[player.me].name)
        return StudyCircleApp(player, sync=False, settings=settings, remote="ssh")

    async with served(ayu).run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(pilot.app.screen, LiveQuizScreen))
        screen = pilot.app.screen
        await until(
            pilot, lambda: screen.query(".-head") and "Question 1 of 3" in text(screen, ".-head")
        )
        assert screen.session_id == session
    for app in (served(budi), _app(ayu)):
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            await pilot.press("z")  # the Quiz pane: the keys reach the main screen
            await pilot.pause()
            assert not isinstance(pilot.app.screen, LiveQuizScreen)
            assert pilot.app.screen.query_one("#quiz-list").display
