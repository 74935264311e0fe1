"""A practice attempt: one question at a time, feedback after each, then the score and a
review. Marked on this device; only the score is shared (``quiz.result``), which keeps
each member's best score in the Quiz pane."""

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.events import Key as KeyEvent
from textual.widgets import Input, Label, Static

from ...core import quizscore
from ...core.ops import Key
from ...core.quizscore import Grade
from ...i18n import _
from ...sync.engine import CircleService
from ..actions import bindings_for, key_for
from ..intents import ask
from ..visible import markup_line, visible_line
from ..widgets.footer import AppFooter
from ..widgets.quiz_views import (
    FeedbackView,
    QuestionView,
    QuizBody,
    QuizText,
    answer_hint,
    grade_markup,
    needs_typing,
    summary_line,
    typed_answer,
)
from ..widgets.status_line import StatusLine
from .quiz import QuestionScreen, percent


class PracticeScreen(QuestionScreen):
    BINDINGS = bindings_for("practice")
    KEY_SCOPES = ("practice",)

    def __init__(self, service: CircleService, quiz_id: str, keys: list[Key]) -> None:
        super().__init__(service)
        self.quiz_id = quiz_id
        self.keys = keys
        self.index = 0
        self.stage = "asking"  # "asking" | "feedback" | "review"
        self.answers: list[object | None] = []
        self.grades: list[Grade] = []
        self.recorded = False

    @property
    def quiz(self):
        return self.service.state.quizzes[self.quiz_id]

    def compose(self) -> ComposeResult:
        with Vertical(id="quiz-practice"):
            yield Label("", id="quiz-practice-title", classes="quiz-title", markup=False)
            with QuizBody(id="quiz-body"):
                yield QuestionView(id="quiz-question")
                yield Input(id="quiz-typed", placeholder=_("Your answer"))
                yield QuizText("", id="quiz-feedback")
                yield FeedbackView(id="quiz-explain")
                yield QuizText("", id="quiz-review")
            yield QuizText("", id="quiz-hint")
        yield StatusLine(self.service, quiz_only=True)
        yield AppFooter()

    def on_mount(self) -> None:
        self.refresh_view()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "next":
            if self.stage == "asking":
                return self.quiz.questions[self.index].kind == "multiple_answer"
            return self.stage == "feedback"
        return True

    # --- showing ----------------------------------------------------------------------

    def refresh_view(self) -> None:
        quiz = self.quiz
        total = len(quiz.questions)
        title = _("Practice") + f" · {visible_line(quiz.title)}"
        if self.stage != "review":
            where = _("question {number} of {total}").format(number=self.index + 1, total=total)
            title += f" · {where}"
        self.query_one("#quiz-practice-title", Label).update(title)
        view = self.query_one(QuestionView)
        typed = self.query_one("#quiz-typed", Input)
        feedback = self.query_one("#quiz-feedback", Static)
        explain = self.query_one(FeedbackView)
        review = self.query_one("#quiz-review", Static)
        hint = self.query_one("#quiz-hint", Static)
        view.display = self.stage != "review"
        review.display = self.stage == "review"
        feedback.display = explain.display = self.stage == "feedback"
        if self.stage == "review":
            typed.display = False
            review.update(self._review())
            hint.update(f"{key_for(self, 'practice', 'leave')}: " + _("back to the quizzes"))
            self.refresh_bindings()
            return
        question = quiz.questions[self.index]
        key = self.keys[self.index] if self.stage == "feedback" else None
        view.show(question, self.index + 1, total, picked=self.picked, key=key)
        typed.display = self.stage == "asking" and needs_typing(question)
        if typed.display:
            typed.focus()
        if self.stage == "feedback":
            grade = self.grades[-1]
            right = quizscore.right_answer_text(question, self.keys[self.index])
            lines = [grade_markup(grade)]
            if not grade.correct:
                lines.append(_("The answer: {answer}").format(answer=markup_line(right)))
            feedback.update("\n".join(lines))
            general = self.keys[self.index].general_feedback
            explain.display = explain.show(question, [grade.feedback, general])
            last = self.index + 1 == total
            then = _("see your score") if last else _("next question")
            hint.update(f"{key_for(self, 'practice', 'next')}: {then}")
        else:
            hint.update(answer_hint(question))
        self.refresh_bindings()

    def _review(self) -> str:
        quiz = self.quiz
        score, most = self.score()
        yours = _("Your score: {score} of {most} ({percent})").format(
            score=f"{score:g}", most=f"{most:g}", percent=percent(score / most if most else 0)
        )
        lines = [f"[b]{yours}[/b]"]
        best = quiz.best.get(self.service.me)
        if best is not None:
            lines.append(_("Your best: {percent}").format(percent=percent(best)))
        lines.append("")
        for index, (question, grade) in enumerate(zip(quiz.questions, self.grades, strict=False)):
            mark = (
                "[$success]✓[/]"
                if grade.correct
                else "[$warning]◐[/]"
                if grade.credit
                else "[$error]✗[/]"
            )
            lines.append(f"{mark} {index + 1}. {markup_line(summary_line(question, 70))}")
            given = quizscore.answer_text(question, self.answers[index], letters=True)  # type: ignore[arg-type]
            lines.append("     " + _("you:") + f" {markup_line(given) or '-'}")
            if not grade.correct:
                right = quizscore.right_answer_text(question, self.keys[index])
                lines.append("     " + _("answer:") + f" {markup_line(right)}")
        return "\n".join(lines)

    def score(self) -> tuple[float, float]:
        questions = self.quiz.questions
        score = sum(g.credit * q.points for g, q in zip(self.grades, questions, strict=False))
        return round(score, 6), sum(q.points for q in questions)

    # --- answering --------------------------------------------------------------------

    def on_key(self, event: KeyEvent) -> None:
        if self.stage != "asking":
            return
        question = self.quiz.questions[self.index]
        self.take_answer_key(event, question, self._answer)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if self.stage != "asking":
            return
        value, problem = typed_answer(self.quiz.questions[self.index], event.value)
        if value is None:
            self.query_one("#quiz-hint", Static).update(problem)
            return
        event.input.value = ""
        self._answer(value)

    def _answer(self, value: object) -> None:
        question = self.quiz.questions[self.index]
        self.answers.append(value)
        self.grades.append(quizscore.grade(question, self.keys[self.index], value))  # type: ignore[arg-type]
        self.stage = "feedback"
        self.refresh_view()
        self.query_one("#quiz-body").focus()

    def action_next(self) -> None:
        if self.stage == "asking":
            if self.picked:
                self._answer(sorted(self.picked))
            return
        if self.stage != "feedback":
            return
        self.picked = set()
        if self.index + 1 < len(self.quiz.questions):
            self.index += 1
            self.stage = "asking"
        else:
            self.stage = "review"
            self._record()
        self.refresh_view()

    def _record(self) -> None:
        if self.recorded:
            return
        self.recorded = True
        score, most = self.score()
        ask(self, self.runner.record_result, self.quiz_id, score, most)

    def action_leave(self) -> None:
        self.dismiss()
