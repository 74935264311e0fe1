"""The one table of what a user can do: it makes the key bindings (and so the footer),
the ``?`` help screen and the command palette's entries, so the three never disagree.

``scope`` says where a binding lives: ``screen`` works anywhere on the main screen,
``thread`` while the open thread has focus (its selected post is the one acted on),
``composer`` while writing. (The lists' own keys, moving and opening, belong to the list
widgets; the ``?`` screen adds them under ``lists``.) Whether an
action is offered right now (your own post, your role) is the screen's ``check_action``.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True, slots=True)
class Action:
    name: str  # the action method, without ``action_``
    keys: str  # Textual key names, comma-separated
    title: str  # the footer's word and the palette's command
    help: str  # one sentence for the help screen and the palette
    scope: str
    target: str = "screen"  # where the action method lives ("" for the bound widget)
    footer: bool = True
    palette: bool = True
    key_display: str | None = None


ACTIONS: tuple[Action, ...] = (
    # --- anywhere on the main screen (first in the footer: the way back) -------------
    Action(
        "back",
        "escape",
        "Back",
        "Go back a pane (thread → threads → channels).",
        "screen",
        palette=False,
    ),
    Action(
        "next_unread",
        "n",
        "Next unread",
        "Open the next thread with unread posts, across channels.",
        "screen",
    ),
    Action(
        "search",
        "slash",
        "Search",
        "Search every post: words, author:NAME, in:CHANNEL, is:question, is:unanswered.",
        "screen",
        key_display="/",
    ),
    Action("unanswered", "u", "Unanswered", "List the open questions, oldest first.", "screen"),
    Action(
        "mentions", "at", "Mentions", "List the posts that @mention you.", "screen", key_display="@"
    ),
    Action(
        "new_thread",
        "t",
        "New thread",
        "Start a discussion or ask a question in this channel.",
        "screen",
    ),
    Action(
        "quizzes",
        "z",
        "Quizzes",
        "Open the Quiz pane: practise a quiz, join a live one, or run one live (leads).",
        "screen",
    ),
    Action(
        "notes",
        "N",
        "Notes",
        "Open the shared notes: read, edit, history, compare, who wrote each line.",
        "screen",
    ),
    # --- the circle's life ------------------------------------------------------------
    Action("rules", "c", "Rules", "Show the circle's goal and rules (and accept them).", "screen"),
    Action(
        "participation",
        "p",
        "Participation",
        "Who posts, answers, takes quizzes and edits notes, over 7 or 30 days.",
        "screen",
    ),
    Action(
        "schedule",
        "s",
        "Schedule",
        "Recurring sessions in your local time; export them as .ics.",
        "screen",
    ),
    Action(
        "suggestions",
        "o",
        "Suggestions",
        "The suggestion box: suggest (optionally anonymously); the lead replies.",
        "screen",
    ),
    Action(
        "members",
        "m",
        "Members",
        "Members, roles and keys (to compare), the moderator rota and the moderation log.",
        "screen",
    ),
    Action(
        "new_channel",
        "C",
        "New channel",
        "Create a channel with a goal line (moderators and the lead).",
        "screen",
        footer=False,
    ),
    Action(
        "focus",
        "F",
        "Focus",
        "Focus mode: only this channel, no bells or notices, for a while; F again leaves.",
        "screen",
    ),
    Action("help", "question_mark", "Help", "Show every key.", "screen", key_display="?"),
    Action("toggle_bell", "B", "Bell", "Turn the terminal bell on @mentions on or off.", "screen"),
    # --- the open thread: acting on the selected post ---------------------------------
    Action("reply", "r", "Reply", "Reply at the end of the thread.", "thread"),
    Action(
        "reply_to_post",
        "R",
        "Reply to post",
        "Reply to the selected post; the reply shows what it answers.",
        "thread",
    ),
    Action("edit_post", "e", "Edit", "Edit your own post (earlier versions are kept).", "thread"),
    Action("delete_post", "d", "Delete", "Delete your own post (a tombstone stays).", "thread"),
    Action(
        "react",
        "plus",
        "React",
        "React to the post: +1, helpful or thanks.",
        "thread",
        key_display="+",
    ),
    Action("accept", "a", "Accept", "Accept this answer to your question.", "thread"),
    Action("verify", "v", "Verify", "Verify this answer (moderators and the lead).", "thread"),
    Action(
        "flag",
        "f",
        "Flag",
        "Flag the post to moderators: incorrect, off-topic or unkind.",
        "thread",
    ),
    Action(
        "hide",
        "x",
        "Hide",
        "Hide or unhide the post (moderators); its author and moderators still see it.",
        "thread",
    ),
    Action(
        "post_info", "i", "History", "Show the post's edit history, reactions and flags.", "thread"
    ),
    Action(
        "select(-1)",
        "up,k",
        "Previous post",
        "Move to the previous post.",
        "thread",
        target="",
        footer=False,
        palette=False,
        key_display="↑/k",
    ),
    Action(
        "select(1)",
        "down,j",
        "Next post",
        "Move to the next post.",
        "thread",
        target="",
        footer=False,
        palette=False,
        key_display="↓/j",
    ),
    Action(
        "page(-1)",
        "pageup",
        "Page up",
        "Scroll up a screen.",
        "thread",
        target="",
        footer=False,
        palette=False,
    ),
    Action(
        "page(1)",
        "pagedown",
        "Page down",
        "Scroll down a screen.",
        "thread",
        target="",
        footer=False,
        palette=False,
    ),
    Action(
        "select_edge(0)",
        "home,g",
        "First post",
        "Go to the first post.",
        "thread",
        target="",
        footer=False,
        palette=False,
        key_display="home/g",
    ),
    Action(
        "select_edge(-1)",
        "end,G",
        "Last post",
        "Go to the last post.",
        "thread",
        target="",
        footer=False,
        palette=False,
        key_display="end/G",
    ),
    # --- writing ----------------------------------------------------------------------
    Action(
        "send",
        "ctrl+s",
        "Send",
        "Send the post (or save the edit).",
        "composer",
        target="",
        palette=False,
    ),
    Action(
        "cancel",
        "escape",
        "Leave",
        "Leave the composer; cancels an edit or a reply to a post.",
        "composer",
        target="",
        palette=False,
    ),
)

SCOPE_TITLES = {
    "screen": "Anywhere",
    "thread": "In a thread (acts on the selected post)",
    "lists": "In the lists",
    "composer": "Writing a post",
}


def make_bindings(
    actions: Iterable[Action], *, priority: bool | None = None, id_prefix: str = ""
) -> list[Binding]:
    """Bindings for some actions, ready for a widget's or screen's ``BINDINGS``.

    ``priority`` None gives priority to ctrl keys only (so they win over a focused
    TextArea); True or False sets it for all. Binding ids (what ``[keys]`` in
    config.toml names) are the action names, with any punctuation made a dash.
    """
    bindings = []
    for action in actions:
        target = f"{action.target}." if action.target else ""
        first = action.keys.startswith("ctrl")
        bindings.append(
            Binding(
                action.keys,
                f"{target}{action.name}",
                action.title,
                show=action.footer,
                key_display=action.key_display,
                priority=first if priority is None else priority,
                tooltip=action.help,
                id=id_prefix + re.sub(r"[^\w-]+", "-", action.name).strip("-"),
            )
        )
    return bindings


def bindings_for(scope: str) -> list[Binding]:
    """Bindings for one scope of the main table."""
    chosen = [action for action in ACTIONS if action.scope == scope]
    return make_bindings(chosen, priority=None if scope == "composer" else False)


def key_label(action: Action) -> str:
    if action.key_display:
        return action.key_display
    return "/".join(
        {"escape": "esc"}.get(key, key.replace("ctrl+", "^")) for key in action.keys.split(",")
    )


def palette_actions() -> list[Action]:
    return [action for action in ACTIONS if action.palette]
