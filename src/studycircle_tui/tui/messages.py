"""Messages the app posts when the circle or its sync changes, and the one its driver posts
when the terminal goes (named in the past tense)."""

from dataclasses import dataclass
from enum import Enum

from textual.message import Message

from ..core.replica import Change
from ..i18n import N_
from ..sync.engine import Notice, SyncStatus


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


# --- between the main screen's panes (up from a pane; the screen decides) --------------


class Listing(Enum):
    """What the main screen's list pane shows (the value: its title, for the views)."""

    CHANNEL = N_("Channel")  # the threads of one channel, titled by its name
    UNANSWERED = N_("Unanswered")
    MENTIONS = N_("Mentions")
    SEARCH = N_("Search")


@dataclass
class ChannelHighlighted(Message):
    """The cursor rests on a channel: its threads show beside it."""

    channel_id: str


@dataclass
class ChannelChosen(Message):
    """Enter on a channel: on to its threads."""

    channel_id: str


@dataclass
class ViewChosen(Message):
    """Enter on a circle-wide view: the unanswered questions or the mentions."""

    view: Listing


@dataclass
class ThreadChosen(Message):
    """A thread (or a post in it, from mentions and search) was chosen in the list."""

    thread_id: str
    at_post: str | None = None


class TerminalClosed(Message):
    """The app's terminal has gone (hung up, SIGHUP, the SSH session dropped) or it was
    told to end (SIGTERM): save and end, as a quit does."""
