"""One line at the bottom: circle, member, transport and sync state.

It must fit one line of an 80-column terminal, so when it is too wide it gives way in
this order: the member's role, then their name, then the circle's name is shortened;
how the circle syncs, what waits to be sent and the next session are kept whole.
"""

from rich.cells import cell_len
from rich.text import Text
from textual.widgets import Static

from ...sync.engine import SyncStatus
from ..timefmt import clock

SHORTEST_NAME = 12  # cells a shortened circle name keeps (with its "…")


def describe(status: SyncStatus) -> str:
    if status.state == "offline":
        text = f"offline since {clock(status.since_ms)}"
    elif status.transport == "local file":
        text = "local file · synced"
    else:
        text = "online"
    if status.waiting:
        text += f" · {status.waiting} waiting to send"
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


class StatusLine(Static):
    DEFAULT_CSS = """
    StatusLine { width: 1fr; height: 1; background: $panel; color: $text-muted; padding: 0 1; }
    StatusLine.-offline { color: $warning; }
    """

    _shown = ""
    _parts: tuple[str, str, str, str, list[str]] | None = None

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
        self.set_class(status.state == "offline", "-offline")
        extras = ([] if bell else ["bell off"]) + ([extra] if extra else [])
        self._parts = (circle, member, role, describe(status), extras)
        self._draw()

    def on_resize(self) -> None:
        self._draw()

    def _draw(self) -> None:
        if self._parts is None:
            return
        text = fit_status(*self._parts, self.content_region.width)
        if text != self._shown:  # an unchanged line costs no bytes on a slow link
            self._shown = text
            self.update(text)
