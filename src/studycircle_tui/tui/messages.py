"""Messages the app posts when the circle or its sync changes (named in the past tense)."""

from dataclasses import dataclass

from textual.message import Message

from ..core.replica import Change
from ..sync.engine import Notice, SyncStatus


@dataclass
class CircleChanged(Message):
    change: Change


@dataclass
class SyncStatusChanged(Message):
    status: SyncStatus

    def can_replace(self, message: Message) -> bool:
        # Only the newest status matters; a burst of them collapses into one.
        return isinstance(message, SyncStatusChanged)


@dataclass
class NoticeReceived(Message):
    notice: Notice
