"""A live quiz, for its lead and for players alike: lobby → question with countdown →
answers → close → reveal (the right answer, checked against its published hash, and how
the group answered) → leaderboard → next; at the end a podium and per-question
statistics.

Everything shown comes from the circle's log, so every member's screen agrees; only the
lead's "leaderboard" step is the lead's own (no op marks it). A player who opens this
screen joins the quiz (``quiz.join``) and leaves it with esc (``quiz.leave``): the lobby
and "N of M answered" count who is in. The lead paces the quiz: ``n`` goes on, ``p``
pauses, ``+`` adds time, ``s`` skips to the close, ``x`` ends it. This screen only shows:
the lead's pacer (sync/pacer.py, run beside the sync loop) closes a question when its
time is up or everyone in has answered, whatever screen is showing, and in a hands-free
quiz reveals it and goes on by itself. What the screen says is made in quiz_room.py.

About 550 lines, kept whole: one screen's stages, keys and layout, read top to bottom.
"""

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.events import Key as KeyEvent
from textual.timer import Timer
from textual.widgets import DataTable, Input, Label, Static

from ...core import quizscore
from ...core.replica import Change
from ...core.state import Quiz, QuizSession
from ...i18n import N_, _
from ...sync.engine import CircleService
from ...sync.intents import NotStored
from ...sync.pacer import next_at
from ...sync.quizrun import LiveStage, Stage, live_stage, players_expected, seat
from ..actions import bindings_for, key_for
from ..intents import ask, may
from ..messages import CircleChanged, SyncStatusChanged
from ..visible import markup_line, names_of
from ..widgets.footer import AppFooter
from ..widgets.quiz_views import (
    CHOICE_KINDS,
    BarChart,
    Countdown,
    FeedbackView,
    Leaderboard,
    QuestionView,
    QuizBody,
    QuizText,
    answer_hint,
    needs_typing,
    show_markup,
    summary_line,
    typed_answer,
)
from . import quiz_room
from .quiz import QuestionScreen

TICK_SECONDS = 0.25
# Others' answers, joins and leaves change only the counts and names on screen ("12 of
# 30 answered", the lobby's list): those are drawn at most this often. Thirty apps
# redrawing for each of thirty answers was most of an ssh-serve worker's time while a
# question was open (bench/ssh_sessions.py); a room joining at once is the same crowd.
ROOM_SECONDS = 0.5
# A join this computer could not store (``NotStored``) is asked again this much later,
# while the player is still out: they came to play, and the room waits for them.
JOIN_AGAIN_SECONDS = 3.0
LEAD_ACTIONS = {"advance", "pause", "add_time", "skip", "end"}
ROOM_OPS = ("quiz.answer", "quiz.answered", "quiz.join", "quiz.leave")


class LiveQuizScreen(QuestionScreen):
    BINDINGS = bindings_for("live")
    KEY_SCOPES = ("live",)

    def __init__(self, service: CircleService, session_id: str, *, tick: bool = True) -> None:
        super().__init__(service)
        self.session_id = session_id
        self.board_for: int | None = None  # the lead is showing the leaderboard after it
        self._tick_enabled = tick
        self._shown_question = -2
        self._bindings_for: object = None
        self._texts: dict[str, str] = {}
        self._room_timer: Timer | None = None
        self._answer_ops: dict[int, str] = {}  # question → this player's answer op
        # The end table's heads but the question's, as the language writes them.
        self._stat_heads = ["#", _("Right / answered"), _("Avg s"), _("Fastest right")]
        self._queued_shown = False  # whether the screen shows this player's answer queued

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

    def _key(self, name: str) -> str:
        """The key of a live-quiz action now, ready for markup (for the hints)."""
        return markup_line(key_for(self, "live", name))

    def _hosts(self) -> bool:
        """Whether this member runs the session: the rule every host's op is checked by."""
        return bool(may(self.service, "quiz.close", session=self.session_id))

    def stage(self) -> LiveStage:
        return live_stage(self.session)

    def _answer_queued(self, question: int) -> bool:
        """Whether this player's answer to ``question`` still waits to be sent."""
        op_id = self._answer_ops.get(question)
        return op_id is not None and self.service.waiting_to_send(op_id)

    def my_answer(self, question: int) -> tuple[object, int] | None:
        return self.session.answers.get(question, {}).get(self.service.me)

    def may_answer(self, stage: LiveStage) -> bool:
        """A player in for the open question who has not answered it yet."""
        session, me = self.session, self.service.me
        return (
            not self.lead
            and stage.kind is Stage.OPEN
            and me not in session.left
            and session.joined.get(me, stage.question) <= stage.question
            and self.my_answer(stage.question) is None
        )

    # --- layout -----------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Vertical(id="quiz-live"):
            yield Label("", id="quiz-live-title", classes="quiz-title")
            with QuizBody(id="quiz-body"):
                yield QuizText("", id="quiz-lobby")
                yield Countdown(id="quiz-countdown")
                yield QuestionView(id="quiz-question")
                yield Input(id="quiz-typed", placeholder=_("Your answer"))
                yield QuizText("", id="quiz-status")
                yield FeedbackView(id="quiz-explain")
                yield QuizText("", id="quiz-tally")
                yield BarChart(id="quiz-chart")
                yield Leaderboard(id="quiz-board")
                yield DataTable(id="quiz-stats", cursor_type="row", zebra_stripes=True)
            yield QuizText("", id="quiz-note")
        yield AppFooter()

    def on_mount(self) -> None:
        table = self.query_one("#quiz-stats", DataTable)
        heads = self._stat_heads
        table.add_columns(heads[0], _("Question"), *heads[1:])
        self._come_in()
        self.refresh_view()
        if self._tick_enabled:
            self.set_interval(TICK_SECONDS, self.tick)

    def _come_in(self) -> None:
        """A player who opens a running quiz joins it (again, after leaving)."""
        if self.session_id not in self.service.state.sessions:
            return
        if self.stage().kind is not Stage.FINISHED and seat(self.session, self.service.me) in (
            "out",
            "left",
        ):
            ask(self, self._join, done=self.refreshed)

    async def _join(self) -> None:
        """Join; asked again a little later when this computer could not store it."""
        try:
            await self.runner.join(self.session_id)
        except NotStored:
            self.set_timer(JOIN_AGAIN_SECONDS, self._come_in)
            raise  # and the player is told why they are not in yet

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in LEAD_ACTIONS and not self._hosts():
            return False
        stage = self.stage()
        if action in ("leave", "back"):  # leaving means something only while it runs
            playing = not self.lead and stage.kind is not Stage.FINISHED
            return playing == (action == "leave")
        if action == "advance":
            return stage.kind in (Stage.LOBBY, Stage.CLOSED, Stage.REVEALED)
        if action in ("pause", "skip"):
            return stage.kind in (Stage.OPEN, Stage.PAUSED)
        if action == "add_time":
            return stage.kind is Stage.OPEN
        if action == "end":
            return stage.kind is not Stage.FINISHED
        if action == "export":
            return stage.kind is Stage.FINISHED
        if action == "send":
            return (
                self.may_answer(stage)
                and self.quiz.questions[stage.question].kind == "multiple_answer"
            )
        return True

    # --- showing ----------------------------------------------------------------------

    def on_circle_changed(self, message: CircleChanged) -> None:
        # Textual runs each class's handler in turn: QuizBaseScreen's would redraw at
        # once whatever changed, and others' answers would never wait for the room's.
        message.prevent_default()
        if self.covered():
            return  # drawn when it shows again (on_screen_resume)
        if self._others_answering(message.change):
            if self._room_timer is None:
                self._room_timer = self.set_timer(ROOM_SECONDS, self._room_answered)
            return
        self.refresh_view()

    def on_sync_status_changed(self, message: SyncStatusChanged) -> None:
        # Of the sync's state this screen shows only whether this player's answer still
        # waits to be sent. In an ssh-serve worker every player's answer is queued and
        # sent (two statuses), and each redrew every player's screen at once.
        message.prevent_default()  # QuizBaseScreen's handler redraws whatever the status
        if self._answer_queued(self._shown_question) != self._queued_shown:
            self.refresh_shown()

    def _others_answering(self, change: Change) -> bool:
        me = self.service.me
        return (
            bool(change.applied)
            and not change.refolded
            and all(op.type in ROOM_OPS and op.actor != me for op in change.applied)
        )

    def _room_answered(self) -> None:
        self._room_timer = None
        self.refresh_view()

    def refresh_view(self) -> None:
        if self._room_timer is not None:  # this redraw shows the room's counts too
            self._room_timer.stop()
            self._room_timer = None
        if self.session_id not in self.service.state.sessions:
            return
        stage = self.stage()
        if stage.question != self._shown_question:
            self._shown_question = stage.question
            self.picked = set()
        self._queued_shown = self._answer_queued(stage.question)
        quiz, who = self.quiz, names_of(self.service.state)
        total = len(quiz.questions)
        host = who.get(self.session.host, _("the lead"))
        role = _("you host") if self.lead else _("hosted by {host}").format(host=host)
        where = {Stage.LOBBY: _("lobby"), Stage.FINISHED: _("finished")}.get(stage.kind)
        if where is None:
            where = _("question {number} of {total}").format(number=stage.question + 1, total=total)
        title = _("Live") + f" · {markup_line(quiz.title)} · {where} · {markup_line(role)}"
        self._put("#quiz-live-title", title)
        board = self.board_for == stage.question or bool(self.lead and self.session.hands_free)
        parts = {
            "#quiz-lobby": stage.kind is Stage.LOBBY,
            "#quiz-countdown": stage.kind in (Stage.OPEN, Stage.PAUSED)
            or next_at(self.session) is not None,
            "#quiz-question": stage.kind not in (Stage.LOBBY, Stage.FINISHED)
            and self.board_for != stage.question,
            "#quiz-typed": False,
            "#quiz-status": stage.kind is not Stage.LOBBY,
            "#quiz-explain": False,
            "#quiz-tally": stage.kind is Stage.REVEALED,
            "#quiz-chart": stage.kind is Stage.REVEALED and self.board_for != stage.question,
            "#quiz-board": stage.kind in (Stage.REVEALED, Stage.FINISHED),
            "#quiz-stats": stage.kind is Stage.FINISHED,
        }
        if stage.kind is Stage.LOBBY:
            self._show_lobby(who)
        elif stage.kind is Stage.FINISHED:
            self._show_finish(who)
        else:
            parts["#quiz-typed"] = self._show_question(stage, who)
            if stage.kind is Stage.REVEALED:
                parts["#quiz-explain"] = self._show_reveal(stage, who, board)
        for selector, shown in parts.items():
            self.query_one(selector).display = shown
        typed = self.query_one("#quiz-typed", Input)
        if typed.display and not typed.has_focus:
            typed.focus()
        elif not typed.display and typed.has_focus:
            self.query_one("#quiz-body").focus()  # choice keys must reach the screen
        self._put("#quiz-note", self._note())
        self.update_countdown()
        # The footer is built anew on each refresh of the bindings: only when the keys it
        # offers change (a player's stay the same from one question to the next).
        offered = tuple(bool(self.check_action(binding.action, ())) for binding in self.BINDINGS)
        if offered != self._bindings_for:
            self._bindings_for = offered
            self.refresh_bindings()

    def _put(self, selector: str, text: str) -> None:
        """Show ``text`` (markup) in a Static, drawn again only if it changed, and the
        screen laid out only if its shape may have: see ``widgets.quiz_views``."""
        old = self._texts.get(selector)
        if old != text:
            self._texts[selector] = text
            show_markup(self.query_one(selector, Static), old, text)

    def _note(self) -> str:
        if self.service.answers_sealed:
            return _("The server keeps answers sealed until each question closes.")
        return _("Shared file: everyone's answers can be read in it as soon as they are given.")

    def _keys_text(self) -> str:
        if self.quiz.keys is not None:
            return _("Its answer key is already in the log: it was shared for practice.")
        return _(
            "Its answer key stays with the lead until each question's reveal, and each "
            "answer revealed is checked against a hash published at the start."
        )

    def _show_lobby(self, who: dict[str, str]) -> None:
        count = len(self.quiz.questions)
        lines = [
            f"[b]{markup_line(self.quiz.title)}[/b] · {quiz_room.questions(count)}",
            quiz_room.settings_line(self.session),
            self._keys_text(),
            "",
            *quiz_room.lobby_lines(
                self.service.state, self.session, who, self.service.me, self._key
            ),
        ]
        self._put("#quiz-lobby", "\n".join(lines))

    def _show_question(self, stage: LiveStage, who: dict[str, str]) -> bool:
        """The question and how answering goes; True when the answer box should show."""
        index, session, state = stage.question, self.session, self.service.state
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
            choices=stage.kind is not Stage.REVEALED,
            live=True,
        )
        count = quiz_room.answered_line(state, session, index)
        typing = False
        if stage.kind in (Stage.OPEN, Stage.PAUSED):
            if self.lead:
                lines = quiz_room.host_status(state, session, index, who, self._key)
            elif mine is not None:
                if self._answer_queued(index):
                    lines = [quiz_room.queued_line(question, mine[0])]
                else:
                    sent = quiz_room.sent_line(question, mine[0])
                    lines = [sent, _("Waiting for the others: {count}.").format(count=count)]
            elif (late := quiz_room.late_line(session, self.service.me)) is not None:
                lines = [late]
            elif stage.kind is Stage.PAUSED:
                lines = ["[$warning]" + _("The lead has paused the quiz.") + "[/]"]
            else:
                typing = needs_typing(question)
                lines = [answer_hint(question)]
            if not self.lead:
                score = self.runner.score(self.session_id)
                place = quiz_room.place_line(score, self.service.me, who)
                lines += [f"[dim]{place}[/dim]"] if place else []
            self._put("#quiz-status", "\n".join(lines))
        elif stage.kind is Stage.CLOSED:
            after = (
                f"{self._key('advance')}: " + _("reveal the answer")
                if self.lead
                else _("waiting for the reveal")
            )
            if session.hands_free:
                after = _("the answer comes next")
            late = session.deadline_ms and self.service.now_ms() >= session.deadline_ms
            closed = _("Time's up.") if late else _("Answers are closed.")
            self._put("#quiz-status", f"[b]{closed}[/b] {count} · {after}")
        return typing

    def _show_reveal(self, stage: LiveStage, who: dict[str, str], board: bool) -> bool:
        """The right answer and its check, this player's mark and place, the feedback,
        how the group did, the leaderboard (the whole top N when ``board``); True when
        there is feedback to show."""
        index, session, quiz = stage.question, self.session, self.quiz
        question, key = quiz.questions[index], session.revealed[index]
        score = self.runner.score(self.session_id)
        stats = quizscore.session_question_stats(quiz, session, index)
        standings = score.standings(who)
        mine = next((s for s in standings if s.player == self.service.me), None)
        check = quiz_room.key_check_line(self.runner.reveal_check(self.session_id, index), quiz)
        answer = markup_line(quizscore.right_answer_text(question, key))
        lines = ["[b]" + _("Answer:") + f"[/b] {answer}", check]
        mark = score.mark(self.service.me, index)
        feedback = [key.general_feedback]
        if not self.lead:
            if mark is None or mark.answer is None:  # not theirs, if they came in during it
                late = quiz_room.late_line(session, self.service.me)
                lines.append(late or "[$warning]" + _("You did not answer this one.") + "[/]")
            else:
                grade = quizscore.grade(question, key, mark.answer)
                lines.append(quiz_room.mark_line(grade, mark.points, mine, len(standings)))
                feedback.insert(0, grade.feedback)
        last = index + 1 >= len(quiz.questions)
        if self.board_for == index:
            then = _("finish") if last else _("next question")
            after = _("After question {number}:").format(number=index + 1)
            lines = [f"{after} {self._key('advance')}: {then}"]
            feedback = []
        elif self.lead and not session.hands_free:
            lines.append(f"[dim]{self._key('advance')}: " + _("leaderboard") + "[/dim]")
        elif self.lead:
            lines.append(f"[dim]{self._key('advance')}: " + _("go on now") + "[/dim]")
        self._put("#quiz-status", "\n".join(lines))
        players = len(players_expected(self.service.state, session, index))
        self._put("#quiz-tally", quiz_room.stats_line(stats, players, who))
        width = max(40, self.size.width - 4)
        self.query_one(BarChart).show(stats.bars, width=min(width, 100))
        top = session.top_n if board else min(session.top_n, 3)
        self.query_one(Leaderboard).show(
            standings[:top], who, self.service.me, title=_("Leaderboard"), mine=mine
        )
        return self.query_one(FeedbackView).show(question, feedback)

    def _show_finish(self, who: dict[str, str]) -> None:
        quiz, session = self.quiz, self.session
        score = self.runner.score(self.session_id)
        standings = score.standings(who)
        mine = next((s for s in standings if s.player == self.service.me), None)
        self.query_one(Leaderboard).show(
            score.podium(who), who, self.service.me, title=_("Final podium"), mine=mine
        )
        counted = _("{questions} counted, {players}.").format(
            questions=quiz_room.questions(len(score.counted)),
            players=quiz_room.players(len(standings)),
        )
        export, back = _("export the results as CSV"), _("back")
        lines = [
            "[b]" + _("The quiz is over.") + f"[/b] {counted}",
            quiz_room.final_check_line(quiz, session),
            f"{self._key('export')}: {export} · {self._key('back')}: {back}",
        ]
        self._put("#quiz-status", "\n".join(lines))
        table = self.query_one("#quiz-stats", DataTable)
        table.clear()
        rows = []
        for index in range(len(quiz.questions)):
            stats = quizscore.session_question_stats(quiz, session, index)
            revealed = index in session.revealed
            average = (
                "-" if stats.average_seconds is None else quiz_room.tenths(stats.average_seconds)
            )
            right = f"{stats.right} / {stats.answered}" if revealed else f"- / {stats.answered}"
            fastest = "-"
            if stats.fastest is not None:
                player, seconds = stats.fastest
                name = who.get(player, _("someone"))[:12]
                fastest = f"{name} {quiz_room.tenths(seconds)} s"
            rows.append((str(index + 1), index, right, average, fastest))
        # The question column gets what the others leave of the width (each column has a
        # cell of padding either side, the table a margin and room for a scrollbar); their
        # heads are as wide as the language writes them, longer in Indonesian.
        others = sum(
            max([cell_len(head), *(cell_len(row[n]) for row in rows)]) + 2
            for n, head in zip((0, 2, 3, 4), self._stat_heads, strict=True)
        )
        wide = max(16, self.size.width - others - 6)
        for number, index, right, average, fastest in rows:
            text = summary_line(quiz.questions[index], wide)
            table.add_row(number, text, right, average, fastest)

    def update_countdown(self) -> None:
        stage, session = self.stage(), self.session
        countdown = self.query_one(Countdown)
        if stage.kind in (Stage.OPEN, Stage.PAUSED):
            question = self.quiz.questions[stage.question]
            left = self.runner.remaining_ms(session)
            countdown.show(left, question.seconds * 1000, paused=stage.kind is Stage.PAUSED)
        elif (then := next_at(session)) is not None:
            last = stage.question + 1 >= len(self.quiz.questions)
            left = max(0, then - self.runner.clock_ms())
            label = _("The podium in") if last else _("Next question in")
            countdown.show(left, session.hands_free * 1000, label=label)

    # --- time -------------------------------------------------------------------------

    def tick(self) -> None:
        """Redraw the countdown. Closing on time is the lead's pacer's job (sync/pacer.py),
        so a question closes whether or not this screen is showing."""
        if self.session_id in self.service.state.sessions:
            self.update_countdown()

    # --- the lead's actions -------------------------------------------------------------

    # Each is an intent of its own (``ask``): it looks at the stage when its turn comes,
    # so pressing n twice goes on twice, from where the first n left the quiz.

    def action_advance(self) -> None:
        ask(self, self._advance, done=self.refreshed)

    async def _advance(self) -> None:
        stage = self.stage()
        if stage.kind is Stage.LOBBY:
            await self.runner.open_question(self.session_id, 0)
        elif stage.kind is Stage.CLOSED:
            await self.runner.reveal(self.session_id)
        elif stage.kind is Stage.REVEALED and self.board_for != stage.question:
            if self.session.hands_free:  # the leaderboard shows already: go on now
                await self.runner.next_question(self.session_id)
            else:
                self.board_for = stage.question
        elif stage.kind is Stage.REVEALED:
            await self.runner.next_question(self.session_id)

    def action_pause(self) -> None:
        ask(self, self._pause_or_resume, done=self.refreshed)

    async def _pause_or_resume(self) -> None:
        stage = self.stage().kind
        if stage is Stage.PAUSED:
            await self.runner.resume(self.session_id)
        elif stage is Stage.OPEN:
            await self.runner.pause(self.session_id)

    def action_add_time(self) -> None:
        ask(self, self.runner.add_time, self.session_id, done=self.refreshed)

    def action_skip(self) -> None:
        ask(self, self._close_now, done=self.refreshed)

    async def _close_now(self) -> None:
        if self.stage().kind in (Stage.OPEN, Stage.PAUSED):
            await self.runner.close(self.session_id)

    def action_end(self) -> None:
        from .dialogs import ConfirmScreen

        def confirmed(yes: bool | None) -> None:
            if yes:
                ask(self, self._end, done=self.refreshed)

        question = _("End the quiz for everyone? (The question being asked is revealed first.)")
        self.app.push_screen(ConfirmScreen(question, _("End it")), confirmed)

    async def _end(self) -> None:
        # The question being asked still counts: it is closed and revealed first.
        await self._close_now()
        if self.stage().kind is Stage.CLOSED:
            await self.runner.reveal(self.session_id)
        if self.stage().kind is not Stage.FINISHED:
            await self.runner.finish(self.session_id)

    # --- the players' actions -----------------------------------------------------------

    def on_key(self, event: KeyEvent) -> None:
        stage = self.stage()
        if not self.may_answer(stage):
            return
        question = self.quiz.questions[stage.question]
        self.take_answer_key(event, question, self._send)

    def action_send(self) -> None:
        if self.picked:
            self._send(sorted(self.picked))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        stage = self.stage()
        if not self.may_answer(stage):
            return
        value, problem = typed_answer(self.quiz.questions[stage.question], event.value)
        if value is None:
            self.notify(problem, severity="warning")
            return
        typed, event.input.value = event.input.value, ""
        self._send(value, typed)

    def _send(self, value: object, typed: str = "") -> None:
        ask(
            self,
            self._answer,
            self.stage().question,
            value,
            done=self.refreshed,
            refused=lambda reason: self._keep_typed(typed),
        )
        self.query_one("#quiz-body").focus()

    def _keep_typed(self, typed: str) -> None:
        """An answer not taken (its reason said beside): what was typed is back in the
        box, to send again with enter (a picked choice stays picked, a key is pressed
        again)."""
        if not typed:
            return
        box = self.query_one("#quiz-typed", Input)
        if not box.value:  # unless they have started typing again
            box.value = typed

    async def _answer(self, question: int, value: object) -> None:
        """Answer ``question`` unless it is answered (a key pressed twice) or over."""
        stage = self.stage()
        if stage.kind is Stage.OPEN and stage.question == question and not self.my_answer(question):
            op = await self.runner.answer(self.session_id, question, value)
            self._answer_ops[question] = op.id  # "queued" until it has gone

    # --- everyone -------------------------------------------------------------------------

    def action_export(self) -> None:
        from datetime import UTC, datetime

        from .export import Export, offer_export

        day = datetime.fromtimestamp(self.session.started_ms / 1000, UTC).strftime("%Y-%m-%d")
        slug = "".join(c if c.isalnum() else "-" for c in self.quiz.title.lower()).strip("-")
        data = self.runner.results_csv(self.session_id).encode("utf-8")
        offer_export(self, Export(N_("the results as CSV"), f"{slug or 'quiz'}-{day}.csv", data))

    def action_leave(self) -> None:
        """A player leaves the quiz: no longer waited for, shown gone in the lobby."""
        if seat(self.session, self.service.me) == "in":
            ask(self, self.runner.leave, self.session_id)
        self.dismiss()

    def action_back(self) -> None:
        self.dismiss()
