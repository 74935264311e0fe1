"""The Quiz pane: the circle's quizzes (the open channel's first) with best scores; from
here anyone practises a quiz or joins a live one, and a lead runs one live."""

from collections.abc import Callable
from functools import partial

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.events import Key as KeyEvent
from textual.screen import Screen
from textual.widgets import Footer, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from ...core import sessionscore
from ...core.ops import Question
from ...core.state import Quiz
from ...sync.engine import CircleService
from ...sync.quizrun import QuizRunner, Stage, live_stage
from ..actions import bindings_for, key_for
from ..intents import ask
from ..messages import CircleChanged, SyncStatusChanged
from ..visible import markup_line, names_of, visible_line
from ..widgets.quiz_views import press_answer_key
from ..widgets.status_line import StatusLine
from .help import HelpScreen


class QuizBaseScreen(Screen[None]):
    """What every quiz screen shares: the service, the runner, redrawing on changes."""

    CSS_PATH = "quiz.tcss"

    def __init__(self, service: CircleService) -> None:
        super().__init__()
        self.service = service
        self.runner = QuizRunner(service)

    def refresh_view(self) -> None:
        """Redraw from the circle's state."""

    def on_circle_changed(self, message: CircleChanged) -> None:
        self.refresh_shown()

    def on_sync_status_changed(self, message: SyncStatusChanged) -> None:
        self.refresh_shown()  # an answer that waited to send has gone

    def on_screen_resume(self) -> None:
        self.refresh_view()  # what it missed while covered

    def refresh_shown(self) -> None:
        """Redraw now if this screen shows, else when it shows again (on_screen_resume).
        The Quiz pane under a live quiz heard each of the room's answers and redrew a
        screen no one saw: a tenth of an ssh-serve worker's time in a question."""
        if not self.covered():
            self.refresh_view()

    def covered(self) -> bool:
        """A full screen lies over this one (a dialog lets it show through)."""
        stack = self.app.screen_stack
        if self not in stack:
            return False
        return not all(above.is_modal for above in stack[stack.index(self) + 1 :])

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen.of(self))

    def refreshed(self, _result: object = None) -> None:
        """``done`` for an intent whose result shows by redrawing."""
        self.refresh_view()


class QuestionScreen(QuizBaseScreen):
    """A quiz screen that asks questions (live or practice): the choices ticked so far,
    and the keys that tick or send them."""

    def __init__(self, service: CircleService) -> None:
        super().__init__(service)
        self.picked: set[int] = set()

    def take_answer_key(
        self, event: KeyEvent, question: Question, send: Callable[[list[int]], None]
    ) -> None:
        """1-9 or A-Z: ``send`` a single choice at once, tick one of several (enter sends
        them); other typing goes to the answer box."""
        box = self.query_one("#quiz-typed", Input)
        pressed = press_answer_key(event, question, self.picked, box)
        if pressed is None:
            return
        self.picked, chosen = pressed
        if chosen:
            send(chosen)
        else:
            self.refresh_view()


def percent(ratio: float) -> str:
    return f"{ratio * 100:.0f}%"


class QuizPaneScreen(QuizBaseScreen):
    """Every quiz in the circle; enter practises it (or joins its live run), l runs it live."""

    BINDINGS = bindings_for("quizzes")
    KEY_SCOPES = ("quizzes",)

    def __init__(self, service: CircleService, channel_id: str | None = None) -> None:
        super().__init__(service)
        self.channel_id = channel_id
        self.quiz_id: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="quiz-pane"):
            yield Label("Quizzes", id="quiz-pane-title", classes="quiz-title")
            yield OptionList(id="quiz-list", markup=False)  # titles as their authors wrote them
            yield Static("", id="quiz-detail")
        yield StatusLine(self.service, quiz_only=True)
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_view()
        self.query_one("#quiz-list", OptionList).focus()

    # --- showing ----------------------------------------------------------------------

    def ordered(self) -> list[Quiz]:
        quizzes = list(self.service.state.quizzes.values())
        return sorted(
            quizzes,
            key=lambda q: (q.channel_id != self.channel_id, -q.created_ms, q.title.casefold()),
        )

    def refresh_view(self) -> None:
        state, me = self.service.state, self.service.me
        listing = self.query_one("#quiz-list", OptionList)
        quizzes = self.ordered()
        options = [Option(self._line(quiz), id=quiz.id) for quiz in quizzes]
        highlighted = listing.highlighted
        listing.set_options(options)
        if not options:
            self.query_one("#quiz-detail", Static).update(
                "No quizzes yet. A lead imports one with\n"
                "  studycircle quiz import FILE --channel NAME"
            )
            return
        ids = [quiz.id for quiz in quizzes]
        index = ids.index(self.quiz_id) if self.quiz_id in ids else (highlighted or 0)
        listing.highlighted = min(index, len(options) - 1)
        self.quiz_id = ids[listing.highlighted]
        self._show_detail(state.quizzes[self.quiz_id], me)

    def _line(self, quiz: Quiz) -> str:
        state = self.service.state
        channel = state.channels.get(quiz.channel_id or "")
        where = f"#{visible_line(channel.name)}" if channel else "circle"
        live = self.runner.running(quiz)
        badge = ""
        if live is not None:
            badge = "● LIVE lobby · " if live_stage(live).kind is Stage.LOBBY else "● LIVE · "
        best = quiz.best.get(self.service.me)
        mine = f"  best {percent(best)}" if best is not None else ""
        count = len(quiz.questions)
        title = visible_line(quiz.title)
        return f"{badge}{title}  ({where}, {count} question{'s' * (count != 1)}){mine}"

    def _show_detail(self, quiz: Quiz, me: str) -> None:
        state = self.service.state
        who = names_of(state)
        count = len(quiz.questions)
        lines = [f"[b]{markup_line(quiz.title)}[/b] · {count} question{'s' * (count != 1)}"]
        if quiz.keys is not None:
            lines.append("Practice quiz: its answers travel with it.")
        elif self.runner.held_keys(quiz) is not None:
            lines.append(
                "Live quiz: you hold its answer key (players see each answer at its reveal)."
            )
        else:
            lines.append("Live quiz: its lead holds the answer key until each reveal.")
        best = sorted(quiz.best.items(), key=lambda item: (-item[1], who.get(item[0], "")))
        if me in quiz.best:
            lines.append(f"Your best practice score: {percent(quiz.best[me])}")
        if best:
            shown = ", ".join(f"{markup_line(who.get(p, '?'))} {percent(r)}" for p, r in best[:3])
            lines.append(f"Best in the circle: {shown}")
        live = self.runner.running(quiz)
        finished = [s for s in self.runner.sessions(quiz) if s.mode == "live" and s.finished]
        if finished:
            last = sessionscore.score_session(quiz, finished[-1]).podium(who)
            winner = f" · last winner: {markup_line(who.get(last[0].player, '?'))}" if last else ""
            lines.append(f"Run live {len(finished)} time{'s' * (len(finished) != 1)}{winner}")
        hints = []
        if live is not None:
            host = who.get(live.host, "the lead")
            if live.host == me:
                hints.append("enter: back to hosting")
            else:
                hints.append(f"enter: join {markup_line(host)}'s live quiz")
        if live is None and self.runner.why_not_host(quiz) is None:
            hints.append(f"{markup_line(key_for(self, 'quizzes', 'host'))}: run live")
        if live is None and self.runner.practice_keys(quiz) is not None:
            hints.append("enter: practise")
        elif live is None:
            hints.append("practice opens once a live run has revealed every question")
        lines.append("")
        lines.append("[dim]" + " · ".join(hints) + "[/dim]")
        self.query_one("#quiz-detail", Static).update("\n".join(lines))

    @on(OptionList.OptionHighlighted, "#quiz-list")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id and event.option.id != self.quiz_id:
            self.quiz_id = event.option.id
            self._show_detail(self.service.state.quizzes[self.quiz_id], self.service.me)

    # --- acting -----------------------------------------------------------------------

    @on(OptionList.OptionSelected, "#quiz-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.quiz_id = event.option.id
        self.action_open()

    def _quiz(self) -> Quiz | None:
        return self.service.state.quizzes.get(self.quiz_id or "")

    def _quiz_unless_live(self) -> Quiz | None:
        """The chosen quiz; None if none is, or if it is being run live, and then the live
        run opens instead (to join it, or to go on hosting it)."""
        from .quiz_live import LiveQuizScreen

        quiz = self._quiz()
        live = self.runner.running(quiz) if quiz is not None else None
        if live is not None:
            self.app.push_screen(LiveQuizScreen(self.service, live.id))
            return None
        return quiz

    def action_open(self) -> None:
        from .quiz_practice import PracticeScreen

        quiz = self._quiz_unless_live()
        if quiz is None:
            return
        keys = self.runner.practice_keys(quiz)
        if keys is None:
            self.notify(
                "Its lead keeps the answers: practice opens once a live run has revealed "
                "every question.",
                severity="warning",
            )
            return
        self.app.push_screen(PracticeScreen(self.service, quiz.id, keys))

    def action_host(self) -> None:
        from .quiz_dialogs import LiveSettings, LiveSettingsScreen
        from .quiz_live import LiveQuizScreen

        quiz = self._quiz_unless_live()
        if quiz is None:
            return
        why = self.runner.why_not_host(quiz)
        if why is not None:
            self.notify(f"Cannot run it live: {why}.", severity="warning")
            return

        def chosen(settings: LiveSettings | None) -> None:
            if settings is None:
                return
            start = partial(
                self.runner.start,
                scoring=settings.scoring,
                streak=settings.streak,
                top_n=settings.top_n,
                hands_free=settings.hands_free,
            )
            ask(
                self,
                start,
                quiz.id,
                done=lambda op: self.app.push_screen(LiveQuizScreen(self.service, op.id)),
            )

        self.app.push_screen(LiveSettingsScreen(quiz.title, quiz.keys is not None), chosen)

    def action_back(self) -> None:
        self.dismiss()
