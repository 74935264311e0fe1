"""Small modal questions about one post: delete it?, which reaction, why flag, why hide,
and its history. Each dismisses with the answer, or None when left with escape."""

from dataclasses import dataclass
from typing import TypeVar

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from ...core.discussion import may_see
from ...core.permissions import moderates
from ...core.state import CircleState, Post
from ..actions import bindings_for, key_for
from ..timefmt import absolute
from ..visible import name_of, visible, visible_line
from ..widgets.post_render import REACTION_LABELS, REACTIONS

T = TypeVar("T")


class Dialog(ModalScreen[T]):
    """A small modal question: escape leaves it, answering None."""

    BINDINGS = bindings_for("dialog")
    KEY_SCOPES: tuple[str, ...] = ("dialog",)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def cancel_key(self) -> str:
        """The key that leaves the dialog now (for its hint line)."""
        return key_for(self, "dialog", "cancel")


class ConfirmScreen(Dialog[bool]):
    BINDINGS = bindings_for("confirm")
    KEY_SCOPES = ("confirm", "dialog")

    def __init__(self, question: str, yes: str = "Yes") -> None:
        super().__init__()
        self.question, self.yes = question, yes

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.question, classes="dialog-title")
            with Horizontal(classes="buttons"):
                yes, no = (
                    key_for(self, "confirm", "answer(True)"),
                    key_for(self, "confirm", "answer(False)"),
                )
                yield Button(f"{self.yes}  {yes}", variant="error", id="yes")
                yield Button(f"Cancel  {no}", id="no")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


def _names(state: CircleState, ids: set[str]) -> str:
    names = sorted(name_of(state, i) for i in ids)
    return ", ".join(names)


class ReactScreen(Dialog[str]):
    """Pick a reaction; one you already gave is taken back."""

    BINDINGS = bindings_for("react")
    KEY_SCOPES = ("react", "dialog")

    def __init__(self, state: CircleState, post: Post, me: str) -> None:
        super().__init__()
        self.state, self.post, self.me = state, post, me

    def compose(self) -> ComposeResult:
        options = []
        for number, kind in enumerate(REACTIONS, 1):
            who = self.post.reactions.get(kind, set())
            label = Text(f"{number}  {REACTION_LABELS[kind]}")
            if self.me in who:
                label.append("  (yours: choose to take it back)", style="dim")
            if who:
                label.append(f"\n   {_names(self.state, who)}", style="dim")
            options.append(Option(label, id=kind))
        with Vertical(classes="dialog"):
            yield Label("React to this post", classes="dialog-title")
            yield OptionList(*options, id="reactions")
            picks = ", ".join(key_for(self, "react", f"pick({n})") for n in range(len(REACTIONS)))
            hint = f"{picks} or enter · {self.cancel_key()} cancels"
            yield Label(hint, classes="dialog-hint")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_pick(self, index: int) -> None:
        self.dismiss(REACTIONS[index])


@dataclass
class FlagReason:
    reason: str
    comment: str


FLAG_REASONS = {
    "incorrect": "Incorrect: the content is wrong",
    "off-topic": "Off-topic: it belongs elsewhere",
    "unkind": "Unkind: it breaks the circle's rules",
}


class FlagScreen(Dialog[FlagReason]):
    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Flag this post to the moderators", classes="dialog-title")
            yield OptionList(
                *(Option(text, id=reason) for reason, text in FLAG_REASONS.items()), id="reasons"
            )
            yield Input(
                placeholder="A comment for the moderators (optional)", id="comment", max_length=500
            )
            hint = f"↑↓ pick a reason · tab, a comment · enter flags · {self.cancel_key()} cancels"
            yield Label(hint, classes="dialog-hint")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        comment = self.query_one("#comment", Input).value.strip()
        self.dismiss(FlagReason(event.option.id or "incorrect", comment))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter after the comment flags with the reason picked in the list."""
        reasons = self.query_one("#reasons", OptionList)
        picked = reasons.highlighted_option
        if picked is None:
            reasons.focus()  # no reason picked yet: pick one there, enter flags
            return
        self.dismiss(FlagReason(picked.id or "incorrect", event.value.strip()))


class HideScreen(Dialog[str]):
    """A moderator hides a post, saying why (shown to its author)."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Hide this post", classes="dialog-title")
            yield Static(
                "Members will see that a moderator hid it; its author and moderators "
                "still read it.",
                classes="dialog-text",
            )
            yield Input(placeholder="Reason (optional), then enter", id="reason", max_length=500)
            yield Label(f"enter hides · {self.cancel_key()} cancels", classes="dialog-hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip())


class PostInfoScreen(Dialog[None]):
    """A post's earlier versions, who reacted, and (for moderators) its flags."""

    BINDINGS = bindings_for("post-info")
    KEY_SCOPES = ("post-info", "dialog")

    def __init__(
        self, state: CircleState, post: Post, me: str, now_ms: int, texts: dict[str, str]
    ) -> None:
        """``texts``: the post's texts by op (its earlier ones and its current one)."""
        super().__init__()
        self.state, self.post, self.me, self.now_ms = state, post, me, now_ms
        self.texts = texts

    def _body(self) -> Text:
        state, post = self.state, self.post
        text = Text()
        text.append(f"By {name_of(state, post.author)}, ", style="bold")
        text.append(f"{absolute(post.created_ms, self.now_ms)}\n")
        if post.deleted:
            text.append("Deleted by its author.\n", style="italic")
        if not may_see(state, self.me, post):  # nor its earlier versions
            text.append("Hidden by a moderator.\n", style="italic")
        elif post.history:
            text.append(
                f"\nEdited {'once' if len(post.history) == 1 else f'{len(post.history)} times'};"
                " earlier versions, oldest first:\n",
                style="bold",
            )
            for number, old in enumerate(post.history, 1):
                text.append(f"\n{number}. ", style="bold")
                text.append(visible(self.texts.get(old, "…")) + "\n")
            if not post.deleted:
                text.append("\nNow:\n", style="bold")
                text.append(visible(self.texts.get(post.text_op, "…")) + "\n")
        else:
            text.append("Never edited.\n", style="dim")
        if post.reactions:
            text.append("\nReactions\n", style="bold")
            for kind in REACTIONS:
                if kind in post.reactions:
                    text.append(
                        f"  {REACTION_LABELS[kind]}: {_names(state, post.reactions[kind])}\n"
                    )
        moderator = moderates(state, self.me, self.now_ms)
        flags = [f for f in post.flags if moderator or f.by == self.me]
        if flags:
            text.append("\nFlags\n", style="bold")
            for flag in flags:
                line = f"  ⚑ {flag.reason} by {name_of(state, flag.by)}"
                comment = f": {visible_line(flag.comment)}" if flag.comment else ""
                text.append(line + comment + "\n")
        if post.hidden:
            hider = name_of(state, post.hidden_by, "a moderator")
            why = f": {visible_line(post.hide_reason)}" if post.hide_reason else ""
            text.append(f"\nHidden by {hider}{why}\n", style="italic")
        return text

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-wide"):
            yield Label("About this post", classes="dialog-title")
            with VerticalScroll():
                yield Static(self._body(), id="info")
            yield Label(f"{self.cancel_key()} closes", classes="dialog-hint")
