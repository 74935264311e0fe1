"""A live quiz's pace, kept by its lead's service instead of a screen.

The lead's client closes an open question when its deadline passes, or earlier when every
expected player has answered. That used to be the live quiz screen's timer, so a lead who
looked at another screen (or whose app restarted) left the question open for ever. The
pacer runs beside the sync loop for as long as the app does; it reads everything from the
circle's state (which sessions this member hosts, their deadlines, who answered), so on a
restart it picks up a running session where the log left it. Pause, resume and added time
are ``quiz.open`` ops that move the deadline; the pacer simply follows the state.

``live_quiz`` says, for any member, which live quiz is running and how long is left: what
the status line shows wherever they are in the app.
"""

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass

from ..core.ops import OpError
from ..core.state import CircleState, QuizSession
from .engine import CircleService, Event, Refused
from .quizrun import LiveStage, QuizRunner, live_stage, players_expected, remaining_ms


@dataclass(frozen=True, slots=True)
class LiveQuiz:
    """A live session that has not finished, as one member sees it."""

    session_id: str
    title: str
    stage: LiveStage
    questions: int
    left_ms: int  # open or paused: the time left on the question; otherwise 0
    hosting: bool


def running_sessions(state: CircleState) -> list[QuizSession]:
    """Live sessions that have not finished, oldest first."""
    return [s for s in state.sessions.values() if s.mode == "live" and not s.finished]


def live_quiz(state: CircleState, me: str, now_ms: int) -> LiveQuiz | None:
    """The live quiz to tell ``me`` about: one they host, else the newest one running."""
    running = running_sessions(state)
    if not running:
        return None
    hosted = [s for s in running if s.host == me]
    session = (hosted or running)[-1]
    quiz = state.quizzes[session.quiz_id]
    stage = live_stage(session)
    left = remaining_ms(session, now_ms) if stage.name in ("open", "paused") else 0
    return LiveQuiz(session.id, quiz.title, stage, len(quiz.questions), left, session.host == me)


def due(state: CircleState, me: str, now_ms: int) -> list[str]:
    """Sessions ``me`` hosts whose open question should close now: its time is up, or
    every expected player has answered."""
    found = []
    for session in running_sessions(state):
        if session.host != me or live_stage(session).name != "open":
            continue
        expected = set(players_expected(state, session))
        everyone = bool(expected) and expected <= session.answered.get(session.current, set())
        if now_ms >= session.deadline_ms or everyone:
            found.append(session.id)
    return found


class QuizPacer:
    """Closes the questions this member hosts on time, wherever the app is showing."""

    # How often an open question is looked at: the close comes at most this late, and a
    # clock that jumps (or a test's clock, moved by hand) is noticed this soon.
    TICK_SECONDS = 0.25

    def __init__(
        self, service: CircleService, report: Callable[[str], None] = lambda text: None
    ) -> None:
        self.service = service
        self.runner = QuizRunner(service)
        self._report = report
        self._given_up: set[tuple[str, int, int]] = set()  # closes refused: not retried
        self._reported: set[str] = set()
        self._wake = asyncio.Event()

    def step(self) -> float | None:
        """Close what is due; the seconds until the next look (None: nothing is open)."""
        # The clock the host's deadlines are set on (QuizRunner.clock_ms).
        state, me = self.service.state, self.service.me
        for session_id in due(state, me, self.runner.clock_ms()):
            session = state.sessions[session_id]
            attempt = (session_id, session.current, session.deadline_ms)
            if attempt in self._given_up:
                continue
            try:
                self.runner.close(session_id)
            except (Refused, OpError) as error:
                self._given_up.add(attempt)
                self._report_once(f"Could not close the quiz question: {error}")
        state = self.service.state
        left = [
            remaining_ms(session, self.runner.clock_ms())
            for session in running_sessions(state)
            if session.host == me and live_stage(session).name == "open"
        ]
        if not left:
            return None
        return min(self.TICK_SECONDS, min(left) / 1000)

    async def run(self) -> None:
        """Pace until cancelled: look again at each tick while a question is open, and
        whenever the circle changes (an answer arrives, the lead pauses or goes on)."""
        self.service.subscribe(self._heard)
        while True:
            self._wake.clear()
            try:
                wait = self.step()
            except Exception as error:  # a locked store, say: it must never end the app
                self._report_once(f"Could not close the quiz question: {error}")
                wait = self.TICK_SECONDS
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)

    def _report_once(self, text: str) -> None:
        if text not in self._reported:
            self._reported.add(text)
            self._report(text)

    def _heard(self, event: Event) -> None:
        self._wake.set()
