"""The circle's life on the main screen: focus mode (how long, since when), sessions
starting, which new posts @mention this member, and the status line that shows them.

``CircleLife`` is plain state; ``CircleStatus`` is the bottom line that keeps it: every
few seconds it moves on to the next session, says when one starts, and, when focus
mode runs out, tells the screen (``FocusEnded``), which shows what came meanwhile.
"""

from dataclasses import dataclass, field

from textual.message import Message

from ...config import Settings
from ...core.folding import names_for
from ...core.ops import Op
from ...core.schedule import Occurrence, is_running, next_occurrence
from ...core.state import CircleState
from ...i18n import _
from ...sync.engine import CircleService
from ..timefmt import clock
from ..visible import name_of, visible_line
from ..widgets.status_line import StatusLine
from .schedule import describe_next

TICK_SECONDS = 15.0  # the next session, a session starting, focus running out

MINUTE_MS = 60_000


@dataclass
class CircleLife:
    focus_until_ms: int = 0
    focus_since_ms: int = 0
    announced: set[int] = field(default_factory=set)  # session starts already said

    def focusing(self, now_ms: int) -> bool:
        return now_ms < self.focus_until_ms

    def focus(self, now_ms: int, minutes: int) -> None:
        self.focus_since_ms, self.focus_until_ms = now_ms, now_ms + minutes * MINUTE_MS

    def unfocus(self) -> int:
        """Leave focus mode; when it began (what arrived since is worth a look)."""
        self.focus_until_ms = 0
        return self.focus_since_ms

    def focus_ran_out(self, now_ms: int) -> bool:
        return bool(self.focus_until_ms) and not self.focusing(now_ms)

    def session_starting(
        self, state: CircleState, now_ms: int, quiet: bool = False
    ) -> Occurrence | None:
        """A session that has started and not been announced (once each; ``quiet``, as
        in focus mode: not yet, so it is announced after if it still runs)."""
        upcoming = next_occurrence(state.schedule, now_ms)
        if quiet or upcoming is None or not is_running(upcoming, now_ms):
            return None
        if upcoming.start_ms in self.announced:
            return None
        self.announced.add(upcoming.start_ms)
        return upcoming

    def status(self, now_ms: int, next_session: str) -> str:
        """The status line's tail: focus mode, else the next session."""
        if self.focusing(now_ms):
            return _("focus until {time}").format(time=clock(self.focus_until_ms))
        return next_session


def mentions_heard(state: CircleState, me: str, ops: list[Op]) -> list[str]:
    """For each new post by someone else that @mentions ``me``: what the toast says."""
    member = state.members.get(me)
    if member is None:
        return []
    names = names_for(member.name)
    heard = []
    for op in ops:
        if op.type not in ("post.create", "thread.create") or op.actor == me:
            continue
        post = state.posts.peek(op.id)
        if post is None or not names.intersection(post.mentions):
            continue
        thread = state.threads.get(post.thread_id)
        where = visible_line(thread.title) if thread else _("a thread")
        who = name_of(state, op.actor, _("Someone"))
        heard.append(_("{name} mentioned you in “{thread}”").format(name=who, thread=where))
    return heard


@dataclass
class FocusEnded(Message):
    """Focus mode ran out (or was left): ``since`` is when it began."""

    since_ms: int


class CircleStatus(StatusLine):
    """The main screen's bottom line, keeping the circle's life (see the docstring)."""

    def __init__(self, service: CircleService, settings: Settings, *, id: str) -> None:
        super().__init__(service, id=id)
        self.settings = settings
        self.life = CircleLife()

    def on_mount(self) -> None:
        self.set_interval(TICK_SECONDS, self.tick)

    @property
    def focusing(self) -> bool:
        return self.life.focusing(self.service.now_ms())

    def redraw(self) -> None:
        state, me, now = self.service.state, self.service.me, self.service.now_ms()
        self.show(
            # The name it was joined by until its history says it (a new member's first
            # seconds, before the preview: the line began " · ").
            visible_line(state.name or self.service.record.name),
            name_of(state, me, _("not a member yet")),
            state.role_of(me) or "guest",
            self.service.status,
            self.settings.bell_on_mention,
            self.life.status(now, describe_next(self.service)),
        )

    def toggle_bell(self) -> None:
        """The terminal bell on @mentions on or off (the app's preferences save it)."""
        self.app.preferences.toggle_bell()  # type: ignore[attr-defined]
        self.redraw()

    def leave_focus(self) -> None:
        self.post_message(FocusEnded(self.life.unfocus()))

    def tick(self) -> None:
        now = self.service.now_ms()
        if self.life.focus_ran_out(now):
            self.leave_focus()
        starting = self.life.session_starting(self.service.state, now, quiet=self.focusing)
        if starting is not None:
            title = visible_line(starting.session.title)
            started = _("{title} has started.").format(title=title)
            # markup=False: the title is as its author wrote it.
            self.notify(started, title=_("Session"), timeout=20, markup=False)
        self.redraw()  # the next session moves on; the line is redrawn only if it changed
