"""The one table of what a user can do, on every screen: it makes the key bindings (and
so the footers), the ``?`` help and the command palette's entries, so none of them can
disagree, every key can be remapped in config.toml (by its binding id), and a hint on
screen ("press t to start one") names the key the member's keymap has now.

(This module is longer than the others on purpose: it is the table, one entry a key.)

``scope`` says where a binding lives; ``SCOPES`` gives each its heading in ``?``, the
prefix of its binding ids (kept as they were when remapping first shipped) and whether
its keys win over a focused text field. A screen names the scopes its ``?`` and palette
show in ``KEY_SCOPES``. Whether an action is offered right now (your own post, your role)
is the ``check_action`` of the node it is bound on (``permissions.may`` underneath).
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass

from textual.binding import Binding
from textual.dom import DOMNode
from textual.keys import key_to_character

from .widgets.post_render import REACTION_NAMES, REACTIONS


@dataclass(frozen=True, slots=True)
class Action:
    name: str  # the action method, without ``action_`` (parameters allowed)
    keys: str  # Textual key names, comma-separated
    title: str  # the footer's word and the palette's command
    help: str  # one sentence for the help screen and the palette
    scope: str
    footer: bool = True
    palette: bool = True
    key_display: str | None = None
    bound: bool = True  # False: a key the widgets handle themselves, listed in ``?`` only
    id: str | None = None  # the binding id, when not the scope's prefix and the name
    listed: bool = True  # False: not a row of ``?`` (a summary row stands for it)


@dataclass(frozen=True, slots=True)
class Scope:
    title: str  # the heading in ``?``
    place: str  # where it is, in a word or two (the settings screen's key list)
    id_prefix: str = ""
    priority: bool | None = False  # None: ctrl keys win over a text field; True: all keys


SCOPES: dict[str, Scope] = {
    # The main screen (ids without a prefix: the first keymaps named them so).
    "screen": Scope("Anywhere", "Main"),
    "post": Scope("In a thread (acts on the selected post)", "Thread"),
    "thread": Scope("In a thread (acts on the selected post)", "Thread"),
    "lists": Scope("In the lists", "Lists"),
    "composer": Scope("Writing a post", "Writing", priority=None),
    # The notes.
    "notes": Scope("Notes", "Notes", "note-notes-"),
    "editor": Scope("Writing a note", "Note editor", "note-editor-", priority=True),
    "history": Scope("A note's history", "Note history", "note-history-"),
    # Quizzes.
    "quizzes": Scope("The quizzes", "Quizzes", "quizzes-"),
    "live": Scope("A live quiz", "Live quiz", "live-"),
    "practice": Scope("Practising a quiz", "Practice", "practice-"),
    # The circle's life.
    "members": Scope("Members and roles", "Members", "members-"),
    "schedule": Scope("Schedule", "Schedule", "schedule-"),
    "participation": Scope("Participation", "Participation", "participation-"),
    "rules": Scope("The circle's rules", "Rules", "rules-"),
    "suggestions": Scope("Suggestion box", "Suggestions", "suggestions-"),
    "circle-settings": Scope("Circle settings", "Circle settings", "circle-", priority=None),
    "circles": Scope("Your circles", "Circles", "circles-"),
    # Dialogs, settings and the app itself.
    "dialog": Scope("In a dialog", "Dialogs", "dialog-"),
    "confirm": Scope("A question", "Yes/no", "confirm-"),
    "react": Scope("Reacting", "React", "react-"),
    "post-info": Scope("About a post", "Post info", "post-info-"),
    "new-thread": Scope("A new thread", "New thread", "new-thread-"),
    "unsaved": Scope("Unsaved changes", "Unsaved", "unsaved-"),
    "help": Scope("The key list", "Key list", "help-"),
    "export-text": Scope("An export to copy", "Export", "export-"),
    "settings": Scope("Settings", "Settings", "settings-", priority=None),
    "app": Scope("Everywhere", "Anywhere"),
}


def _help(scope: str) -> "Action":
    return Action(
        "help", "question_mark", "Help", "Show every key.", scope, footer=False, key_display="?"
    )


def _close(scope: str, name: str = "dismiss(None)", title: str = "Close", keys: str = "escape"):
    return Action(name, keys, title, "Close this and go back.", scope, palette=False)


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
    Action(
        "mark_all_read",
        "A",
        "Mark all read",
        "Mark every thread in every channel read.",
        "screen",
        footer=False,
    ),
    *(
        Action(
            f"jump_to_channel({n})",
            str(n),
            f"Channel {n}",
            f"Open channel {n} of the list.",
            "screen",
            footer=False,
            palette=False,
            listed=False,  # one row of ``?``, "1-9", says it for all nine
        )
        for n in range(1, 10)
    ),
    Action(
        "jump_to_channel",
        "1,2,3,4,5,6,7,8,9",
        "Channel 1-9",
        "Open the channel with that number in the list.",
        "screen",
        footer=False,
        palette=False,
        bound=False,  # the nine above are bound; this is their one row in ``?``
        key_display="1-9",
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
        "switch_circle",
        "O",
        "Circles",
        "Switch to another of your circles, or rename yourself in this one.",
        "screen",
        footer=False,
    ),
    Action(
        "circle_settings",
        "S",
        "Circle settings",
        "The circle's name, goal, rules and channels (the lead changes them; all can read).",
        "screen",
        footer=False,
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
    Action("focus_next", "tab", "Next pane", "Move to the next pane.", "screen", bound=False),
    Action(
        "command_palette",
        "ctrl+p",
        "Commands",
        "Command palette: every action by name.",
        "screen",
        bound=False,
    ),
    Action("quit", "ctrl+q", "Quit", "Quit (your draft is kept).", "screen", bound=False),
    Action("move", "up,down", "Move", "Move in a list.", "lists", bound=False, key_display="↑↓/jk"),
    Action("choose", "enter", "Open", "Open the channel, thread or result.", "lists", bound=False),
    # --- the open thread: acting on the selected post ---------------------------------
    Action("reply", "r", "Reply", "Reply at the end of the thread.", "post"),
    Action(
        "reply_to_post",
        "R",
        "Reply to post",
        "Reply to the selected post; the reply shows what it answers.",
        "post",
    ),
    Action("edit_post", "e", "Edit", "Edit your own post (earlier versions are kept).", "post"),
    Action("delete_post", "d", "Delete", "Delete your own post (a tombstone stays).", "post"),
    Action(
        "react",
        "plus",
        "React",
        "React to the post: +1, helpful, thanks, same question or well done.",
        "post",
        key_display="+",
    ),
    Action("accept", "a", "Accept", "Accept this answer to your question.", "post"),
    Action("verify", "v", "Verify", "Verify this answer (moderators and the lead).", "post"),
    Action(
        "flag",
        "f",
        "Flag",
        "Flag the post to moderators: incorrect, off-topic or unkind.",
        "post",
    ),
    Action(
        "hide",
        "x",
        "Hide",
        "Hide or unhide the post (moderators); its author and moderators still see it.",
        "post",
    ),
    Action(
        "post_info", "i", "History", "Show the post's edit history, reactions and flags.", "post"
    ),
    Action(
        "select(-1)",
        "up,k",
        "Previous post",
        "Move to the previous post.",
        "thread",
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
        footer=False,
        palette=False,
    ),
    Action(
        "page(1)",
        "pagedown",
        "Page down",
        "Scroll down a screen.",
        "thread",
        footer=False,
        palette=False,
    ),
    Action(
        "select_edge(0)",
        "home,g",
        "First post",
        "Go to the first post.",
        "thread",
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
        palette=False,
    ),
    Action(
        "cancel",
        "escape",
        "Leave",
        "Leave the composer; cancels an edit or a reply to a post.",
        "composer",
        palette=False,
    ),
    # --- the notes screen -------------------------------------------------------------
    Action("edit", "e", "Edit", "Edit the note (your unsaved draft is kept).", "notes"),
    Action("new_note", "n", "New note", "Start a new note in this channel or the circle.", "notes"),
    Action(
        "history",
        "h",
        "History",
        "Every revision: who, when, what changed; compare two, restore one.",
        "notes",
    ),
    Action("blame", "b", "Who wrote", "Show who wrote each line of the note.", "notes"),
    Action("help", "question_mark", "Help", "Show every key.", "notes", key_display="?"),
    Action(
        "move",
        "up,down",
        "Move",
        "Move in the list; enter opens the note.",
        "notes",
        bound=False,
        key_display="↑↓/jk",
    ),
    Action(
        "focus_next",
        "tab",
        "Next pane",
        "Move between the list and the note.",
        "notes",
        bound=False,
    ),
    Action(
        "back",
        "escape",
        "Back",
        "Back to the list, or to the discussion.",
        "notes",
        palette=False,
    ),
    # --- writing ----------------------------------------------------------------------
    Action(
        "save",
        "ctrl+s",
        "Save",
        "Save the note as a new revision; edits made meanwhile by others are merged.",
        "editor",
        palette=False,
    ),
    Action(
        "leave",
        "escape",
        "Leave",
        "Leave the editor (asks first if there are unsaved changes).",
        "editor",
        palette=False,
    ),
    # --- a note's history -------------------------------------------------------------
    Action(
        "show('diff')",
        "d",
        "Changes",
        "Show what the revision changed (or the changes since the marked one).",
        "history",
    ),
    Action("show('text')", "t", "Text", "Show the revision's text.", "history"),
    Action("show('blame')", "b", "Who wrote", "Show who wrote each line of it.", "history"),
    Action(
        "mark",
        "c",
        "Compare",
        "Mark this revision; the changes then shown are from it to the selected one.",
        "history",
    ),
    Action(
        "restore",
        "r",
        "Restore",
        "Make this revision's text the note's again, as a new revision.",
        "history",
    ),
    Action("help", "question_mark", "Help", "Show every key.", "history", key_display="?"),
    Action("back", "escape", "Back", "Back to the note.", "history", palette=False),
    # --- the quiz pane ----------------------------------------------------------------
    Action("host", "l", "Run live", "Open a lobby and run this quiz live (leads).", "quizzes"),
    Action("back", "escape", "Back", "Back to the discussion.", "quizzes", palette=False),
    _help("quizzes"),
    # --- a live quiz ------------------------------------------------------------------
    Action("advance", "n", "Next", "Ask, reveal, show the leaderboard, go on (host).", "live"),
    Action("pause", "p", "Pause/resume", "Stop or restart the countdown (host).", "live"),
    Action(
        "add_time",
        "plus,equals_sign",
        "+10 s",
        "Add ten seconds to the question (host).",
        "live",
        key_display="+",
    ),
    Action(
        "skip", "s", "Close now", "Close the question now, before its time is up (host).", "live"
    ),
    Action("end", "x", "End", "End the quiz here (host).", "live"),
    Action("send", "enter", "Send", "Send the ticked choices.", "live"),
    Action("export", "e", "Export CSV", "Write the results as CSV.", "live"),
    # One key, two meanings: a player leaves the quiz, its lead only goes back.
    Action(
        "leave",
        "escape",
        "Leave quiz",
        "Leave the quiz (join again from the Quiz pane).",
        "live",
        palette=False,
    ),
    Action(
        "back",
        "escape",
        "Back",
        "Back to the quizzes (the quiz goes on).",
        "live",
        palette=False,
    ),
    _help("live"),
    # --- practising -------------------------------------------------------------------
    Action("next", "enter", "Next", "Send the ticked choices, or go on.", "practice"),
    Action("leave", "escape", "Leave", "Back to the quizzes.", "practice", palette=False),
    _help("practice"),
    # --- members and roles ------------------------------------------------------------
    Action("role('moderator')", "m", "Make moderator", "Make the member a moderator.", "members"),
    Action("role('member')", "u", "Make member", "Make them a member again.", "members"),
    Action("role('lead')", "l", "Make lead", "Make the member a lead too.", "members"),
    Action("remove", "x", "Remove", "Remove the member from the circle.", "members"),
    Action("new_key", "k", "New key", "Sign from now on with a new key.", "members"),
    Action(
        "give_key",
        "g",
        "Give key (lost)",
        "As the lead: give a member who lost their key the key of their new device (two steps).",
        "members",
    ),
    _close("members"),
    _help("members"),
    # --- the schedule -----------------------------------------------------------------
    Action("add", "a", "Add session", "Add the session in the form.", "schedule"),
    Action("remove", "d", "Remove", "Remove the selected session.", "schedule"),
    Action("export", "x", "Export .ics", "Write the schedule as an iCalendar file.", "schedule"),
    _close("schedule"),
    _help("schedule"),
    # --- participation ----------------------------------------------------------------
    Action("days(7)", "7", "7 days", "Show the last 7 days.", "participation"),
    Action("days(30)", "3", "30 days", "Show the last 30 days.", "participation"),
    _close("participation"),
    _help("participation"),
    # --- the rules --------------------------------------------------------------------
    Action("accept", "a", "Accept", "Accept the circle's rules.", "rules"),
    Action(
        "settings",
        "e",
        "Change them",
        "Change the circle's goal and rules (the lead): circle settings.",
        "rules",
    ),
    _close("rules", "later"),
    _help("rules"),
    # --- the circle's settings and your circles --------------------------------------
    Action(
        "save",
        "ctrl+s",
        "Save",
        "Save the name, goal and rules (the lead).",
        "circle-settings",
        palette=False,
    ),
    Action(
        "new_channel",
        "n",
        "New channel",
        "Add a channel (moderators and the lead).",
        "circle-settings",
    ),
    Action(
        "rename_channel", "r", "Rename", "Rename the channel picked in the list.", "circle-settings"
    ),
    Action(
        "archive_channel",
        "x",
        "Archive/restore",
        "Archive the channel picked (read-only, out of the list), or bring it back.",
        "circle-settings",
    ),
    _close("circle-settings", "close"),
    _help("circle-settings"),
    _close("circles"),
    _help("circles"),
    # --- the suggestion box -----------------------------------------------------------
    _close("suggestions"),
    _help("suggestions"),
    # --- dialogs ----------------------------------------------------------------------
    _close("dialog", "cancel", "Cancel"),
    Action("answer(True)", "y", "Yes", "Yes: do it.", "confirm", palette=False),
    Action("answer(False)", "n", "No", "No: leave it as it is.", "confirm", palette=False),
    *(
        Action(f"pick({n})", str(n + 1), name.capitalize(), f"React with {name}.", "react")
        for n, name in enumerate(REACTION_NAMES[kind] for kind in REACTIONS)
    ),
    _close("post-info", "cancel", keys="i,q"),
    Action("create", "ctrl+s", "Create", "Start the thread.", "new-thread", palette=False),
    _close("new-thread", "cancel", "Cancel"),
    Action("answer('save')", "s", "Save", "Save them as a new revision.", "unsaved"),
    Action("answer('discard')", "d", "Discard", "Throw them away.", "unsaved"),
    _close("unsaved", "answer(None)", "Keep editing", "escape,k"),
    _close("help", "close", keys="escape,q,question_mark"),
    Action("copy_all", "c", "Copy all", "Copy it all to your clipboard.", "export-text"),
    _close("export-text", "close"),
    Action("save", "ctrl+s", "Save", "Save the settings to config.toml.", "settings"),
    Action("cancel", "escape", "Cancel", "Leave without saving.", "settings", palette=False),
    Action(
        "cancel",
        "f2",
        "Cancel",
        "Leave without saving.",
        "settings",
        footer=False,
        palette=False,
        id="settings-close",
    ),
    Action(
        "settings",
        "f2",
        "Settings",
        "Theme, colours, keys, time format, low-bandwidth mode.",
        "app",
        palette=False,
        id="settings-screen",
    ),
)


def binding_id(action: Action) -> str:
    """What ``[keys]`` in config.toml calls the action's binding."""
    if action.id:
        return action.id
    return SCOPES[action.scope].id_prefix + re.sub(r"[^\w-]+", "-", action.name).strip("-")


def scope_actions(scope: str) -> list[Action]:
    return [action for action in ACTIONS if action.scope == scope]


def make_bindings(actions: Iterable[Action]) -> list[Binding]:
    """Bindings for some actions, ready for a widget's or screen's ``BINDINGS``. A
    scope's ``priority`` None gives priority to ctrl keys only (so they win over a
    focused TextArea); True or False sets it for all."""
    bindings = []
    for action in actions:
        if not action.bound:
            continue
        priority = SCOPES[action.scope].priority
        bindings.append(
            Binding(
                action.keys,
                action.name,
                action.title,
                show=action.footer,
                key_display=action.key_display,
                priority=action.keys.startswith("ctrl") if priority is None else priority,
                tooltip=action.help,
                id=binding_id(action),
            )
        )
    return bindings


def bindings_for(scope: str) -> list[Binding]:
    """The bindings of one scope of the table."""
    return make_bindings(scope_actions(scope))


KEY_NAMES = {"escape": "esc", "question_mark": "?", "up": "↑", "down": "↓"}


def display_keys(keys: str) -> str:
    """``escape,q`` → ``esc/q``; ``ctrl+s`` → ``^s``; ``question_mark`` → ``?``."""
    shown = []
    for key in keys.split(","):
        key = key.strip()
        if key.startswith("ctrl+"):
            shown.append("^" + key.removeprefix("ctrl+"))
        elif key in KEY_NAMES:
            shown.append(KEY_NAMES[key])
        else:
            character = key_to_character(key)
            shown.append(character if character and character.isprintable() else key)
    return "/".join(shown)


def keymap_of(node: DOMNode) -> dict[str, str]:
    """The member's key overrides (config.toml's ``[keys]``) of the app ``node`` is in."""
    settings = getattr(node.app, "settings", None)
    return dict(getattr(settings, "keys", {}) or {})


def key_label(action: Action, keymap: dict[str, str] | None = None) -> str:
    """The keys of ``action`` as shown to the member: their override if they made one."""
    remapped = (keymap or {}).get(binding_id(action))
    if remapped:
        return display_keys(remapped)
    return action.key_display or display_keys(action.keys)


def key_for(node: DOMNode, scope: str, name: str) -> str:
    """The key that does ``name`` in ``scope`` now, for a hint ("press t to start one")."""
    action = next(a for a in scope_actions(scope) if a.name == name)
    return key_label(action, keymap_of(node))
