"""The main screen's list panes: the channels (and below them the circle-wide views, the
open questions and your mentions), and beside them the list: a channel's threads, the
open questions, the posts that @mention you, or search results.

Each pane draws what the screen gives it (``show``) and says what the member chose in a
message (``messages.py``: ChannelChosen, ThreadChosen, …); the screen decides what
opens. The search box and what ``esc`` does in it belong to the list.
"""

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Label, OptionList

from ... import i18n
from ...core import discussion
from ...core.folding import names_for
from ...core.search import SearchResult, mentions_of, parse_query
from ...i18n import _, message, ngettext
from ...sync.engine import CircleService
from ..actions import key_for
from ..messages import (
    ChannelChosen,
    ChannelHighlighted,
    Listing,
    ThreadChosen,
    ViewChosen,
)
from ..visible import visible_line
from ..widgets.channel_list import MENTIONS, UNANSWERED, ChannelList
from ..widgets.post_render import Palette
from ..widgets.row_list import RowList
from ..widgets.rows import PostRows, ThreadRows

THREAD_LISTINGS = (Listing.CHANNEL, Listing.UNANSWERED)  # the others list posts


class ChannelsPane(Vertical):
    def __init__(self, service: CircleService, *, id: str, classes: str):
        super().__init__(id=id, classes=classes)
        self.service = service

    def compose(self) -> ComposeResult:
        yield Label(_("Channels"), id="channels-title", classes="pane-title")
        yield ChannelList(id="channels")

    def show(self, current: str | None, palette: Palette, only: str | None) -> None:
        """``current``: a channel id, UNANSWERED or MENTIONS; ``only``: focus mode's."""
        state = self.service.state
        self.query_one(ChannelList).show(
            state,
            self.service.me,
            current,
            palette,
            len(discussion.unanswered(state)),
            self._unread_mentions(),
            only=only,
        )

    def _unread_mentions(self) -> int:
        state, me = self.service.state, self.service.me
        count = 0
        for post_id in mentions_of(state, me):
            post = state.posts.peek(post_id)
            if post and post.index >= discussion.first_unread_index(state, me, post.thread_id):
                count += 1
        return count

    def focus_list(self) -> None:
        self.query_one(ChannelList).focus()

    @on(OptionList.OptionHighlighted, "#channels")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        if event.option.id and event.option.id not in (UNANSWERED, MENTIONS):
            # Views open on enter: they are not channels to browse past.
            self.post_message(ChannelHighlighted(event.option.id))

    @on(OptionList.OptionSelected, "#channels")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        option_id = event.option.id or ""
        views = {UNANSWERED: Listing.UNANSWERED, MENTIONS: Listing.MENTIONS}
        if option_id in views:
            self.post_message(ViewChosen(views[option_id]))
        else:
            self.post_message(ChannelChosen(option_id))


class ThreadsPane(Vertical):
    """The list: what ``view`` (a ``Listing``) shows."""

    def __init__(self, service: CircleService, *, id: str, classes: str):
        super().__init__(id=id, classes=classes)
        self.service = service
        self._found: SearchResult | None = None  # the results on show, for _found.query
        self._shown: tuple[Listing, str | None, str | None, Palette] | None = None

    def compose(self) -> ComposeResult:
        yield Label("", id="list-title", classes="pane-title", markup=False)
        yield Label("", id="list-subtitle", markup=False)
        yield Input(
            placeholder=_("Search: words, author:NAME in:CHANNEL is:question is:unanswered"),
            id="search",
        )
        yield RowList(id="rows")

    @property
    def rows(self) -> RowList:
        return self.query_one(RowList)

    @property
    def search_box(self) -> Input:
        return self.query_one("#search", Input)

    @property
    def view(self) -> Listing:
        return self._shown[0] if self._shown else Listing.CHANNEL

    def show(
        self, view: Listing, channel_id: str | None, thread_id: str | None, palette: Palette
    ) -> None:
        self._shown = (view, channel_id, thread_id, palette)
        if view is Listing.SEARCH:
            self._search()  # what is found may have changed
        self._draw()

    def _draw(self) -> None:
        if self._shown is None:
            return
        view, channel_id, thread_id, palette = self._shown
        state, me, now = self.service.state, self.service.me, self.service.now_ms()
        rows = self.rows
        subtitle = ""
        self.set_class(view is Listing.SEARCH, "-searching")
        if view is Listing.UNANSWERED:
            ids = discussion.unanswered(state)
            render = ThreadRows(state, me, now, palette, with_channel=True)
            subtitle = _("Open questions, oldest first")
            rows.empty_text = _("No open questions: every question has an answer.")
        elif view is Listing.MENTIONS:
            ids = mentions_of(state, me)
            member = state.members.get(me)
            terms = [f"@{name}" for name in names_for(member.name)] if member else []
            render = PostRows(state, me, now, palette, self.service.texts, rows.refresh, terms)
            subtitle = _("Posts that @mention you, newest first")
            rows.empty_text = _("Nobody has @mentioned you yet.")
        elif view is Listing.SEARCH:
            typed = parse_query(self.search_box.value)
            result = self._found if self._found is not None else SearchResult([], typed)
            ids = [hit.post_id for hit in result.hits if hit.post_id in state.posts]
            terms = result.query.terms
            render = PostRows(state, me, now, palette, self.service.texts, rows.refresh, terms)
            if typed.problems:
                subtitle = message(typed.problems[0])
            elif typed.empty:
                subtitle = _("Type to search every post; enter goes to the results")
                ids = []
            elif self._found is None:
                subtitle = _("Searching…")
            else:
                count = f"{len(ids)}+" if result.more else str(len(ids))
                subtitle = ngettext(
                    "{count} post, newest first", "{count} posts, newest first", len(ids)
                ).format(count=count)
                if self.service.catching_up:  # a preview: only its threads are searched
                    subtitle = _("{count} found · history still loading").format(count=count)
                if self.service.indexing:
                    indexing = i18n.current().number(self.service.indexing)
                    subtitle += " " + _("(still indexing {count} changes)").format(count=indexing)
            rows.empty_text = _("No posts match.") if self._found and not typed.empty else ""
        else:
            ids = discussion.threads_by_activity(state, channel_id or "")
            render = ThreadRows(state, me, now, palette, with_channel=False)
            channel = state.channels.get(channel_id or "")
            subtitle = visible_line(channel.goal) if channel else ""
            start = key_for(self, "screen", "new_thread")
            rows.empty_text = _("No threads yet: press {key} to start one.").format(key=start)
        # One line of a fixed size (app.tcss): no layout of the screen for new words.
        self.query_one("#list-subtitle", Label).update(subtitle, layout=False)
        current = thread_id if view in THREAD_LISTINGS else None
        rows.show(ids, render, current)

    def show_title(self, view: Listing, channel_id: str | None, back: str) -> None:
        if view is Listing.CHANNEL:
            channel = self.service.state.channels.get(channel_id or "")
            title = f"# {visible_line(channel.name)}" if channel else _("No channel")
        else:
            title = _(view.value)
        self.query_one("#list-title", Label).update(f"{back}{title}")

    def start_search(self) -> None:
        box = self.search_box
        box.focus()
        box.select_all()
        self.service.prepare_search()  # while the first words are typed

    def leaving_search(self) -> bool:
        """``esc`` in the search box: to the results if there are some (True), else the
        search is over (False)."""
        if self.search_box.value.strip() and self.rows.rows:
            self.rows.focus()
            return True
        return False

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        # At once, no waiting for a pause in the typing: each key's search stops the one
        # before it, even in the middle of its query (``Searcher``), so the keys of a
        # burst (a paste, a fast typist) cost a few started searches, not a delay.
        event.stop()
        self._search()

    @on(Input.Submitted, "#search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._search(submitted=True)

    @work(exclusive=True, group="search")
    async def _search(self, submitted: bool = False) -> None:
        """Search for what the box says (on the store's reader thread, so keys typed
        meanwhile are taken at once); a newer search replaces this one. Submitted (enter),
        go to the results, or select the words when nothing matched."""
        box = self.search_box
        text = box.value
        if parse_query(text).empty:
            self._found = None
        else:
            found = await self.service.search(text)
            if found is None or box.value != text:
                return  # a newer search is on its way
            self._found = found
        self._draw()
        if submitted:
            if self.rows.rows:
                self.rows.focus()
            else:  # nothing found: the next words typed replace the query, not add to it
                box.select_all()

    @on(RowList.Chosen, "#rows")
    def _row_chosen(self, event: RowList.Chosen) -> None:
        event.stop()
        if self.view in THREAD_LISTINGS:  # rows are threads
            self.post_message(ThreadChosen(event.row_id))
            return
        post = self.service.state.posts.get(event.row_id)  # rows are posts
        if post is not None:
            self.post_message(ThreadChosen(post.thread_id, at_post=post.id))
