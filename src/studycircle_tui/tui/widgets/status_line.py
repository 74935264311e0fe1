"""One line at the bottom: circle, member, transport and sync state."""

from textual.widgets import Static

from ...sync.engine import SyncStatus
from ..timefmt import clock


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


class StatusLine(Static):
    DEFAULT_CSS = """
    StatusLine { width: 1fr; height: 1; background: $panel; color: $text-muted; padding: 0 1; }
    StatusLine.-offline { color: $warning; }
    """

    _shown = ""

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
        text = f"{circle} · {member} ({role}) · {describe(status)}"
        if not bell:
            text += " · bell off"
        if extra:
            text += f" · {extra}"
        if text != self._shown:  # an unchanged line costs no bytes on a slow link
            self._shown = text
            self.update(text)
