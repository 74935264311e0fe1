"""A practice attempt driven key by key: feedback after each question, the score and a
review at the end, the result shared (``quiz.result``) and the best score in the pane."""

from textual.widgets import OptionList

from quiz_helpers import quiz_circle, shown
from studycircle_tui.core.ops import Key, Question
from studycircle_tui.sync.quizrun import QuizRunner
from studycircle_tui.tui.app import StudyCircleApp
from studycircle_tui.tui.screens.quiz import QuizPaneScreen
from studycircle_tui.tui.screens.quiz_practice import PracticeScreen


def _text(screen, selector: str) -> str:
    return str(screen.query_one(selector).render())


async def test_practise_a_quiz_see_feedback_and_the_review_and_keep_the_best(tmp_path):
    circle = await quiz_circle(tmp_path, practice=True)
    ayu = circle.players[0]
    app = StudyCircleApp(ayu, sync=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("z", "enter")
        await pilot.pause()
        practice = app.screen
        assert isinstance(practice, PracticeScreen)

        await pilot.press("c")  # "4": wrong
        await pilot.pause()
        feedback = _text(practice, "#quiz-feedback")
        assert "Not right" in feedback and "The answer: B) 3" in feedback
        await pilot.press("enter", "b")  # next; "False": right
        await pilot.pause()
        assert "Right" in _text(practice, "#quiz-feedback")
        assert "Tuples are immutable" in shown(practice.query_one("#quiz-explain"))
        await pilot.press("enter", "7", ",", "5", "enter")  # 7.5: within 7 ± 1, half credit
        await pilot.pause()
        assert "Partly right (50%)" in _text(practice, "#quiz-feedback")
        await pilot.press("enter")
        await pilot.pause()
        review = _text(practice, "#quiz-review")
        assert "Your score: 2 of 4 (50%)" in review
        assert "you: C) 4" in review and "answer: B) 3" in review

        await pilot.press("escape")
        await pilot.pause()
        pane = app.screen
        assert isinstance(pane, QuizPaneScreen)
        line = str(pane.query_one(OptionList).get_option_at_index(0).prompt)
        assert "best 50%" in line

    await circle.sync()
    assert circle.lead.state.quizzes[circle.quiz].best[ayu.me] == 0.5


async def test_several_choices_are_ticked_and_unticked_by_key_then_sent_with_enter(tmp_path):
    circle = await quiz_circle(tmp_path, practice=True)
    several = Question(
        kind="multiple_answer", text="Which are immutable?", choices=["list", "tuple", "str"]
    )
    runner = QuizRunner(circle.lead)
    quiz = await runner.create(
        "Types", [several], [Key(choices=[1, 2])], circle.channel, practice=True
    )
    await circle.sync()
    ayu = circle.players[0]
    app = StudyCircleApp(ayu, sync=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.push_screen(PracticeScreen(ayu, quiz.id, [Key(choices=[1, 2])]))
        await pilot.pause()
        practice = app.screen
        await pilot.press("a", "3", "a")  # list on, str on, list off again
        await pilot.pause()
        assert practice.picked == {2} and not practice.grades  # nothing sent yet
        await pilot.press("b", "enter")
        await pilot.pause()
        assert "Right" in _text(practice, "#quiz-feedback")
        assert practice.grades[0].credit == 1.0
