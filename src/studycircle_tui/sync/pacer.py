"""A live quiz's pace, kept by its lead's service instead of a screen.

The lead's client closes an open question when its deadline passes, or earlier when every
player in the quiz has answered. That used to be the live quiz screen's timer, so a lead
who looked at another screen (or whose app restarted) left the question open for ever.
The pacer runs beside the sync loop, once per circle in a process (``SharedCircle.pace``):
in an ssh-serve worker it paces the quizzes of every member seated there who hosts one,
connected or not. It reads everything from the circle's state (which sessions those
members host, their deadlines, who is in and who answered), so on a restart it picks up a
running session where the log left it. Pause, resume and added time are ``quiz.open`` ops
that move the deadline; the pacer simply follows the state.

A hands-free session (``QuizSession.hands_free``, chosen when the lobby opens) goes on by
itself: the pacer reveals a question as soon as it closes (in the same push as the close),
and once the leaderboard has shown for the session's seconds (counted from the reveal's
stamp, so a restart does not start them again) asks the next question, or finishes
after the last. The lead only asks the first question, then can watch the room.

``live_quiz`` says, for any member, which live quiz is running and how long is left: what
the status line shows wherever they are in the app; ``seated_in`` which one an app that
starts (a player back after their connection dropped, a lead after a restart) opens on.
"""

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass

from ..core.ops import OpError
from ..core.state import CircleState, QuizSession
from .engine import CircleService, Event, Refused, SharedCircle
from .intents import StoreBusy
from .quizrun import (
    LiveStage,
    QuizRunner,
    Stage,
    everyone_answered,
    live_stage,
    remaining_ms,
    seat,
)

# A session untouched this long (never ended, its lead gone) is no longer the room an app
# opens on, though the status line still names it.
STILL_RUNNING_MS = 30 * 60 * 1000


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
    left = remaining_ms(session, now_ms) if stage.kind in (Stage.OPEN, Stage.PAUSED) else 0
    return LiveQuiz(session.id, quiz.title, stage, len(quiz.questions), left, session.host == me)


def seated_in(state: CircleState, me: str, now_ms: int) -> str | None:
    """The live session ``me`` hosts or plays in, running and touched lately (asked,
    revealed or started within ``STILL_RUNNING_MS``), the newest: where an app starting
    mid-quiz belongs, rather than the channels."""
    for session in reversed(running_sessions(state)):
        touched = max(
            [session.started_ms, *session.opened_ms.values(), *session.revealed_ms.values()]
        )
        if seat(session, me) in ("host", "in") and now_ms - touched <= STILL_RUNNING_MS:
            return session.id
    return None


def next_at(session: QuizSession) -> int | None:
    """When a hands-free session asks its next question (the host's clock): its last
    reveal's time and the leaderboard's seconds; None if it does not go on by itself."""
    if not session.hands_free or live_stage(session).kind is not Stage.REVEALED:
        return None
    return session.revealed_ms.get(session.current, 0) + session.hands_free * 1000


def due(state: CircleState, me: str, now_ms: int) -> list[tuple[str, str]]:
    """What is due now in the sessions ``me`` hosts, as (session, step): "close" an open
    question whose time is up or that everyone in has answered; in a hands-free session
    "reveal" a closed one, and "next" once its leaderboard has shown long enough."""
    found = []
    for session in running_sessions(state):
        if session.host != me:
            continue
        stage = live_stage(session).kind
        if stage is Stage.OPEN:
            if now_ms >= session.deadline_ms or everyone_answered(state, session):
                found.append((session.id, "close"))
        elif session.hands_free and stage is Stage.CLOSED:
            found.append((session.id, "reveal"))
        elif (then := next_at(session)) is not None and now_ms >= then:
            found.append((session.id, "next"))
    return found


class QuizPacer:
    """Closes the questions hosted by the members this process serves on time, wherever
    their apps are showing (or whether they are connected at all: an ssh-serve lead
    who drops keeps their quiz running). One per circle (``SharedCircle.pace``)."""

    # How often an open question is looked at: the close comes at most this late, and a
    # clock that jumps (or a test's clock, moved by hand) is noticed this soon.
    TICK_SECONDS = 0.25

    STEPS = {
        "close": ("close the quiz question", QuizRunner.close),
        "reveal": ("reveal the quiz question", QuizRunner.reveal),
        "next": ("ask the next quiz question", QuizRunner.next_question),
    }

    def __init__(self, circle: SharedCircle, report: Callable[[str, str], None] | None = None):
        self.circle = circle
        # (the host, what went wrong): by default a notice to the host alone.
        self._report = report or (lambda host, text: circle.notify(host, text, "error"))
        self._runners: dict[str, QuizRunner] = {}
        # Steps refused (session, step, question, deadline): not retried.
        self._given_up: set[tuple[str, str, int, int]] = set()
        self._reported: set[tuple[str, str]] = set()
        self._wake = asyncio.Event()

    def _runner(self, host: str) -> QuizRunner:
        runner = self._runners.get(host)
        if runner is None:
            runner = self._runners[host] = QuizRunner(CircleService.member_of(self.circle, host))
        return runner

    async def step(self) -> float | None:
        """Take what is due for each host served here (a close and the reveal after it
        together); the seconds until the next look (None: nothing to watch)."""
        # A member served here no more (this device's member id ended in a lead's
        # re-key: it is the member it was given back now) leaves no runner behind.
        for gone in self._runners.keys() - self.circle.members:
            del self._runners[gone]
        for host in sorted(self.circle.members):
            if not due(self.circle.state, host, self.circle.clock_ms()):
                continue
            # What is stored goes out at once (send first), and a close would leave alone,
            # its reveal a round trip later: the players would take the close's page (every
            # answer) and then a second one for the key. Pushes wait while the steps due
            # are taken, so they leave together, in one push and one page.
            async with self.circle.pushes_held():
                for _ in range(len(self.STEPS)):  # close, reveal: each can make the next due
                    if not await self._take_due(host):
                        break
        now = self.circle.clock_ms()
        waits = []
        for session in running_sessions(self.circle.state):
            if session.host not in self.circle.members:
                continue
            if live_stage(session).kind is Stage.OPEN:
                waits.append(remaining_ms(session, now))
            elif (then := next_at(session)) is not None:
                waits.append(max(0, then - now))
        if not waits:
            return None
        return min(self.TICK_SECONDS, min(waits) / 1000)

    async def run(self) -> None:
        """Pace until cancelled: look again at each tick while a question is open (or a
        hands-free leaderboard shows), and whenever the circle changes (an answer
        arrives, a player comes or goes, the lead pauses or goes on)."""
        self.circle.subscribe(self._heard)
        try:
            while True:
                self._wake.clear()
                try:
                    wait = await self.step()
                except Exception as error:  # a locked store, say: it must never end the app
                    for host in self._hosting():
                        self._report_once(host, f"Could not pace the live quiz: {error}")
                    wait = self.TICK_SECONDS
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), wait)
        finally:
            self.circle.unsubscribe(self._heard)

    async def _take_due(self, host: str) -> bool:
        """Take each step due now in the sessions ``host`` hosts; whether any was taken."""
        state = self.circle.state
        taken = False
        for session_id, name in due(state, host, self.circle.clock_ms()):
            session = state.sessions[session_id]
            attempt = (session_id, name, session.current, session.deadline_ms)
            if attempt in self._given_up:
                continue
            what, action = self.STEPS[name]
            try:
                await action(self._runner(host), session_id)
                taken = True
            except StoreBusy as error:  # not a no: tried again at the next look
                self._report_once(host, f"Could not {what}: {error}")
            except (Refused, OpError) as error:
                self._given_up.add(attempt)
                self._report_once(host, f"Could not {what}: {error}")
        return taken

    def _hosting(self) -> list[str]:
        """The members served here who host a live quiz now."""
        hosts = {s.host for s in running_sessions(self.circle.state)}
        return sorted(hosts & self.circle.members)

    def _report_once(self, host: str, text: str) -> None:
        if (host, text) not in self._reported:
            self._reported.add((host, text))
            self._report(host, text)

    def _heard(self, event: Event) -> None:
        self._wake.set()
