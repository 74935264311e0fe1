"""The screen a circle lives in: channels | threads (or search results, the open
questions, your mentions) | the open thread and its composer.

From 120 columns the three panes sit side by side; from 100 the list and the thread do;
narrower, one pane shows at a time, its title says where ``esc`` goes back to
(thread → list → channels). Each pane owns what is in it (``list_panes.py``,
``thread_pane.py``) and says what the member chose in a message; this screen decides
what opens, lays the panes out, and keeps the circle's life (rules, focus mode,
sessions, the other screens). What each key does is in ``actions.py``.

About 490 lines, kept whole: what is left here is the screen's own part, deciding what
opens when a pane chooses, laying the panes out, and one short action for each key of
the table's "screen" scope (most push a screen). The panes, the status line (which keeps
focus mode and sessions, ``circle_life.py``) and the dialogs hold the rest; splitting
this further would bring back the mixins issue 17 took out.

The screens whose imports cost most (participation's DataTable, members, new thread, the
circle dialogs) are imported by the action that opens them, as quizzes and notes are:
the first frame does not wait for them (measured with ``bench/startup.py``).
"""

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.dom import DOMNode
from textual.events import Click, DescendantFocus, Key
from textual.screen import Screen

from ...config import Settings
from ...core import discussion
from ...core.digest import arrivals_since
from ...core.ops import Op
from ...i18n import N_, _, ngettext
from ...i18n import message as translated
from ...sync.engine import CircleService
from ..actions import Action, bindings_for, key_for
from ..intents import ask, may, say_no, say_why_not
from ..messages import (
    ChannelChosen,
    ChannelHighlighted,
    CircleChanged,
    Listing,
    NoticeReceived,
    SyncStatusChanged,
    ThreadChosen,
    ViewChosen,
)
from ..visible import visible
from ..widgets.channel_list import MENTIONS, UNANSWERED
from ..widgets.footer import AppFooter
from ..widgets.post_render import Palette
from .circle_life import CircleStatus, FocusEnded, mentions_heard
from .circle_settings import CircleSettingsScreen
from .circle_switcher import CircleSwitcherScreen
from .help import HelpScreen
from .list_panes import ChannelsPane, ThreadsPane
from .rules import RulesScreen, needs_acceptance
from .schedule import ScheduleScreen
from .suggestions import SuggestionScreen
from .thread_pane import ThreadPane

PANES = ("channels", "threads", "thread")
HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-medium"), (120, "-wide")]


def width_class(width: int) -> str:
    """The class of the breakpoint a screen ``width`` cells wide is at, as Textual says."""
    return max((at, name) for at, name in HORIZONTAL_BREAKPOINTS if width >= at)[1]


class MainScreen(Screen[None]):
    BINDINGS = bindings_for("screen")
    KEY_SCOPES = ("screen", "post", "thread", "lists", "composer")
    HORIZONTAL_BREAKPOINTS = HORIZONTAL_BREAKPOINTS

    def __init__(self, service: CircleService, settings: Settings) -> None:
        super().__init__()
        self.service = service
        self.settings = settings
        self.channel_id: str | None = None
        self.view = Listing.CHANNEL
        self.pane = "channels"
        self.mention_bells = 0  # mentions that rang (or would have rung) the bell
        self._rules_shown_version = -1  # the rules are offered once per version
        self._palette: Palette | None = None
        self._offered: tuple[bool | None, ...] = ()
        self.changes_waiting = False  # changes came while another screen covered this

    def compose(self) -> ComposeResult:
        # The width class Textual gives the screen at its first Resize, given now: added
        # then, it restyles every widget again before the first frame (~20 ms).
        width = self.app.size.width
        self.update_classes(
            {name: name == width_class(width) for _, name in self.HORIZONTAL_BREAKPOINTS},
            update=False,
        )
        with Horizontal(id="body"):
            # Made with the classes on_mount's _show_pane("channels") gives: each class
            # added to a mounted pane restyles all of it.
            yield ChannelsPane(self.service, id="channels-pane", classes="pane -current -left")
            yield ThreadsPane(self.service, id="threads-pane", classes="pane")
            yield ThreadPane(self.service, id="thread-pane", classes="pane")
        yield CircleStatus(self.service, self.settings, id="status")
        yield AppFooter(compact=True)

    def on_mount(self) -> None:
        channels = discussion.channels_in_order(self.service.state)
        self.channel_id = channels[0] if channels else None
        self._refresh_all()
        self._show_pane("channels")
        self.query_one(ChannelsPane).focus_list()
        self.watch(self.app, "theme", self._theme_changed, init=False)
        # After the first refresh: a modal pushed before this screen has handled its first
        # Resize leaves it without its width class (-narrow, …) behind the modal, as
        # Textual applies breakpoints to the active screen only.
        self.call_after_refresh(self.offer_rules)

    @property
    def thread_pane(self) -> ThreadPane:
        return self.query_one(ThreadPane)

    @property
    def thread_id(self) -> str | None:
        return self.thread_pane.thread_id

    @property
    def status_line(self) -> CircleStatus:
        return self.query_one(CircleStatus)

    @property
    def focusing(self) -> bool:
        return self.status_line.focusing

    @property
    def palette(self) -> Palette:
        if self._palette is None:
            self._palette = Palette.from_variables(self.app.theme, self.app.theme_variables)
        return self._palette

    def _theme_changed(self) -> None:
        self._palette = None
        self.thread_pane.forget_hint()
        self._refresh_all()

    # --- what is offered --------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "back":  # not offered on the first pane: there is nothing behind it
            return self.pane != "channels"
        return self.why_not(action) is None

    def why_not(self, action: str) -> str | None:
        """Why an action is not offered now (None: it is); its key pressed says this."""
        if action == "new_thread":
            if self.channel_id is None:
                return self._no_channel_yet()
            return may(self.service, "thread.create", channel=self.channel_id).reason
        if action == "new_channel":
            return may(self.service, "channel.create").reason
        if action == "jump_to_channel" and self.focusing:
            return N_("focus mode shows only this channel (F leaves it)")
        return None

    def on_key(self, event: Key) -> None:
        if say_why_not(self, event.key, ("screen",)):
            event.stop()

    def refresh_offered(self) -> None:
        """Rebuild the footer if what it offers has changed."""
        offered = (self.check_action("new_thread", ()), *self.thread_pane.offered())
        if offered != self._offered:
            self._offered = offered
            self.refresh_bindings()

    def action_owner(self, action: Action) -> DOMNode:
        """Where an action of the table runs (the palette runs it there)."""
        return self.thread_pane if action.scope == "post" else self

    # --- layout -----------------------------------------------------------------------

    def _show_pane(self, pane: str) -> None:
        """Make ``pane`` the current one. The classes go on the panes, not the screen:
        a class on the screen restyles every widget on it (~10 ms a keypress)."""
        if pane != self.pane or not self.query("#channels-pane.-left, #threads-pane.-left"):
            self.pane = pane
            left = "channels" if pane == "channels" else "threads"
            for name in PANES:  # both classes at once: one restyle of a pane, not two
                classes = {"-current": name == pane, "-left": name == left}
                self.query_one(f"#{name}-pane").update_classes(classes)
            self.refresh_bindings()  # esc goes back from any pane but the first
        self._refresh_titles()

    def on_descendant_focus(self, event: DescendantFocus) -> None:
        # Focus moved by tab, the mouse or a pane: the pane it is in becomes the current one.
        for node in event.widget.ancestors_with_self:
            pane = (node.id or "").removesuffix("-pane")
            if pane in PANES:
                if pane != self.pane:
                    self._show_pane(pane)
                break

    def on_resize(self) -> None:
        self._refresh_titles()

    def action_back(self) -> None:
        threads = self.query_one(ThreadsPane)
        if threads.search_box.has_focus:
            if not threads.leaving_search():
                self._close_search()
            return
        if self.pane == "thread":
            self._show_pane("threads")
            threads.rows.focus()
        elif self.pane == "threads":
            self._show_pane("channels")
            self.query_one(ChannelsPane).focus_list()

    @on(Click, ".pane-title")
    def _title_clicked(self, event: Click) -> None:
        if self.has_class("-narrow") or (self.has_class("-medium") and self.pane == "threads"):
            self.action_back()

    # --- showing the circle -----------------------------------------------------------

    def _refresh_all(self) -> None:
        self._refresh_channels()
        self._refresh_rows()
        self.thread_pane.refresh_thread(self.palette)
        self._refresh_status()

    def _refresh_channels(self) -> None:
        views = {Listing.UNANSWERED: UNANSWERED, Listing.MENTIONS: MENTIONS}
        current = views.get(self.view, self.channel_id)
        only = self.channel_id if self.focusing else None
        self.query_one(ChannelsPane).show(current, self.palette, only)

    def _refresh_rows(self) -> None:
        threads = self.query_one(ThreadsPane)
        threads.show(self.view, self.channel_id, self.thread_id, self.palette)
        self._refresh_titles()

    def _refresh_titles(self) -> None:
        if not self.is_mounted:
            return
        how = f"‹ {key_for(self, 'screen', 'back')}  "  # how to go back, clickable
        back = how if self.has_class("-narrow") else ""
        medium_back = how if self.has_class("-medium") else ""
        self.query_one(ThreadsPane).show_title(self.view, self.channel_id, back or medium_back)
        self.thread_pane.show_title(back)

    def _refresh_status(self) -> None:
        self.status_line.redraw()

    def on_circle_changed(self, message: CircleChanged) -> None:
        state = self.service.state
        if self.channel_id is None:  # the circle's first channel: where `t` starts a thread
            channels = discussion.channels_in_order(state)
            self.channel_id = channels[0] if channels else None
        if not self.focusing:  # focus mode silences bells and notices
            for said in mentions_heard(state, self.service.me, message.change.applied):
                self.mention_bells += 1
                # markup=False: it quotes a member's name and a thread's title as written.
                self.notify(said, title=_("Mention"), markup=False)
                if self.settings.bell_on_mention:
                    self.app.bell()
        if self.is_current:  # never over a quiz or a note being edited
            self.offer_rules()  # on joining, and once after each change of the rules
        if self.thread_id and self.is_current and self.pane == "thread":
            ask(self, self.service.mark_read, self.thread_id)  # its change refreshes again
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

    def on_sync_status_changed(self, message: SyncStatusChanged) -> None:
        self._refresh_status()
        # A post sent loses its "queued" mark; the welcome says what is still arriving
        # (drawn again only when that changed).
        self.thread_pane.refresh_thread(self.palette)

    def on_notice_received(self, message: NoticeReceived) -> None:
        severity = "error" if message.notice.severity == "error" else "warning"
        if self.focusing and severity != "error":
            return
        # markup=False: a notice quotes what others wrote and errors ("[Errno 2]"), and
        # must be shown as it is, never read as markup (a stray "[/b]" would crash the app);
        # visible(): nor may it carry control characters to the terminal.
        # In the member's language: a notice is a marked sentence (core/messages.py).
        text = translated(message.notice.text)
        self.notify(visible(text), severity=severity, timeout=8, markup=False)

    # --- what the panes chose ---------------------------------------------------------

    def on_channel_highlighted(self, message: ChannelHighlighted) -> None:
        if message.channel_id != self.channel_id or self.view is not Listing.CHANNEL:
            self.channel_id, self.view = message.channel_id, Listing.CHANNEL
            self._refresh_rows()
            self.refresh_offered()

    def on_channel_chosen(self, message: ChannelChosen) -> None:
        self.open_channel(message.channel_id)

    def open_channel(self, channel_id: str) -> None:
        """On to the channel's threads."""
        self.channel_id, self.view = channel_id, Listing.CHANNEL
        self._refresh_channels()  # highlighted there, when opened by its number
        self._refresh_rows()
        self._show_pane("threads")
        self.query_one(ThreadsPane).rows.focus()

    def on_view_chosen(self, message: ViewChosen) -> None:
        self._open_view(message.view)

    def on_thread_chosen(self, message: ThreadChosen) -> None:
        self.open_thread(message.thread_id, at_post=message.at_post)

    def open_thread(self, thread_id: str | None, at_post: str | None = None) -> None:
        thread = self.service.state.threads.get(thread_id or "")
        if thread is not None and self.view is Listing.CHANNEL:
            self.channel_id = thread.channel_id
        self.thread_pane.open(thread_id, at_post)
        self._refresh_channels()
        self._refresh_rows()
        self._show_pane("thread")
        self.refresh_offered()

    def action_jump_to_channel(self, number: int) -> None:
        """Open the channel numbered ``number`` in the list (its key)."""
        channels = discussion.channels_in_order(self.service.state)
        if not 1 <= number <= len(channels):
            said = _("there is no channel {number} (the list has {count})")
            say_no(self, said.format(number=number, count=len(channels)))
            return
        self.open_channel(channels[number - 1])

    # --- views ------------------------------------------------------------------------

    def action_unanswered(self) -> None:
        self._open_view(Listing.UNANSWERED)

    def action_mentions(self) -> None:
        self._open_view(Listing.MENTIONS)

    def _open_view(self, view: Listing) -> None:
        self.view = view
        self._refresh_channels()
        self._refresh_rows()
        self._show_pane("threads")
        self.query_one(ThreadsPane).rows.focus()

    def action_search(self) -> None:
        self.view = Listing.SEARCH
        self._refresh_rows()
        self._show_pane("threads")
        self.query_one(ThreadsPane).start_search()

    def _close_search(self) -> None:
        self.view = Listing.CHANNEL
        self._refresh_channels()
        self._refresh_rows()
        self.query_one(ThreadsPane).rows.focus()

    def action_next_unread(self) -> None:
        state = self.service.state
        found = discussion.next_unread(state, self.service.me, self.channel_id, self.thread_id)
        if found is None:
            self.notify(_("Nothing unread: you are all caught up."))
            return
        self.channel_id, self.view = found[0], Listing.CHANNEL
        self.open_thread(found[1])

    def action_mark_all_read(self) -> None:
        def marked(count: int) -> None:
            marked = ngettext("Marked {count} thread read.", "Marked {count} threads read.", count)
            self.notify(marked.format(count=count) if count else _("Nothing was unread."))

        ask(self, self.service.mark_all_read, done=marked)

    def action_new_thread(self) -> None:
        channel = self.service.state.channels.get(self.channel_id or "")
        if channel is None:
            say_no(self, self._no_channel_yet())  # asked from the palette
            return

        def created(op: Op | None) -> None:
            if op is not None:
                self._thread_started(op)

        from .new_thread import NewThreadScreen

        self.app.push_screen(NewThreadScreen(self.service, channel.id), created)

    def _no_channel_yet(self) -> str:
        """What to do when there is no channel to start a thread in."""
        if discussion.channels_in_order(self.service.state):
            back = key_for(self, "screen", "back")
            return _("pick a channel first ({key} goes back to the channels)").format(key=back)
        if may(self.service, "channel.create"):
            settings = key_for(self, "screen", "circle_settings")
            said = _("there is no channel yet; press {key} (circle settings) to add one")
            return said.format(key=settings)
        return _("there is no channel yet; the circle's lead adds the first one")

    def _thread_started(self, op: Op) -> None:
        self.view = Listing.CHANNEL
        self.open_thread(op.id)

    def action_toggle_bell(self) -> None:
        self.status_line.toggle_bell()

    # --- the other screens ------------------------------------------------------------

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen.of(self))

    def action_quizzes(self) -> None:
        from .quiz import QuizPaneScreen  # quiz screens load when first opened

        self.app.push_screen(QuizPaneScreen(self.service, self.channel_id))

    def action_notes(self) -> None:
        from .notes import NotesScreen  # note screens load when first opened

        self.app.push_screen(NotesScreen(self.service, self.channel_id))

    def action_rules(self) -> None:
        self.app.push_screen(RulesScreen(self.service))

    def action_participation(self) -> None:
        from .participation import ParticipationScreen  # its DataTable loads with it

        self.app.push_screen(ParticipationScreen(self.service))

    def action_schedule(self) -> None:
        self.app.push_screen(ScheduleScreen(self.service))

    def action_suggestions(self) -> None:
        self.app.push_screen(SuggestionScreen(self.service))

    def action_members(self) -> None:
        from .members import MembersScreen

        self.app.push_screen(MembersScreen(self.service))

    def action_switch_circle(self) -> None:
        def chosen(circle_id: str | None) -> None:
            if circle_id is not None:
                self.thread_pane.leave_thread()  # the draft is kept for next time
                self.app.exit(circle_id)  # the command opens that circle next

        self.app.push_screen(CircleSwitcherScreen(self.service), chosen)

    def action_circle_settings(self) -> None:
        self.app.push_screen(CircleSettingsScreen(self.service))

    def action_new_channel(self) -> None:
        def create(answer: tuple[str, str] | None) -> None:
            if answer is not None:
                name, goal = answer
                said = _("Channel #{name} created.").format(name=name)
                ask(self, self.service.new_channel, name, goal, done=lambda _: self.notify(said))

        from .circle_dialogs import NewChannelScreen

        self.app.push_screen(NewChannelScreen(), create)

    # --- the circle's life ------------------------------------------------------------

    def offer_rules(self) -> None:
        """Show the rules once per version while this member has not accepted them."""
        version = self.service.state.rules_version
        if needs_acceptance(self.service) and version != self._rules_shown_version:
            self._rules_shown_version = version
            self.app.push_screen(RulesScreen(self.service))

    def action_focus(self) -> None:
        if self.focusing:
            self.status_line.leave_focus()
            return

        def chosen(minutes: int | None) -> None:
            if minutes:
                self.enter_focus(minutes)

        from .circle_dialogs import FocusScreen

        self.app.push_screen(FocusScreen(), chosen)

    def enter_focus(self, minutes: int) -> None:
        """Only this channel, no bells or notices, for ``minutes``."""
        self.status_line.life.focus(self.service.now_ms(), minutes)
        self._refresh_channels()
        self._refresh_status()

    def on_focus_ended(self, message: FocusEnded) -> None:
        self._refresh_channels()
        self._refresh_status()
        arrivals = arrivals_since(self.service.state, self.service.me, message.since_ms)
        from .circle_dialogs import MeanwhileScreen

        self.app.push_screen(MeanwhileScreen(self.service, arrivals), self._open_arrival)

    def _open_arrival(self, thread_id: str | None) -> None:
        if thread_id:
            self.channel_id = self.service.state.threads[thread_id].channel_id
            self.open_thread(thread_id)
