"""The screen a circle lives in: channels | threads (or search results, the open
questions, your mentions) | the open thread and its composer.

From 120 columns the three panes sit side by side; from 100 the list and the thread do;
narrower, one pane shows at a time, its title says where ``esc`` goes back to
(thread → list → channels). What each key does is in ``actions.py``; acting on posts
is in ``post_actions.py``.
"""

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.events import Click, DescendantFocus
from textual.screen import Screen
from textual.widgets import Input, Label, OptionList

from ...config import Settings
from ...core import discussion
from ...core.search import CircleIndex, mention_tokens, names_for
from ...sync.engine import CircleService
from ..actions import bindings_for
from ..commands import DiscussionCommands
from ..messages import CircleChanged, NoticeReceived, SyncStatusChanged
from ..visible import name_of, visible, visible_line
from ..widgets.channel_list import MENTIONS, UNANSWERED, ChannelList
from ..widgets.composer import Composer
from ..widgets.footer import AppFooter
from ..widgets.post_render import Palette
from ..widgets.row_list import RowList
from ..widgets.rows import PostRows, ThreadRows
from ..widgets.status_line import StatusLine
from ..widgets.thread_view import ThreadView
from .circle_life_actions import CircleLifeActions
from .help import HelpScreen
from .post_actions import PostActions

PANES = ("channels", "threads", "thread")
KEY_HINTS = (
    ("n", "the next unread thread", "/", "search every post"),
    ("u", "open questions", "@", "posts that mention you"),
    ("t", "start a thread", "?", "every key"),
)


def welcome_hint(circle: str, goal: str, palette: Palette, arriving: str = "") -> list[Text]:
    """What the thread pane says before a thread is open: where you are, how to move;
    and ``arriving``, what of the circle is still on its way."""
    lines = [Text(f"Welcome to {visible_line(circle)}", style="bold")]
    if goal:
        lines.append(Text(visible(goal), style=palette.muted))
    if arriving:
        lines += [Text(), Text(arriving, style=palette.accent)]
    lines += [
        Text(),
        Text("Pick a channel, then a thread."),
        Text("↑↓ or j/k move · enter opens · esc goes back"),
        Text(),
    ]
    for key, what, other, other_what in KEY_HINTS:
        line = Text()
        line.append(f"{key:>3} ", style=palette.accent)
        line.append(f"{what:<26}")
        line.append(f"{other:>3} ", style=palette.accent)
        line.append(other_what)
        lines.append(line)
    return lines


SEARCH_DELAY = 0.15  # seconds of quiet typing before the search runs


class MainScreen(PostActions, CircleLifeActions, Screen[None]):
    BINDINGS = bindings_for("screen")
    COMMANDS = {DiscussionCommands}
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-medium"), (120, "-wide")]

    def __init__(self, service: CircleService, settings: Settings) -> None:
        super().__init__()
        self.service = service
        self.settings = settings
        self.index = CircleIndex(service.state)
        self.channel_id: str | None = None
        self.thread_id: str | None = None
        self.view = "channel"  # or "unanswered", "mentions", "search"
        self.pane = "channels"
        self.mention_bells = 0  # mentions that rang (or would have rung) the bell
        self._palette: Palette | None = None
        self._search_timer = None
        self._arrived = ""  # what the welcome said was still arriving
        self.changes_waiting = False  # changes came while another screen covered this
        self.init_post_actions()
        self.init_circle_life()

    def compose(self) -> ComposeResult:
        with Horizontal(id="body"):
            with Vertical(id="channels-pane", classes="pane"):
                yield Label("Channels", id="channels-title", classes="pane-title")
                yield ChannelList(id="channels")
            with Vertical(id="threads-pane", classes="pane"):
                yield Label("", id="list-title", classes="pane-title")
                yield Label("", id="list-subtitle")
                yield Input(
                    placeholder="Search: words, author:NAME in:CHANNEL is:question is:unanswered",
                    id="search",
                )
                yield RowList(id="rows")
            with Vertical(id="thread-pane", classes="pane"):
                yield Label("", id="thread-title", classes="pane-title")
                yield ThreadView(id="thread")
                yield Label("", id="composer-context")
                yield Composer(id="composer")
        yield StatusLine(self.service, id="status")
        yield AppFooter(compact=True)

    def on_mount(self) -> None:
        channels = discussion.channels_in_order(self.service.state)
        self.channel_id = channels[0] if channels else None
        self._refresh_all()
        self._show_pane("channels")
        self.query_one(ChannelList).focus()
        self.watch(self.app, "theme", self._theme_changed, init=False)
        self.start_circle_life()

    @property
    def palette(self) -> Palette:
        if self._palette is None:
            self._palette = Palette.from_variables(self.app.theme, self.app.theme_variables)
        return self._palette

    def _theme_changed(self) -> None:
        self._palette = None
        self._refresh_all()

    # --- layout -----------------------------------------------------------------------

    def _show_pane(self, pane: str) -> None:
        """Make ``pane`` the current one. The classes go on the panes, not the screen:
        a class on the screen restyles every widget on it (~10 ms a keypress)."""
        if pane != self.pane or not self.query("#channels-pane.-left, #threads-pane.-left"):
            self.pane = pane
            left = "channels" if pane == "channels" else "threads"
            for name in PANES:
                self.query_one(f"#{name}-pane").set_class(name == pane, "-current")
                self.query_one(f"#{name}-pane").set_class(name == left, "-left")
        self._refresh_titles()

    def on_descendant_focus(self, event: DescendantFocus) -> None:
        # Focus moved by tab or the mouse: the pane it is in becomes the current one.
        for node in event.widget.ancestors_with_self:
            pane = (node.id or "").removesuffix("-pane")
            if pane in PANES:
                if pane != self.pane:
                    self._show_pane(pane)
                break

    def on_resize(self) -> None:
        self._refresh_titles()

    def _narrow(self) -> bool:
        return self.has_class("-narrow")

    def action_back(self) -> None:
        search = self.query_one("#search", Input)
        if search.has_focus:
            if search.value.strip() and self.query_one(RowList).rows:
                self.query_one(RowList).focus()
            else:
                self._close_search()
            return
        if self.pane == "thread":
            self._show_pane("threads")
            self.query_one(RowList).focus()
        elif self.pane == "threads":
            self._show_pane("channels")
            self.query_one(ChannelList).focus()

    @on(Click, ".pane-title")
    def _title_clicked(self, event: Click) -> None:
        if self._narrow() or (self.has_class("-medium") and self.pane == "threads"):
            self.action_back()

    # --- showing the circle -----------------------------------------------------------

    def _refresh_all(self) -> None:
        self._refresh_channels()
        self._refresh_rows()
        self._refresh_thread()
        self._refresh_status()

    def _refresh_channels(self) -> None:
        state, me = self.service.state, self.service.me
        current = {"unanswered": UNANSWERED, "mentions": MENTIONS}.get(self.view, self.channel_id)
        self.query_one(ChannelList).show(
            state,
            me,
            current,
            self.palette,
            len(discussion.unanswered(state)),
            self._unread_mentions(),
            only=self.channel_id if self.focusing else None,
        )

    def _unread_mentions(self) -> int:
        state, me = self.service.state, self.service.me
        count = 0
        for post_id in self.index.mentions_of(me):
            post = state.posts[post_id]
            if post.index >= discussion.first_unread_index(state, me, post.thread_id):
                count += 1
        return count

    def _refresh_rows(self) -> None:
        state, me, now = self.service.state, self.service.me, self.service.now_ms()
        rows = self.query_one(RowList)
        subtitle = ""
        self.query_one("#threads-pane").set_class(self.view == "search", "-searching")
        if self.view == "unanswered":
            ids = discussion.unanswered(state)
            render = ThreadRows(state, me, now, self.palette, with_channel=True)
            subtitle = "Open questions, oldest first"
            rows.empty_text = "No open questions: every question has an answer."
        elif self.view == "mentions":
            ids = self.index.mentions_of(me)
            member = state.members.get(me)
            terms = [f"@{name}" for name in names_for(member.name)] if member else []
            render = PostRows(state, me, now, self.palette, terms)
            subtitle = "Posts that @mention you, newest first"
            rows.empty_text = "Nobody has @mentioned you yet."
        elif self.view == "search":
            result = self.index.search(self.query_one("#search", Input).value, me)
            ids = [hit.post_id for hit in result.hits]
            render = PostRows(state, me, now, self.palette, result.query.terms)
            if result.query.problems:
                subtitle = result.query.problems[0]
            elif result.query.empty:
                subtitle = "Type to search every post; enter goes to the results"
            else:
                count = f"{len(ids)}+" if result.more else str(len(ids))
                subtitle = f"{count} post{'s' if len(ids) != 1 else ''}, newest first"
                if self.service.catching_up:  # a preview: only its threads are searched
                    subtitle = f"{count} found · history still loading"
            rows.empty_text = "No posts match." if not result.query.empty else ""
        else:
            ids = discussion.threads_by_activity(state, self.channel_id or "")
            render = ThreadRows(state, me, now, self.palette, with_channel=False)
            channel = state.channels.get(self.channel_id or "")
            subtitle = visible_line(channel.goal) if channel else ""
            rows.empty_text = "No threads yet: press t to start one."
        self.query_one("#list-subtitle", Label).update(subtitle)
        current = self.thread_id if self.view in ("channel", "unanswered") else None
        rows.show(ids, render, current)
        self._refresh_titles()

    def _refresh_thread(self, first_unread: int | None = None, at_post: str | None = None):
        state = self.service.state
        view = self.query_one(ThreadView)
        self._arrived = self._arriving()
        view.hint = welcome_hint(
            state.name or self.service.record.name, state.goal, self.palette, self._arrived
        )
        self.query_one("#thread-pane").set_class(self.thread_id is None, "-no-thread")
        view.show(
            state,
            self.thread_id,
            self.service.me,
            self.service.now_ms(),
            first_unread=first_unread,
            at_post=at_post,
        )
        self._refresh_titles()

    def _arriving(self) -> str:
        """What the welcome says of a circle still arriving (sync/catchup.py)."""
        status = self.service.status
        if status.fetching or (not self.service.state.channels and status.history):
            return "Joining: the newest threads come first."
        if self.service.catching_up:
            return "Newest threads here; older ones still coming."
        return ""

    def _refresh_titles(self) -> None:
        if not self.is_mounted:
            return
        state = self.service.state
        back = "‹ esc  " if self._narrow() else ""  # says how to go back, and is clickable
        if self.view == "channel":
            channel = state.channels.get(self.channel_id or "")
            title = f"# {visible_line(channel.name)}" if channel else "No channel"
        else:
            title = {"unanswered": "Unanswered", "mentions": "Mentions", "search": "Search"}[
                self.view
            ]
        medium_back = "‹ esc  " if self.has_class("-medium") else ""
        self.query_one("#list-title", Label).update(f"{back or medium_back}{title}")
        thread = state.threads.get(self.thread_id or "")
        self.query_one("#thread-title", Label).update(
            f"{back}{visible_line(thread.title)}"
            if thread
            else "Pick a thread, or press t to start one"
        )

    def _refresh_status(self) -> None:
        state, me = self.service.state, self.service.me
        self.query_one(StatusLine).show(
            visible_line(state.name or self.service.record.name),
            name_of(state, me, "not a member yet"),
            state.role_of(me) or "guest",
            self.service.status,
            self.settings.bell_on_mention,
            self.status_extra(),
        )

    def refresh_after_focus_change(self) -> None:
        self._refresh_channels()
        self._refresh_status()

    def refresh_status_line(self) -> None:
        self._refresh_status()

    def on_circle_changed(self, message: CircleChanged) -> None:
        state = self.service.state
        self.index.update(state, message.change.applied)
        if self.view == "channel" and self.channel_id not in state.channels:
            # A circle just joined: its channels arrive after the screen is up.
            channels = discussion.channels_in_order(state)
            self.channel_id = channels[0] if channels else None
        if not self.focusing:  # focus mode silences bells and notices
            self._ring_for_mentions(message.change.applied)
        if self.is_current:  # never over a quiz or a note being edited
            self.offer_rules()  # on joining, and once after each change of the rules
        if self.thread_id and self.is_current and self.pane == "thread":
            self.service.mark_read(self.thread_id)  # its own change refreshes again
        covering = self.app.screen
        if covering is not self and not covering.is_modal:
            # A whole screen covers this one (a live quiz, say, where every answer in the
            # room is a change): it is drawn again when it shows.
            self.changes_waiting = True
            return
        self._refresh_all()
        self.refresh_offered()

    def on_screen_resume(self) -> None:
        if self.changes_waiting:
            self.changes_waiting = False
            self._refresh_all()
            self.refresh_offered()

    def _ring_for_mentions(self, ops) -> None:  # type: ignore[no-untyped-def]
        state, me = self.service.state, self.service.me
        member = state.members.get(me)
        if member is None:
            return
        names = names_for(member.name)
        for op in ops:
            if op.type not in ("post.create", "thread.create") or op.actor == me:
                continue
            post = state.posts.get(op.id)
            if post is None or not names & mention_tokens(post.text):
                continue
            self.mention_bells += 1
            thread = state.threads.get(post.thread_id)
            self.notify(
                f"{name_of(state, op.actor, 'Someone')} mentioned you in "
                f"“{visible_line(thread.title) if thread else 'a thread'}”",
                title="Mention",
            )
            if self.settings.bell_on_mention:
                self.app.bell()

    def on_sync_status_changed(self, message: SyncStatusChanged) -> None:
        self._refresh_status()
        if self.thread_id is None and self._arriving() != self._arrived:
            self._refresh_thread()  # the welcome says what is still arriving

    def on_notice_received(self, message: NoticeReceived) -> None:
        severity = "error" if message.notice.severity == "error" else "warning"
        if self.focusing and severity != "error":
            return
        # markup=False: a notice quotes what others wrote and errors ("[Errno 2]"), and
        # must be shown as it is, never read as markup (a stray "[/b]" would crash the app);
        # visible(): nor may it carry control characters to the terminal.
        self.notify(visible(message.notice.text), severity=severity, timeout=8, markup=False)

    # --- choosing ---------------------------------------------------------------------

    @on(OptionList.OptionHighlighted, "#channels")
    def _channel_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        option_id = event.option.id
        if option_id in (UNANSWERED, MENTIONS):
            return  # views open on enter: they are not channels to browse past
        if option_id != self.channel_id or self.view != "channel":
            self.channel_id, self.view = option_id, "channel"
            self._refresh_rows()

    @on(OptionList.OptionSelected, "#channels")
    def _channel_selected(self, event: OptionList.OptionSelected) -> None:
        option_id = event.option.id
        if option_id == UNANSWERED:
            self.action_unanswered()
        elif option_id == MENTIONS:
            self.action_mentions()
        else:
            self.channel_id, self.view = option_id, "channel"
            self._refresh_rows()
            self._show_pane("threads")
            self.query_one(RowList).focus()

    @on(RowList.Chosen, "#rows")
    def _row_chosen(self, event: RowList.Chosen) -> None:
        if self.view in ("channel", "unanswered"):
            self.open_thread(event.row_id)
        else:
            post = self.service.state.posts.get(event.row_id)
            if post is not None:
                self.open_thread(post.thread_id, at_post=post.id)

    def open_thread(self, thread_id: str | None, at_post: str | None = None) -> None:
        state = self.service.state
        self.leave_thread()
        self.thread_id = thread_id
        first_unread = None
        if thread_id in state.threads:
            thread = state.threads[thread_id]
            if self.view == "channel":
                self.channel_id = thread.channel_id
            first_unread = discussion.first_unread_index(state, self.service.me, thread_id)
            self.service.mark_read(thread_id)
        self.enter_thread()
        self._refresh_thread(first_unread=first_unread, at_post=at_post)
        self._refresh_channels()
        self._refresh_rows()
        self._show_pane("thread")
        self.query_one(ThreadView).focus()
        self.refresh_offered()

    # --- views ------------------------------------------------------------------------

    def action_unanswered(self) -> None:
        self._open_view("unanswered")

    def action_mentions(self) -> None:
        self._open_view("mentions")

    def _open_view(self, view: str) -> None:
        self.view = view
        self._refresh_channels()
        self._refresh_rows()
        self._show_pane("threads")
        self.query_one(RowList).focus()

    def action_search(self) -> None:
        self.view = "search"
        self._refresh_rows()
        self._show_pane("threads")
        search = self.query_one("#search", Input)
        search.focus()
        search.select_all()

    def _close_search(self) -> None:
        self.view = "channel"
        self._refresh_channels()
        self._refresh_rows()
        self.query_one(RowList).focus()

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
        self._search_timer = self.set_timer(SEARCH_DELAY, self._refresh_rows)

    @on(Input.Submitted, "#search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
        self._refresh_rows()
        if self.query_one(RowList).rows:
            self.query_one(RowList).focus()
        else:  # nothing found: the next words typed replace the query, not add to it
            event.input.select_all()

    def action_next_unread(self) -> None:
        state = self.service.state
        found = discussion.next_unread(state, self.service.me, self.channel_id, self.thread_id)
        if found is None:
            self.notify("Nothing unread: you are all caught up.")
            return
        self.channel_id, self.view = found[0], "channel"
        self.open_thread(found[1])

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen())

    def action_quizzes(self) -> None:
        from .quiz import QuizPaneScreen  # quiz screens load when first opened

        self.app.push_screen(QuizPaneScreen(self.service, self.channel_id))

    def action_notes(self) -> None:
        from .notes import NotesScreen  # note screens load when first opened

        self.app.push_screen(NotesScreen(self.service, self.channel_id))
