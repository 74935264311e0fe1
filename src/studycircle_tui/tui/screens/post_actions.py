"""What the main screen does to posts: write, reply, edit, delete, react, accept, verify,
flag, hide; and which of those it offers for the selected post (``check_action``).

A mixin of ``MainScreen``, kept apart so neither file grows past reading length.
Every change goes through ``CircleService.submit``; a refusal (not your post, not your
role) comes back as a sentence and is shown, never applied.
"""

from textual.timer import Timer
from textual.widgets import Label, TextArea

from ... import config
from ...core.ops import Op, OpError
from ...core.state import Post
from ...sync.engine import Refused
from ..actions import ACTIONS
from ..visible import name_of, visible_line
from ..widgets.composer import Composer
from ..widgets.post_render import plain_line
from ..widgets.thread_view import ThreadView
from .dialogs import (
    ConfirmScreen,
    FlagReason,
    FlagScreen,
    HideScreen,
    PostInfoScreen,
    ReactScreen,
)
from .new_thread import NewThread, NewThreadScreen

POST_ACTIONS = {
    "reply_to_post",
    "edit_post",
    "delete_post",
    "react",
    "accept",
    "verify",
    "flag",
    "hide",
    "post_info",
}
DRAFT_DELAY = 0.5  # seconds after the typing stops: a durable write per key is too slow


class PostActions:
    def init_post_actions(self) -> None:
        self.composer_mode = "reply"  # "reply", "reply_to" or "edit"
        self.composer_post: str | None = None
        self._draft_timer: Timer | None = None
        self._kept_draft = ""  # the draft put aside while an edit is in the composer
        self._offered: tuple[bool | None, ...] = ()

    # --- what is offered --------------------------------------------------------------

    def selected_post(self) -> Post | None:
        if not self.thread_id:
            return None
        return self.query_one(ThreadView).selected_post

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """What the footer offers. Post actions depend on the thread and your role, not
        on which post is selected: the footer is rebuilt only when you open a thread or
        your role changes (rebuilding it costs more than drawing a screenful of posts).
        An action that does not fit the selected post says why when pressed."""
        state, me = self.service.state, self.service.me
        if action == "reply":
            return self.thread_id is not None
        if action == "new_thread":
            return self.channel_id in state.channels
        if action not in POST_ACTIONS:
            return True
        thread = state.threads.get(self.thread_id or "")
        if thread is None:
            return False
        if action == "accept":
            return thread.kind == "question" and thread.author == me
        if action == "verify":
            return thread.kind == "question" and state.is_at_least(me, "moderator")
        if action == "hide":
            return state.is_at_least(me, "moderator")
        return True

    def refresh_offered(self) -> None:
        """Rebuild the footer if what it offers has changed."""
        offered = tuple(self.check_action(action.name, ()) for action in ACTIONS)
        if offered != self._offered:
            self._offered = offered
            self.refresh_bindings()

    def _post_for(self, verb: str, *, own: bool = False, others: bool = False) -> Post | None:
        """The selected post if ``verb`` fits it; else None, having said why."""
        post = self.selected_post()
        if post is None:
            self.notify("Select a post first (↑/↓ or j/k).", severity="warning")
            return None
        mine = post.author == self.service.me
        if own and not mine:
            self.notify(f"Only its author can {verb} a post.", severity="warning")
        elif others and mine:
            self.notify(f"You cannot {verb} your own post.", severity="warning")
        elif post.deleted:
            self.notify("That post is deleted.", severity="warning")
        else:
            return post
        return None

    # --- the composer -----------------------------------------------------------------

    def enter_thread(self) -> None:
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
            quote = plain_line(post.text, 80)
            label.update(f"↩ Replying to {name_of(state, post.author)} (esc cancels): {quote}")
        elif self.composer_mode == "edit":
            label.update("✎ Editing your post: ctrl+s saves, esc cancels")
        else:
            label.update("")
        label.set_class(self.composer_mode != "reply", "-shown")

    def _write(self, mode: str, post_id: str | None = None) -> None:
        if not self.thread_id:
            self.notify("Open a thread first.", severity="warning")
            return
        composer = self.query_one(Composer)
        if self.composer_mode == "edit" and mode != "edit":
            composer.load_text(self._kept_draft)
        self.composer_mode, self.composer_post = mode, post_id
        self._show_context()
        self._show_pane("thread")
        composer.focus()

    def action_reply(self) -> None:
        self._write("reply")

    def action_reply_to_post(self) -> None:
        post = self.selected_post()
        if post is not None:
            self._write("reply_to", post.id)

    def action_edit_post(self) -> None:
        post = self._post_for("edit", own=True)
        if post is None:
            return
        composer = self.query_one(Composer)
        if self.composer_mode != "edit":
            self.save_draft()
            self._kept_draft = composer.text
        self._write("edit", post.id)
        composer.load_text(post.text)
        composer.move_cursor(composer.document.end)

    def on_composer_sent(self, message: Composer.Sent) -> None:
        if not self.thread_id:
            return
        mode, post_id = self.composer_mode, self.composer_post
        if mode == "edit" and post_id:
            post = self.service.state.posts.get(post_id)
            if post is not None and post.text == message.text:
                self._finish_writing()
                return
            if self._submit("post.edit", {"post": post_id, "text": message.text}):
                self._finish_writing()
            return
        data: dict[str, object] = {"thread": self.thread_id, "text": message.text}
        if mode == "reply_to" and post_id:
            data["reply_to"] = post_id
        op = self._submit("post.create", data)
        if op is not None:
            self.query_one(Composer).load_text("")
            self.service.save_draft(self.thread_id, "")
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
                self._submit("post.delete", {"post": post.id})

        self.app.push_screen(
            ConfirmScreen("Delete your post? Others will see that it was deleted.", "Delete"),
            answered,
        )

    def action_react(self) -> None:
        post = self._post_for("react to")
        if post is None:
            return
        me = self.service.me

        def picked(kind: str | None) -> None:
            if kind is not None:
                on = me not in post.reactions.get(kind, set())
                self._submit("post.react", {"post": post.id, "reaction": kind, "on": on})

        self.app.push_screen(ReactScreen(self.service.state, post, me), picked)

    def action_accept(self) -> None:
        post = self.selected_post()
        if post is not None and self._submit("answer.accept", {"post": post.id}):
            self.notify("Answer accepted: others will see it answered your question.")

    def action_verify(self) -> None:
        post = self.selected_post()
        if post is not None and self._submit("answer.verify", {"post": post.id}):
            self.notify("Answer verified.")

    def action_flag(self) -> None:
        post = self._post_for("flag", others=True)
        if post is None:
            return

        def flagged(reason: FlagReason | None) -> None:
            if reason is not None:
                data = {"post": post.id, "reason": reason.reason, "comment": reason.comment}
                if self._submit("post.flag", data):
                    self.notify("Flagged: the moderators will have a look.")

        self.app.push_screen(FlagScreen(), flagged)

    def action_hide(self) -> None:
        post = self.selected_post()
        if post is None:
            return
        if post.hidden:
            if self._submit("post.hide", {"post": post.id, "hidden": False}):
                self.notify("The post is visible to everyone again.")
            return
        if not self.service.state.is_at_least(self.service.me, "moderator"):
            # Offered by no key to members; said plainly if asked for another way.
            self._submit("post.hide", {"post": post.id, "hidden": True})
            return

        def hidden(reason: str | None) -> None:
            if reason is not None:
                self._submit("post.hide", {"post": post.id, "hidden": True, "reason": reason})

        self.app.push_screen(HideScreen(), hidden)

    def action_post_info(self) -> None:
        post = self.selected_post()
        if post is not None:
            state = self.service.state
            self.app.push_screen(
                PostInfoScreen(state, post, self.service.me, self.service.now_ms())
            )

    # --- the rest ---------------------------------------------------------------------

    def action_new_thread(self) -> None:
        state = self.service.state
        channel = state.channels.get(self.channel_id or "")
        if channel is None:
            self.notify("Pick a channel first.", severity="warning")
            return

        def created(result: NewThread | None) -> None:
            if result is None:
                return
            data = {
                "channel": channel.id,
                "title": result.title,
                "kind": result.kind,
                "text": result.text,
            }
            op = self._submit("thread.create", data)
            if op is not None:
                self.view = "channel"
                self.open_thread(op.id)

        self.app.push_screen(NewThreadScreen(visible_line(channel.name)), created)

    def action_toggle_bell(self) -> None:
        self.settings.bell_on_mention = not self.settings.bell_on_mention
        try:
            config.save_settings(self.settings)
        except OSError as error:
            self.notify(f"Could not save the setting: {error}", severity="warning")
        state = "on" if self.settings.bell_on_mention else "off"
        self.notify(f"The bell on @mentions is {state}.")
        self._refresh_status()

    def _submit(self, type_name: str, data: dict[str, object]) -> Op | None:
        if type_name in ("thread.create", "post.create") and self.rules_block_posting():
            return None
        try:
            return self.service.submit(type_name, data)
        except (Refused, OpError) as error:
            self.notify(f"Not done: {error}", severity="error")
            return None
