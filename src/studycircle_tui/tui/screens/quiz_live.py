"""A live quiz, for its lead and for players alike: lobby → question with countdown →
answers → close → reveal (the right answer and how the group answered) → leaderboard →
next; at the end a podium and per-question statistics.

Everything shown comes from the circle's log, so every member's screen agrees; only the
lead's "leaderboard" step is the lead's own (no op marks it). The lead paces the quiz:
``n`` goes on, ``p`` pauses, ``+`` adds time, ``s`` skips to the close, ``x`` ends it.
This screen only shows: the lead's pacer (sync/pacer.py, run beside the sync loop) closes
a question when its time is up or everyone answered, whatever screen is showing.
"""

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.events import Key as KeyEvent
from textual.widgets import DataTable, Footer, Input, Label, Static

from ...core import quizscore, sessionscore
from ...core.state import Quiz, QuizSession
from ...sync.engine import CircleService
from ...sync.quizrun import ADD_SECONDS, LiveStage, live_stage, players_expected
from ..visible import markup_line, markup_text, names_of, visible_line
from ..widgets.quiz_views import (
    CHOICE_KINDS,
    BarChart,
    Countdown,
    Leaderboard,
    QuestionView,
    answer_hint,
    grade_markup,
    needs_typing,
    summary_line,
    typed_answer,
)
from .quiz import QuestionScreen

TICK_SECONDS = 0.25
LEAD_ACTIONS = {"advance", "pause", "add_time", "skip", "end"}


class LiveQuizScreen(QuestionScreen):
    BINDINGS = [
        Binding("n", "advance", "Next", tooltip="Ask, reveal, show the leaderboard, go on"),
        Binding("p", "pause", "Pause/resume", tooltip="Stop or restart the countdown"),
        Binding("plus,equals_sign", "add_time", f"+{ADD_SECONDS} s", tooltip="Add time"),
        Binding("s", "skip", "Close now", tooltip="Close the question now, before its time is up"),
        Binding("x", "end", "End", tooltip="End the quiz here"),
        Binding("enter", "send", "Send", tooltip="Send the ticked choices"),
        Binding("e", "export", "Export CSV", tooltip="Write the results as CSV"),
        Binding("escape", "leave", "Leave", tooltip="Back to the quizzes (the quiz goes on)"),
    ]

    def __init__(self, service: CircleService, session_id: str, *, tick: bool = True) -> None:
        super().__init__(service)
        self.session_id = session_id
        self.board_for: int | None = None  # the lead is showing the leaderboard after it
        self._tick_enabled = tick
        self._shown_question = -2
        self._bindings_for: object = None

    # --- reading ----------------------------------------------------------------------

    @property
    def session(self) -> QuizSession:
        return self.service.state.sessions[self.session_id]

    @property
    def quiz(self) -> Quiz:
        return self.service.state.quizzes[self.session.quiz_id]

    @property
    def lead(self) -> bool:
        return self.session.host == self.service.me

    def stage(self) -> LiveStage:
        return live_stage(self.session)

    def my_answer(self, question: int) -> tuple[object, int] | None:
        return self.session.answers.get(question, {}).get(self.service.me)

    # --- layout -----------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Vertical(id="quiz-live"):
            yield Label("", id="quiz-live-title", classes="quiz-title")
            with VerticalScroll(id="quiz-body"):
                yield Static("", id="quiz-lobby")
                yield Countdown(id="quiz-countdown")
                yield QuestionView(id="quiz-question")
                yield Input(id="quiz-typed", placeholder="Your answer")
                yield Static("", id="quiz-status")
                yield BarChart(id="quiz-chart")
                yield Leaderboard(id="quiz-board")
                yield DataTable(id="quiz-stats", cursor_type="row", zebra_stripes=True)
            yield Static("", id="quiz-note")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#quiz-stats", DataTable)
        table.add_columns("#", "Question", "Answered", "Right", "Avg s")
        self.refresh_view()
        if self._tick_enabled:
            self.set_interval(TICK_SECONDS, self.tick)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in LEAD_ACTIONS and not self.lead:
            return False
        stage = self.stage()
        if action == "advance":
            return stage.name in ("lobby", "closed", "revealed")
        if action in ("pause", "skip"):
            return stage.name in ("open", "paused")
        if action == "add_time":
            return stage.name == "open"
        if action == "end":
            return stage.name != "finished"
        if action == "export":
            return stage.name == "finished"
        if action == "send":
            return (
                not self.lead
                and stage.name == "open"
                and self.quiz.questions[stage.question].kind == "multiple_answer"
                and self.my_answer(stage.question) is None
            )
        return True

    # --- showing ----------------------------------------------------------------------

    def refresh_view(self) -> None:
        if self.session_id not in self.service.state.sessions:
            return
        stage = self.stage()
        if stage.question != self._shown_question:
            self._shown_question = stage.question
            self.picked = set()
        quiz, who = self.quiz, names_of(self.service.state)
        total = len(quiz.questions)
        host = who.get(self.session.host, "the lead")
        role = "you host" if self.lead else f"hosted by {host}"
        where = {
            "lobby": "lobby",
            "finished": "finished",
        }.get(stage.name, f"question {stage.question + 1} of {total}")
        self.query_one("#quiz-live-title", Label).update(
            f"Live · {visible_line(quiz.title)} · {where} · {role}"
        )
        parts = {
            "#quiz-lobby": stage.name == "lobby",
            "#quiz-countdown": stage.name in ("open", "paused"),
            "#quiz-question": stage.name in ("open", "paused", "closed", "revealed")
            and self.board_for != stage.question,
            "#quiz-typed": False,
            "#quiz-status": stage.name != "lobby",
            "#quiz-chart": stage.name == "revealed" and self.board_for != stage.question,
            "#quiz-board": stage.name in ("revealed", "finished"),
            "#quiz-stats": stage.name == "finished",
        }
        if stage.name == "lobby":
            self._show_lobby(who)
        elif stage.name == "finished":
            self._show_finish(who)
        else:
            parts["#quiz-typed"] = self._show_question(stage, who)
            if stage.name == "revealed":
                parts["#quiz-board"] = self._show_reveal(stage, who)
        for selector, shown in parts.items():
            self.query_one(selector).display = shown
        typed = self.query_one("#quiz-typed", Input)
        if typed.display and not typed.has_focus:
            typed.focus()
        elif not typed.display and typed.has_focus:
            self.query_one("#quiz-body").focus()  # choice keys must reach the screen
        self.query_one("#quiz-note", Static).update(self._note())
        self.update_countdown()
        shown = (stage, self.board_for, self.picked and True, self.my_answer(stage.question))
        if shown != self._bindings_for:  # the footer rebuilds on each refresh: only on change
            self._bindings_for = shown
            self.refresh_bindings()

    def _note(self) -> str:
        if self.service.transport.ordering == "seq":
            return "The server keeps answers sealed until each question closes."
        return "Shared file: everyone's answers can be read in it as soon as they are given."

    def _keys_text(self) -> str:
        if self.quiz.keys is not None:
            return "Its answer key is already in the log: it was shared for practice."
        return "Its answer key stays with the lead until each question's reveal."

    def _scoring_text(self) -> str:
        session = self.session
        text = "speed scoring" if session.scoring == "speed" else "accuracy scoring"
        if session.streak:
            text += " · streak bonus"
        return f"{text} · top {session.top_n} on the leaderboard"

    def _show_lobby(self, who: dict[str, str]) -> None:
        count = len(self.quiz.questions)
        lines = [
            f"[b]{markup_line(self.quiz.title)}[/b] · {count} question{'s' * (count != 1)}",
            self._scoring_text(),
            self._keys_text(),
            "",
        ]
        players = [who[p] for p in players_expected(self.service.state, self.session)]
        if self.lead:
            lines.append("The lobby is open: members join from their Quiz pane.")
            lines.append(
                f"Who can play ({len(players)}): {markup_line(', '.join(sorted(players)))}"
            )
            lines.append("")
            lines.append("[b]n[/b]: ask question 1")
        else:
            host = who.get(self.session.host, "the lead")
            lines.append(f"You are in. Waiting for {markup_line(host)} to ask the first question…")
        self.query_one("#quiz-lobby", Static).update("\n".join(lines))

    def _show_question(self, stage: LiveStage, who: dict[str, str]) -> bool:
        """The question and how answering goes; True when the answer box should show."""
        index, session = stage.question, self.session
        question = self.quiz.questions[index]
        key = session.revealed.get(index)
        mine = self.my_answer(index)
        picked = set(self.picked)
        if mine is not None and isinstance(mine[0], list) and question.kind in CHOICE_KINDS:
            picked = set(mine[0])
        self.query_one(QuestionView).show(
            question,
            index + 1,
            len(self.quiz.questions),
            picked=picked,
            key=key,
            choices=stage.name != "revealed",
        )
        expected = players_expected(self.service.state, session)
        answered = [p for p in session.answered.get(index, set()) if p != session.host]
        count = f"{len(answered)} of {len(expected)} answered"
        status = self.query_one("#quiz-status", Static)
        typing = False
        if stage.name in ("open", "paused"):
            if self.lead:
                names_in = ", ".join(sorted(who.get(p, "?") for p in answered))
                lines = [f"[b]{count}[/b]" + (f": {markup_line(names_in)}" if names_in else "")]
                lines.append("[dim]s: close it now · p: pause · +: more time · x: end[/dim]")
                status.update("\n".join(lines))
            elif mine is not None:
                given = quizscore.answer_text(question, mine[0])  # type: ignore[arg-type]
                status.update(
                    f"[b $success]✓ Answer sent[/] ({markup_line(given)}). "
                    f"Waiting for the others: {count}."
                )
            elif stage.name == "paused":
                status.update("[$warning]The lead has paused the quiz.[/]")
            else:
                typing = needs_typing(question)
                status.update(answer_hint(question))
        elif stage.name == "closed":
            after = "n: reveal the answer" if self.lead else "waiting for the reveal"
            late = session.deadline_ms and self.service.now_ms() >= session.deadline_ms
            closed = "[b]Time's up.[/b]" if late else "[b]Answers are closed.[/b]"
            status.update(f"{closed} {count} · {after}")
        return typing

    def _show_reveal(self, stage: LiveStage, who: dict[str, str]) -> bool:
        """The right answer, the bar chart, this player's mark; True to show the board."""
        index, session, quiz = stage.question, self.session, self.quiz
        question, key = quiz.questions[index], session.revealed[index]
        score = sessionscore.score_session(quiz, session)
        stats = quizscore.session_question_stats(quiz, session, index)
        standings = score.standings(who)
        mine = next((s for s in standings if s.player == self.service.me), None)
        lines = [f"[b]Answer:[/b] {markup_line(quizscore.right_answer_text(question, key))}"]
        mark = score.mark(self.service.me, index)
        if not self.lead:
            if mark is None or mark.answer is None:
                lines.append("[$warning]You did not answer this one.[/]")
            else:
                grade = quizscore.grade(question, key, mark.answer)
                place = f" · you are {_ordinal(mine.rank)} of {len(standings)}" if mine else ""
                lines.append(grade_markup(grade, mark.points, place))
        if key.general_feedback:
            lines.append(markup_text(key.general_feedback))
        players = max(len(standings), len(players_expected(self.service.state, session)))
        lines.append(
            f"{stats.right} of {players} player{'s' * (players != 1)} right"
            f" · {stats.answered} answered"
        )
        board_shown = self.board_for == index
        if board_shown:
            last = index + 1 >= len(quiz.questions)
            lines = [
                f"After question {index + 1}: " + ("n: finish" if last else "n: next question")
            ]
        elif self.lead:
            lines.append("[dim]n: leaderboard[/dim]")
        self.query_one("#quiz-status", Static).update("\n".join(lines))
        width = max(40, self.size.width - 4)
        self.query_one(BarChart).show(stats.bars, width=min(width, 100))
        top = session.top_n if board_shown else min(session.top_n, 3)
        self.query_one(Leaderboard).show(
            standings[:top], who, self.service.me, title="Leaderboard", mine=mine
        )
        return board_shown or not self.lead

    def _show_finish(self, who: dict[str, str]) -> None:
        quiz, session = self.quiz, self.session
        score = sessionscore.score_session(quiz, session)
        standings = score.standings(who)
        mine = next((s for s in standings if s.player == self.service.me), None)
        self.query_one(Leaderboard).show(
            score.podium(who), who, self.service.me, title="Final podium", mine=mine
        )
        verified = self.runner.keys_verified(self.session_id)
        check = {
            True: "[$success]✓ every revealed key matches the hash published at the start[/]",
            False: "[b $error]✗ the revealed keys do NOT match the hash published at the start[/]",
            None: "[dim]Key check: it needs every question revealed (the quiz ended early)[/dim]"
            if quiz.key_hash
            else "[dim]Key check: none needed, this quiz was shared with its keys[/dim]",
        }[verified]
        lines = [
            f"[b]The quiz is over.[/b] {_count(len(score.counted), 'question')} counted, "
            f"{_count(len(standings), 'player')}.",
            check,
            "e: export the results as CSV · esc: back",
        ]
        self.query_one("#quiz-status", Static).update("\n".join(lines))
        table = self.query_one("#quiz-stats", DataTable)
        table.clear()
        for index in range(len(quiz.questions)):
            stats = quizscore.session_question_stats(quiz, session, index)
            text = summary_line(quiz.questions[index], 40)
            revealed = index in session.revealed
            average = "-" if stats.average_seconds is None else f"{stats.average_seconds:.1f}"
            right = str(stats.right) if revealed else "-"
            table.add_row(str(index + 1), text, str(stats.answered), right, average)

    def update_countdown(self) -> None:
        stage = self.stage()
        if stage.name not in ("open", "paused"):
            return
        question = self.quiz.questions[stage.question]
        left = self.runner.remaining_ms(self.session)
        self.query_one(Countdown).show(left, question.seconds * 1000, paused=stage.name == "paused")

    # --- time -------------------------------------------------------------------------

    def tick(self) -> None:
        """Redraw the countdown. Closing on time is the lead's pacer's job (sync/pacer.py),
        so a question closes whether or not this screen is showing."""
        if self.session_id in self.service.state.sessions:
            self.update_countdown()

    # --- the lead's actions -------------------------------------------------------------

    def action_advance(self) -> None:
        stage = self.stage()
        if stage.name == "lobby":
            self.submit(self.runner.open_question, self.session_id, 0)
        elif stage.name == "closed":
            self.submit(self.runner.reveal, self.session_id)
        elif stage.name == "revealed" and self.board_for != stage.question:
            self.board_for = stage.question
        elif stage.name == "revealed":
            following = stage.question + 1
            if following < len(self.quiz.questions):
                self.submit(self.runner.open_question, self.session_id, following)
            else:
                self.submit(self.runner.finish, self.session_id)
        self.refresh_view()

    def action_pause(self) -> None:
        if self.stage().name == "paused":
            self.submit(self.runner.resume, self.session_id)
        else:
            self.submit(self.runner.pause, self.session_id)
        self.refresh_view()

    def action_add_time(self) -> None:
        self.submit(self.runner.add_time, self.session_id)
        self.refresh_view()

    def action_skip(self) -> None:
        self.submit(self.runner.close, self.session_id)
        self.refresh_view()

    def action_end(self) -> None:
        from .dialogs import ConfirmScreen

        def confirmed(yes: bool | None) -> None:
            if not yes:
                return
            # The question being asked still counts: it is closed and revealed first.
            if self.stage().name in ("open", "paused"):
                self.submit(self.runner.close, self.session_id)
            if self.stage().name == "closed":
                self.submit(self.runner.reveal, self.session_id)
            self.submit(self.runner.finish, self.session_id)
            self.refresh_view()

        question = "End the quiz for everyone? (The question being asked is revealed first.)"
        self.app.push_screen(ConfirmScreen(question, "End it"), confirmed)

    # --- the players' actions -----------------------------------------------------------

    def on_key(self, event: KeyEvent) -> None:
        stage = self.stage()
        if self.lead or stage.name != "open" or self.my_answer(stage.question) is not None:
            return
        question = self.quiz.questions[stage.question]
        self.take_answer_key(event, question, self._send)

    def action_send(self) -> None:
        if self.picked:
            self._send(sorted(self.picked))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        stage = self.stage()
        if stage.name != "open" or self.lead:
            return
        value, problem = typed_answer(self.quiz.questions[stage.question], event.value)
        if value is None:
            self.notify(problem, severity="warning")
            return
        event.input.value = ""
        self._send(value)

    def _send(self, value: object) -> None:
        stage = self.stage()
        self.submit(self.runner.answer, self.session_id, stage.question, value)
        self.refresh_view()
        self.query_one("#quiz-body").focus()

    # --- everyone -------------------------------------------------------------------------

    def action_export(self) -> None:
        from datetime import UTC, datetime

        from .export import Export, offer_export

        day = datetime.fromtimestamp(self.session.started_ms / 1000, UTC).strftime("%Y-%m-%d")
        slug = "".join(c if c.isalnum() else "-" for c in self.quiz.title.lower()).strip("-")
        data = self.runner.results_csv(self.session_id).encode("utf-8")
        offer_export(self, Export("the results as CSV", f"{slug or 'quiz'}-{day}.csv", data))

    def action_leave(self) -> None:
        self.dismiss()


def _ordinal(number: int) -> str:
    suffix = (
        "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    )
    return f"{number}{suffix}"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'s' * (number != 1)}"
