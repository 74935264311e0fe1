"""Messages the app posts when the circle or its sync changes (named in the past tense)."""

from dataclasses import dataclass

from textual.app import App
from textual.message import Message
from textual.screen import Screen

from ..core.replica import Change
from ..sync.engine import CircleService, Event, Notice, SyncStatus


@dataclass
class CircleChanged(Message):
    change: Change

    def can_replace(self, message: Message) -> bool:
        # A burst of changes (a room answering a question) is handled once, as one: this
        # change's ops go in front of the next one's, which is handled instead.
        if not isinstance(message, CircleChanged):
            return False
        message.change = Change(
            [*self.change.applied, *message.change.applied],
            self.change.refolded or message.change.refolded,
        )
        return True


@dataclass
class SyncStatusChanged(Message):
    status: SyncStatus

    def can_replace(self, message: Message) -> bool:
        # Only the newest status matters; a burst of them collapses into one.
        return isinstance(message, SyncStatusChanged)


@dataclass
class NoticeReceived(Message):
    notice: Notice


def follow_circle(app: App, service: CircleService, screen_type: type[Screen]) -> None:
    """Have circle changes reach whichever ``screen_type`` screen is showing (the app
    itself forwards them to the main screen only). Registered once per app and type."""
    following = app.__dict__.setdefault("_screens_following_circle", set())
    if screen_type in following:
        return
    following.add(screen_type)

    def forward(event: Event) -> None:
        if not isinstance(event, Change):
            return
        try:
            screen = app.screen
        except Exception:  # no screen yet, or the app is closing
            return
        if isinstance(screen, screen_type):
            screen.post_message(CircleChanged(event))

    service.subscribe(forward)
