"""The main screen's thread pane: the open thread (its title, its posts, the composer)
and what a member does with posts: write, reply, edit, delete, react, accept, verify,
flag, hide; which of those it offers (``check_action``); the composer's drafts.

The screen tells the pane which thread to show (``open``, ``refresh_thread``); the pane
owns everything in it. Every change is an intent of the service, asked through
``intents.ask``; a refusal (not your post, not your role, too long) is shown by the one
presenter and what was typed stays in the composer.
"""

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.events import Key
from textual.timer import Timer
from textual.widgets import Label, TextArea

from ...core import discussion
from ...core.ops import Op
from ...core.state import Post
from ...i18n import N_, _
from ...sync.engine import CircleService
from ..actions import bindings_for, key_for, scope_actions
from ..intents import ask, may, say_why_not
from ..visible import name_of, visible, visible_line
from ..widgets.composer import Composer
from ..widgets.post_render import Palette, plain_line
from ..widgets.thread_view import ThreadView
from .dialogs import ConfirmScreen, FlagReason, FlagScreen, HideScreen, PostInfoScreen, ReactScreen
from .rules import rules_first

DRAFT_DELAY = 0.5  # seconds after the typing stops: a durable write per key is too slow
# The footer's post actions, and the op each is asked about for the open thread.
OFFERED_AS = {
    "reply": ("post.create", True),
    "accept": ("answer.accept", True),
    "verify": ("answer.verify", True),
    "hide": ("post.hide", False),
}
KEY_HINTS = (  # the main screen's actions the welcome text names, two a line
    ("next_unread", N_("the next unread thread"), "search", N_("search every post")),
    ("unanswered", N_("open questions"), "mentions", N_("posts that mention you")),
    ("new_thread", N_("start a thread"), "help", N_("every key")),
)
# Why the selected post cannot be acted on so, by the action's verb.
ONLY_ITS_AUTHOR = {
    "edit": N_("Only its author can edit a post."),
    "delete": N_("Only its author can delete a post."),
}
NOT_YOUR_OWN = {"flag": N_("You cannot flag your own post.")}


def welcome_hint(
    circle: str, goal: str, palette: Palette, keys: dict[str, str], arriving: str = ""
) -> list[Text | tuple[Text, ...]]:
    """What the pane says before a thread is open: where you are, how to move (``keys``:
    the key of each action it names, as the member's keymap has it now; two keys a line
    where they fit, else one); and ``arriving``, what of the circle is still on its way."""
    lines: list[Text | tuple[Text, ...]] = [
        Text(_("Welcome to {circle}").format(circle=visible_line(circle)), style="bold")
    ]
    if goal:
        lines.append(Text(visible(goal), style=palette.muted))
    if arriving:
        lines += [Text(), Text(arriving, style=palette.accent)]
    lines += [
        Text(),
        Text(_("Pick a channel, then a thread.")),
        Text(_("↑↓ or j/k move · enter opens · {key} goes back").format(key=keys["back"])),
        Text(),
    ]
    for action, what, other, other_what in KEY_HINTS:
        first = Text.assemble((f"{keys[action]:>3} ", palette.accent), f"{_(what):<24}")
        second = Text.assemble((f"{keys[other]:>3} ", palette.accent), _(other_what))
        lines.append((first, second))
    return lines


def arriving_now(service: CircleService) -> str:
    """What the welcome says of a circle still arriving (sync/catchup.py)."""
    status = service.status
    if status.fetching or (not service.state.channels and status.history):
        return "Joining: the newest threads come first."
    if service.catching_up:
        return "Newest threads here; older ones still coming."
    return ""


class ThreadPane(Vertical):
    BINDINGS = bindings_for("post")

    def __init__(self, service: CircleService, *, id: str, classes: str = "") -> None:
        super().__init__(id=id, classes=classes)
        self.service = service
        self.thread_id: str | None = None
        # As refresh_thread sets it, set before mounting: set on the mounted pane, it
        # restyles all of it before the first frame.
        self.set_class(True, "-no-thread", update=False)
        self.composer_mode = "reply"  # "reply", "reply_to" or "edit"
        self.composer_post: str | None = None
        self._draft_timer: Timer | None = None
        self._kept_draft = ""  # the draft put aside while an edit is in the composer
        self._sending = False  # a post or an edit is being written
        self.arrived = ""  # what the welcome says is still arriving

    def compose(self) -> ComposeResult:
        yield Label("", id="thread-title", classes="pane-title", markup=False)
        yield ThreadView(self.service.texts, id="thread")
        yield Label("", id="composer-context", markup=False)
        yield Composer(id="composer")

    # --- showing ----------------------------------------------------------------------

    def open(self, thread_id: str | None, at_post: str | None = None) -> None:
        """Show ``thread_id`` (at its first unread post, or ``at_post``), with its draft."""
        state = self.service.state
        self.leave_thread()
        self.thread_id = thread_id
        first_unread = None
        if thread_id in state.threads:
            first_unread = discussion.first_unread_index(state, self.service.me, thread_id)
            ask(self, self.service.mark_read, thread_id)
        self._enter_thread()
        self.refresh_thread(first_unread=first_unread, at_post=at_post)
        self.query_one(ThreadView).focus()

    def refresh_thread(
        self,
        palette: Palette | None = None,
        *,
        first_unread: int | None = None,
        at_post: str | None = None,
    ) -> None:
        """Draw the thread from the circle's state (the welcome text needs ``palette``
        once, before a thread is open)."""
        state = self.service.state
        view = self.query_one(ThreadView)
        arriving = arriving_now(self.service)
        if palette is not None and (not view.hint or arriving != self.arrived):
            named = {"back"} | {name for names in KEY_HINTS for name in names[::2]}
            keys = {name: key_for(self, "screen", name) for name in named}
            name = state.name or self.service.record.name
            view.hint = welcome_hint(name, state.goal, palette, keys, arriving)
            self.arrived = arriving
        self.set_class(self.thread_id is None, "-no-thread")
        view.show(
            state,
            self.thread_id,
            self.service.me,
            self.service.now_ms(),
            first_unread=first_unread,
            at_post=at_post,
            queued=self.service.status.queued,  # a post's id is its op's: not sent yet
        )

    def forget_hint(self) -> None:
        """The theme changed: the welcome text is drawn again in its colours."""
        self.query_one(ThreadView).hint = []

    def show_title(self, back: str) -> None:
        thread = self.service.state.threads.get(self.thread_id or "")
        self.query_one("#thread-title", Label).update(
            f"{back}{visible_line(thread.title)}"
            if thread
            else _("Pick a thread, or press {key} to start one").format(
                key=key_for(self, "screen", "new_thread")
            )
        )

    def selected_post(self) -> Post | None:
        if not self.thread_id:
            return None
        return self.query_one(ThreadView).selected_post

    # --- what is offered --------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """What the footer offers. Post actions depend on the thread and your role, not
        on which post is selected: the footer is rebuilt only when you open a thread or
        your role changes (rebuilding it costs more than drawing a screenful of posts).
        An action that does not fit the selected post says why when pressed. None while
        writing: the composer's keys are what the footer shows then."""
        if self.query_one(Composer).has_focus:
            return False
        return self.why_not(action) is None

    def why_not(self, action: str) -> str | None:
        """Why a post action is not offered in the open thread (the circle's own rule),
        or None when it is. Pressed anyway, its key says this (``say_why_not``)."""
        if self.thread_id not in self.service.state.threads:
            return N_("open a thread first")
        op_type, about_thread = OFFERED_AS.get(action, ("post.react", False))  # react, flag…
        data = {"thread": self.thread_id} if about_thread else {}
        return may(self.service, op_type, **data).reason

    def on_key(self, event: Key) -> None:
        if say_why_not(self, event.key, ("post",)):
            event.stop()

    def offered(self) -> tuple[bool | None, ...]:
        return tuple(self.check_action(action.name, ()) for action in scope_actions("post"))

    def _post_for(self, verb: str, *, own: bool = False, others: bool = False) -> Post | None:
        """The selected post if ``verb`` fits it; else None, having said why."""
        post = self.selected_post()
        if post is None:
            self.notify(_("Select a post first (↑/↓ or j/k)."), severity="warning")
            return None
        mine = post.author == self.service.me
        if own and not mine:
            self.notify(_(ONLY_ITS_AUTHOR[verb]), severity="warning")
        elif others and mine:
            self.notify(_(NOT_YOUR_OWN[verb]), severity="warning")
        elif post.deleted:
            self.notify(_("That post is deleted."), severity="warning")
        else:
            return post
        return None

    # --- the composer -----------------------------------------------------------------

    def _enter_thread(self) -> None:
        """Put the thread's draft in the composer."""
        composer = self.query_one(Composer)
        self.composer_mode, self.composer_post = "reply", None
        composer.load_text(self.service.draft(self.thread_id) if self.thread_id else "")
        composer.move_cursor(composer.document.end)
        self._show_context()

    def leave_thread(self) -> None:
        if self.composer_mode == "edit":
            self.query_one(Composer).load_text(self._kept_draft)
        self.save_draft()

    def save_draft(self) -> None:
        if self._draft_timer is not None:
            self._draft_timer.stop()
            self._draft_timer = None
        if self.thread_id and self.composer_mode != "edit":
            self.service.save_draft(self.thread_id, self.query_one(Composer).text)

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        if event.text_area.id != "composer" or self.composer_mode == "edit":
            return
        if self._draft_timer is not None:
            self._draft_timer.stop()
        self._draft_timer = self.set_timer(DRAFT_DELAY, self.save_draft)

    def _show_context(self) -> None:
        label = self.query_one("#composer-context", Label)
        state = self.service.state
        post = state.posts.get(self.composer_post or "")
        if self.composer_mode == "reply_to" and post is not None:
            text = self.service.texts.get(post.text_op)
            if text is None:  # the post was on screen, so this is rare: shown when read
                self.service.texts.want([post.text_op], self._show_context)
            quote = plain_line(text, 80) if text is not None else "…"
            cancel = key_for(self, "composer", "cancel")
            name = name_of(state, post.author)
            said = _("↩ Replying to {name} ({key} cancels): {quote}")
            label.update(said.format(name=name, key=cancel, quote=quote))
        elif self.composer_mode == "edit":
            send, cancel = key_for(self, "composer", "send"), key_for(self, "composer", "cancel")
            said = _("✎ Editing your post: {send} saves, {cancel} cancels")
            label.update(said.format(send=send, cancel=cancel))
        else:
            label.update("")
        label.set_class(self.composer_mode != "reply", "-shown")

    def _write(self, mode: str, post_id: str | None = None) -> None:
        if not self.thread_id:
            self.notify(_("Open a thread first."), severity="warning")
            return
        composer = self.query_one(Composer)
        if self.composer_mode == "edit" and mode != "edit":
            composer.load_text(self._kept_draft)
        self.composer_mode, self.composer_post = mode, post_id
        self._show_context()
        composer.focus()  # the screen shows this pane when focus comes into it

    def action_reply(self) -> None:
        self._write("reply")

    def action_reply_to_post(self) -> None:
        post = self.selected_post()
        if post is not None:
            self._write("reply_to", post.id)

    async def action_edit_post(self) -> None:
        post = self._post_for("edit", own=True)
        if post is None:
            return
        text = (await self.service.texts.fetch([post.text_op])).get(post.text_op)
        if text is None:
            self.notify(_("That post's text cannot be read from this computer's copy."))
            return
        composer = self.query_one(Composer)
        if self.composer_mode != "edit":
            self.save_draft()
            self._kept_draft = composer.text
        self._write("edit", post.id)
        composer.load_text(text)
        composer.move_cursor(composer.document.end)

    def on_composer_sent(self, message: Composer.Sent) -> None:
        thread_id = self.thread_id
        if not thread_id or self._sending:
            return  # a second ctrl+s while the first is being written sends nothing twice
        mode, post_id, text = self.composer_mode, self.composer_post, message.text
        if mode == "edit" and post_id:
            post = self.service.state.posts.get(post_id)
            if post is not None and self.service.texts.get(post.text_op) == text:
                self._finish_writing()
                return
            send, done = (self.service.edit_post, post_id, text), lambda _: self._edited(post_id)
        elif rules_first(self, self.service, then=lambda: self.on_composer_sent(message)):
            return  # sent once the rules are accepted; it stays in the composer meanwhile
        else:
            to_post = post_id if mode == "reply_to" else None
            send = (self.service.reply, thread_id, text, to_post)
            done = lambda op: self._sent(thread_id, text, op)  # noqa: E731
        self._sending = True
        ask(self, *send, done=done, refused=lambda _: setattr(self, "_sending", False))

    def _edited(self, post_id: str) -> None:
        self._sending = False
        if self.composer_mode == "edit" and self.composer_post == post_id:
            self._finish_writing()

    def _sent(self, thread_id: str, text: str, op: Op) -> None:
        """The post is on disk: the draft it came from is spent (unless more was typed
        meanwhile), and the thread shows it."""
        self._sending = False
        if self.service.draft(thread_id).strip() == text:
            self.service.save_draft(thread_id, "")
        if self.thread_id != thread_id:
            return  # the member went on to another thread meanwhile
        composer = self.query_one(Composer)
        if self.composer_mode != "edit" and composer.text.strip() == text:
            composer.load_text("")
            self.save_draft()
            self._finish_writing()
        self.query_one(ThreadView).go_to_post(op.id)

    def on_composer_left(self, message: Composer.Left) -> None:
        self._finish_writing()

    def _finish_writing(self) -> None:
        if self.composer_mode == "edit":
            self.query_one(Composer).load_text(self._kept_draft)
        self.composer_mode, self.composer_post = "reply", None
        self._show_context()
        self.query_one(ThreadView).focus()

    # --- acting on the selected post --------------------------------------------------

    def action_delete_post(self) -> None:
        post = self._post_for("delete", own=True)
        if post is None:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                ask(self, self.service.delete_post, post.id)

        self.app.push_screen(
            ConfirmScreen(_("Delete your post? Others will see that it was deleted."), _("Delete")),
            answered,
        )

    def action_react(self) -> None:
        post = self._post_for("react to")
        if post is None:
            return

        def picked(kind: str | None) -> None:
            if kind is not None:
                ask(self, self.service.react, post.id, kind)

        self.app.push_screen(ReactScreen(self.service.state, post, self.service.me), picked)

    def action_accept(self) -> None:
        post = self.selected_post()
        if post is not None:
            said = _("Answer accepted: others will see it answered your question.")
            ask(self, self.service.accept_answer, post.id, done=lambda _: self.notify(said))

    def action_verify(self) -> None:
        post = self.selected_post()
        if post is not None:
            said = _("Answer verified.")
            ask(self, self.service.verify_answer, post.id, done=lambda _: self.notify(said))

    def action_flag(self) -> None:
        post = self._post_for("flag", others=True)
        if post is None:
            return

        def flagged(reason: FlagReason | None) -> None:
            if reason is not None:
                said = _("Flagged: the moderators will have a look.")
                flag = self.service.flag_post, post.id, reason.reason, reason.comment
                ask(self, *flag, done=lambda _: self.notify(said))

        self.app.push_screen(FlagScreen(), flagged)

    def action_hide(self) -> None:
        post = self.selected_post()
        if post is None:
            return
        if post.hidden:
            said = _("The post is visible to everyone again.")
            ask(self, self.service.unhide_post, post.id, done=lambda _: self.notify(said))
            return
        if not may(self.service, "post.hide"):
            # Offered by no key to members; said plainly if asked for another way.
            ask(self, self.service.hide_post, post.id)
            return

        def hidden(reason: str | None) -> None:
            if reason is not None:
                ask(self, self.service.hide_post, post.id, reason)

        self.app.push_screen(HideScreen(), hidden)

    async def action_post_info(self) -> None:
        post = self.selected_post()
        if post is not None:
            state = self.service.state
            texts = await self.service.texts.fetch([*post.history, post.text_op])
            self.app.push_screen(
                PostInfoScreen(state, post, self.service.me, self.service.now_ms(), texts)
            )
