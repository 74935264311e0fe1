"""One line at the bottom: circle, member, transport and sync state."""

from textual.widgets import Static

from ...sync.engine import SyncStatus
from ..timefmt import clock

BAR_CELLS = 8


def bar(done: int, total: int) -> str:
    """``done`` of ``total`` as a bar of ``BAR_CELLS`` cells (block characters, which the
    Linux console has too)."""
    filled = round(BAR_CELLS * min(done, total) / total) if total else 0
    return "█" * filled + "░" * (BAR_CELLS - filled)


def _kb(count: int) -> str:
    return f"{count / 1000:,.0f}" if count >= 10_000 else f"{count / 1000:,.1f}"


def describe(status: SyncStatus) -> str:
    if status.state == "offline":
        text = f"offline since {clock(status.since_ms)}"
    elif status.transport == "local file":
        text = "local file · synced"
    else:
        text = "online"
    if status.waiting:
        text += f" · {status.waiting} waiting to send"
    if status.fetching:
        done, total = status.fetching
        text += f" · newest threads {bar(done, total)} {_kb(done)}/{_kb(total)} KB"
    if status.history:
        done, total = status.history
        text += f" · history {bar(done, total)} {done:,}/{total:,}"
    if status.sending:
        done, total = status.sending
        text += f" · sending {bar(done, total)} {_kb(done)}/{_kb(total)} KB"
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
