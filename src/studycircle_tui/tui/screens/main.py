"""The screen a circle lives in: channels | threads | the open thread and its composer.

From 120 columns the three panes sit side by side; narrower, one pane shows at a time
and ``escape`` goes back (thread → threads → channels).
"""

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Label, OptionList, TextArea

from ...core.ops import OpError
from ...sync.engine import CircleService, Refused
from ..messages import CircleChanged, NoticeReceived, SyncStatusChanged
from ..widgets.channel_list import ChannelList
from ..widgets.composer import Composer
from ..widgets.status_line import StatusLine
from ..widgets.thread_list import ThreadList
from ..widgets.thread_view import ThreadView
from .new_thread import NewThread, NewThreadScreen

WIDE_COLUMNS = 120
PANES = ("channels", "threads", "thread")


class MainScreen(Screen[None]):
    BINDINGS = [
        Binding("t", "new_thread", "New thread"),
        Binding("r", "reply", "Reply"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, service: CircleService) -> None:
        super().__init__()
        self.service = service
        self.channel_id: str | None = None
        self.thread_id: str | None = None
        self.pane = "channels"
        self._draft_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="channels-pane", classes="pane"):
            yield Label("Channels", classes="pane-title")
            yield ChannelList(id="channels")
        with Vertical(id="threads-pane", classes="pane"):
            yield Label("", id="threads-title", classes="pane-title")
            yield Label("", id="channel-goal")
            yield ThreadList(id="threads")
        with Vertical(id="thread-pane", classes="pane"):
            yield Label("", id="thread-title", classes="pane-title")
            yield ThreadView(id="thread")
            yield Composer(id="composer")
        yield StatusLine(id="status")
        yield Footer()

    def on_mount(self) -> None:
        state = self.service.state
        channels = [cid for cid in state.channel_order if not state.channels[cid].archived]
        self.channel_id = channels[0] if channels else None
        self._refresh_all()
        self._show_pane("channels")
        self.query_one(ChannelList).focus()

    # --- layout -----------------------------------------------------------------------

    def on_resize(self) -> None:
        self.set_class(self.size.width < WIDE_COLUMNS, "-narrow")

    def _show_pane(self, pane: str) -> None:
        self.pane = pane
        for name in PANES:
            self.set_class(name == pane, f"-pane-{name}")

    def action_back(self) -> None:
        composer = self.query_one(Composer)
        if composer.has_focus:
            self.query_one(ThreadView).focus()
        elif self.pane == "thread" or self.query_one(ThreadView).has_focus:
            self._show_pane("threads")
            self.query_one(ThreadList).focus()
        else:
            self._show_pane("channels")
            self.query_one(ChannelList).focus()

    # --- showing the circle -----------------------------------------------------------

    def _refresh_all(self) -> None:
        state, me, now = self.service.state, self.service.me, self.service.now_ms()
        self.query_one(ChannelList).show(state, me, self.channel_id)
        self._refresh_threads()
        self.query_one(ThreadView).show(state, self.thread_id, me, now)
        self._refresh_status()

    def _refresh_threads(self) -> None:
        state = self.service.state
        channel = state.channels.get(self.channel_id) if self.channel_id else None
        self.query_one("#threads-title", Label).update(f"# {channel.name}" if channel else "")
        self.query_one("#channel-goal", Label).update(channel.goal if channel else "")
        self.query_one(ThreadList).show(
            state, self.channel_id, self.service.me, self.thread_id, self.service.now_ms()
        )
        thread = state.threads.get(self.thread_id) if self.thread_id else None
        title = thread.title if thread else "Pick a thread, or press t to start one"
        self.query_one("#thread-title", Label).update(title)

    def _refresh_status(self) -> None:
        state, me = self.service.state, self.service.me
        member = state.members.get(me)
        self.query_one(StatusLine).show(
            state.name,
            member.name if member else "not a member yet",
            state.role_of(me) or "guest",
            self.service.status,
        )

    def on_circle_changed(self, message: CircleChanged) -> None:
        if self.thread_id and self.is_current:
            self.service.mark_read(self.thread_id)
        self._refresh_all()

    def on_sync_status_changed(self, message: SyncStatusChanged) -> None:
        self._refresh_status()

    def on_notice_received(self, message: NoticeReceived) -> None:
        severity = "error" if message.notice.severity == "error" else "warning"
        self.notify(message.notice.text, severity=severity, timeout=8)

    # --- choosing ---------------------------------------------------------------------

    @on(OptionList.OptionHighlighted, "#channels")
    def _channel_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id != self.channel_id:
            self.channel_id = event.option.id
            self._refresh_threads()

    @on(OptionList.OptionSelected, "#channels")
    def _channel_selected(self, event: OptionList.OptionSelected) -> None:
        self.channel_id = event.option.id
        self._refresh_threads()
        self._show_pane("threads")
        self.query_one(ThreadList).focus()

    @on(OptionList.OptionSelected, "#threads")
    def _thread_selected(self, event: OptionList.OptionSelected) -> None:
        self.open_thread(event.option.id)

    def open_thread(self, thread_id: str | None) -> None:
        composer = self.query_one(Composer)
        self.save_draft()
        self.thread_id = thread_id
        composer.load_text(self.service.draft(thread_id) if thread_id else "")
        composer.move_cursor(composer.document.end)
        if thread_id:
            self.service.mark_read(thread_id)
        self._refresh_all()
        self._show_pane("thread")
        self.query_one(ThreadView).focus()

    # --- acting -----------------------------------------------------------------------

    def action_reply(self) -> None:
        if self.thread_id:
            self._show_pane("thread")
            self.query_one(Composer).focus()

    def action_new_thread(self) -> None:
        state = self.service.state
        channel = state.channels.get(self.channel_id) if self.channel_id else None
        if channel is None:
            self.notify("Pick a channel first.", severity="warning")
            return

        def created(result: NewThread | None) -> None:
            if result is None:
                return
            op = self._submit(
                "thread.create",
                {
                    "channel": channel.id,
                    "title": result.title,
                    "kind": result.kind,
                    "text": result.text,
                },
            )
            if op is not None:
                self.open_thread(op.id)

        self.app.push_screen(NewThreadScreen(channel.name), created)

    @on(Composer.Sent)
    def _reply_sent(self, event: Composer.Sent) -> None:
        if not self.thread_id:
            return
        view = self.query_one(ThreadView)
        selected = view.selected_post
        data: dict[str, object] = {"thread": self.thread_id, "text": event.text}
        # Replying with a post other than the last one selected answers that post.
        if selected is not None and selected.index < view.post_count - 1:
            data["reply_to"] = selected.id
        if self._submit("post.create", data) is not None:
            composer = self.query_one(Composer)
            composer.load_text("")
            self.service.save_draft(self.thread_id, "")

    @on(TextArea.Changed, "#composer")
    def _draft_changed(self, event: TextArea.Changed) -> None:
        # Saved half a second after the typing stops: a durable write per key is too slow.
        if self._draft_timer is not None:
            self._draft_timer.stop()
        self._draft_timer = self.set_timer(0.5, self.save_draft)

    def save_draft(self) -> None:
        if self.thread_id:
            self.service.save_draft(self.thread_id, self.query_one(Composer).text)

    def _submit(self, type_name: str, data: dict[str, object]):
        try:
            return self.service.submit(type_name, data)
        except (Refused, OpError) as error:
            self.notify(f"Not done: {error}", severity="error")
            return None
