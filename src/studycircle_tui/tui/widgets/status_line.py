"""One line at the bottom: circle, member, transport and sync state; and, while a live
quiz runs, which one and how long is left, wherever the member is in the app.

The main screen's line says everything. The other full screens (the Quiz pane, practice,
notes) carry a ``quiz_only`` line that shows only while a live quiz runs, so a lead who
looks elsewhere mid-question still sees the clock, and a player sees there is a quiz to
join. The live part comes first, so a narrow terminal never cuts it off.

The rest must fit too (an 80-column terminal), so when it is too wide it gives way in
this order: the member's role, then their name, then the circle's name is shortened;
how the circle syncs, what waits to be sent and the next session are kept whole.
"""

from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.text import Text
from textual.content import Content
from textual.widgets import Static

from ... import i18n
from ...i18n import N_, _
from ...sync.engine import CircleService, SyncState, SyncStatus
from ...sync.transport import TransportKind
from ..timefmt import clock
from .post_render import ROLES

if TYPE_CHECKING:  # the quiz code is loaded once there is a quiz (_live_quiz)
    from ...sync.pacer import LiveQuiz
    from ...sync.quizrun import QuizRunner

TITLE_CELLS = 28  # a long quiz title is cut: the time left matters more
BAR_CELLS = 8
SHORTEST_NAME = 12  # cells a shortened circle name keeps (with its "…")
LIVE_GAP = " │ "  # between the live quiz and the rest
# A live question's stage after it is asked (a lobby and an open question say more), by
# quizrun.Stage's values: that module loads only once a circle has a quiz, after the first frame.
STAGES = {
    "paused": N_("paused"),
    "closed": N_("closed"),
    "revealed": N_("revealed"),
    "finished": N_("finished"),
}


def bar(done: int, total: int) -> str:
    """``done`` of ``total`` as a bar of ``BAR_CELLS`` cells (block characters, which the
    Linux console has too)."""
    filled = round(BAR_CELLS * min(done, total) / total) if total else 0
    return "█" * filled + "░" * (BAR_CELLS - filled)


def _kb(count: int) -> str:
    return f"{count / 1000:,.0f}" if count >= 10_000 else f"{count / 1000:,.1f}"


def describe(status: SyncStatus) -> str:
    if status.state is SyncState.OFFLINE:
        text = _("offline since {time}").format(time=clock(status.since_ms))
    elif status.transport is TransportKind.FILE:
        text = _("local file · synced")
    else:
        text = _("online")
    if status.waiting:
        text += " · " + _("{count} waiting to send").format(count=status.waiting)
    if status.fetching:
        done, total = status.fetching
        size = f" {_kb(done)}/{_kb(total)} KB" if total else ""  # asked, not yet answered
        text += " · " + _("newest threads {bar}").format(bar=bar(done, total)) + size
    if status.history:
        done, total = status.history
        count = f"{i18n.current().number(done)}/{i18n.current().number(total)}"
        text += " · " + _("history {bar} {count}").format(bar=bar(done, total), count=count)
    if status.sending:
        done, total = status.sending
        size = f"{_kb(done)}/{_kb(total)} KB"
        text += " · " + _("sending {bar} {size}").format(bar=bar(done, total), size=size)
    return text


def cut(text: str, cells: int) -> str:
    """``text`` in at most ``cells`` terminal cells, ending in "…" if it was cut (wide
    letters and emoji count two)."""
    shown = Text(text)
    shown.truncate(max(1, cells), overflow="ellipsis")
    return shown.plain


def fit_status(
    circle: str, member: str, role: str, sync: str, extras: list[str], cells: int
) -> str:
    """The status line in ``cells`` cells (see the module's docstring for what gives way);
    ``cells`` 0 or less (not laid out yet): the whole line."""
    tail = " · ".join([sync, *extras])
    lines = [f"{circle}{who} · {tail}" for who in (f" · {member} ({role})", f" · {member}", "")]
    for line in lines:
        if cell_len(line) <= cells:
            return line
    if cells <= 0:
        return lines[0]
    room = cells - cell_len(f" · {tail}")
    if room >= SHORTEST_NAME:
        return f"{cut(circle, room)} · {tail}"
    return cut(f"{cut(circle, SHORTEST_NAME)} · {tail}", cells)


def time_left(ms: int) -> str:
    """12 s left, 1:05 left: whole seconds, rounded up; time's up at 0."""
    seconds = -(-ms // 1000)
    if seconds <= 0:
        return _("time's up")
    if seconds < 60:
        return _("{seconds} s left").format(seconds=seconds)
    return _("{time} left").format(time=f"{seconds // 60}:{seconds % 60:02d}")


def describe_live(live: "LiveQuiz") -> str:
    """● LIVE Python basics · Q2/5 · 12 s left"""
    from ...sync.quizrun import Stage

    title = cut(live.title, TITLE_CELLS)  # by cells: wide letters, emoji, accents
    stage = live.stage
    if stage.kind is Stage.LOBBY:
        where = _("lobby (you host)") if live.hosting else _("lobby")
    else:
        # Translators: Q2/5, question 2 of 5, shortened (the status line is one line).
        where = _("Q{number}/{count}").format(number=stage.question + 1, count=live.questions)
        if stage.kind is Stage.OPEN:
            where += f" · {time_left(live.left_ms)}"
        else:
            where += f" · {_(STAGES.get(stage.kind, stage.kind.value))}"
    return _("● LIVE {title} · {where}").format(title=title, where=where)


class StatusLine(Static):
    DEFAULT_CSS = """
    StatusLine { width: 1fr; height: 1; background: $panel; color: $text-muted; padding: 0 1; }
    StatusLine.-offline { color: $warning; }
    StatusLine.-quiz-only { display: none; }
    StatusLine.-quiz-only.-live { display: block; }
    """

    LIVE_SECONDS = 1.0  # how often the time left is redrawn (only when it changed)

    def __init__(
        self,
        service: CircleService | None = None,
        *,
        quiz_only: bool = False,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id, markup=False)
        self.service = service
        self._runner: QuizRunner | None = None  # for its clock, once there is a quiz
        self.set_class(quiz_only, "-quiz-only")
        self._circle: tuple[str, str, str, str, list[str]] | None = None  # for fit_status
        self._live = ""
        self._shown = ""

    def on_mount(self) -> None:
        if self.service is not None:
            self.set_interval(self.LIVE_SECONDS, self._redraw)
            self.app.screen_change_signal.subscribe(self, self._screen_changed)
            self._redraw()

    def _screen_changed(self, _screen: object) -> None:
        self._redraw()  # what it missed while covered, if it shows now

    def _covered(self) -> bool:
        """A full screen lies over this line's screen (a dialog lets it show through)."""
        stack = self.app.screen_stack
        if not self.is_mounted or self.screen not in stack:
            return False
        return not all(above.is_modal for above in stack[stack.index(self.screen) + 1 :])

    def show(
        self,
        circle: str,
        member: str,
        role: str,
        status: SyncStatus,
        bell: bool = True,
        extra: str = "",
    ) -> None:
        """``extra``: the next session, or how long focus mode lasts."""
        self.set_class(status.state is SyncState.OFFLINE, "-offline")
        extras = ([] if bell else [_("bell off")]) + ([extra] if extra else [])
        role = _(ROLES.get(role, role))
        self._circle = (circle, member, role, describe(status), extras)
        self._redraw()

    def on_resize(self) -> None:
        self._redraw()

    def _live_quiz(self, service: CircleService) -> "LiveQuiz | None":
        # The quiz code is loaded once a circle has a quiz session, not before the first
        # frame of every circle (some 15 ms).
        from ...sync.pacer import live_quiz
        from ...sync.quizrun import QuizRunner

        if self._runner is None:
            self._runner = QuizRunner(service)
        return live_quiz(service.state, service.me, self._runner.clock_ms())

    def _redraw(self) -> None:
        # Only while its screen shows: a covered line redrawn every second lays out the
        # screen under a live quiz and then redraws the whole quiz screen over it (with
        # thirty players in one ssh-serve worker, a tenth of its time). It catches up
        # when its screen shows again (_screen_changed).
        if self._covered():
            return
        service = self.service
        live = None
        if service is not None and service.state.sessions:
            live = self._live_quiz(service)
        self._live = "" if live is None else describe_live(live)
        self.set_class(bool(self._live), "-live")
        circle = ""
        if self._circle is not None:
            width = self.content_region.width  # 0 before the first layout: all of it
            room = width - cell_len(self._live + LIVE_GAP) if self._live else width
            circle = fit_status(*self._circle, max(room, 1) if width else 0)
        text = LIVE_GAP.join(part for part in (self._live, circle) if part)
        if text != self._shown:  # an unchanged line costs no bytes on a slow link
            self._shown = text
            content = Content(text)
            if self._live:
                content = content.stylize("bold $accent", 0, len(self._live))
            self.update(content, layout=False)  # one line, as wide as the screen
