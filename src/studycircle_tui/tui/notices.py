"""Toasts that replace their own earlier copy instead of stacking under it.

At 80x24 three toasts cover half the screen. A problem said again (config.toml that
still cannot be written, at every setting saved or bell toggled) replaces the toast it
said last time, which starts its time again; different problems still show apart.
Textual has no public call that replaces or withdraws a toast, so this uses the one
its own Toast uses when clicked away, through ``compat.withdraw_notification``.
"""

from textual.app import App
from textual.notifications import Notification, Notify, SeverityLevel

from .compat import withdraw_notification


class KeptNotices:
    """One toast per ``key`` at a time, for one app."""

    def __init__(self, app: App) -> None:
        self.app = app
        self._shown: dict[str, Notification] = {}

    def say(
        self,
        key: str,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
    ) -> None:
        """Show ``message`` as the toast of ``key``, in place of the one shown before."""
        app = self.app
        earlier = self._shown.pop(key, None)
        if earlier is not None:
            withdraw_notification(app, earlier)
        notification = Notification(
            message, title, severity, app.NOTIFICATION_TIMEOUT if timeout is None else timeout
        )
        self._shown[key] = notification
        app.post_message(Notify(notification))  # what App.notify does with its own
