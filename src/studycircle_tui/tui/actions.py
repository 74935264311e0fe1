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

Titles and help sentences are *marked* here (``N_``, ``Message``), not translated: the
table and the bindings are made once, at import, for every session in the process, and
ssh-serve sessions may each speak another language. What shows them translates them in
the session's language (``i18n.message``): the footer (widgets/footer.py), ``?``
(screens/help.py), the palette (commands.py) and the settings screen's key list.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass

from textual.binding import Binding
from textual.dom import DOMNode
from textual.keys import key_to_character

from ..i18n import N_, Message
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
    "screen": Scope(N_("Anywhere"), N_("Main")),
    "post": Scope(N_("In a thread (acts on the selected post)"), N_("Thread")),
    "thread": Scope(N_("In a thread (acts on the selected post)"), N_("Thread")),
    "lists": Scope(N_("In the lists"), N_("Lists")),
    "composer": Scope(N_("Writing a post"), N_("Writing"), priority=None),
    # The notes.
    "notes": Scope(N_("Notes"), N_("Notes"), "note-notes-"),
    "editor": Scope(N_("Writing a note"), N_("Note editor"), "note-editor-", priority=True),
    "history": Scope(N_("A note's history"), N_("Note history"), "note-history-"),
    # Quizzes.
    "quizzes": Scope(N_("The quizzes"), N_("Quizzes"), "quizzes-"),
    "live": Scope(N_("A live quiz"), N_("Live quiz"), "live-"),
    "practice": Scope(N_("Practising a quiz"), N_("Practice"), "practice-"),
    # The circle's life.
    "members": Scope(N_("Members and roles"), N_("Members"), "members-"),
    "schedule": Scope(N_("Schedule"), N_("Schedule"), "schedule-"),
    "participation": Scope(N_("Participation"), N_("Participation"), "participation-"),
    "rules": Scope(N_("The circle's rules"), N_("Rules"), "rules-"),
    "suggestions": Scope(N_("Suggestion box"), N_("Suggestions"), "suggestions-"),
    "circle-settings": Scope(
        N_("Circle settings"), N_("Circle settings"), "circle-", priority=None
    ),
    "circles": Scope(N_("Your circles"), N_("Circles"), "circles-"),
    # Dialogs, settings and the app itself.
    "dialog": Scope(N_("In a dialog"), N_("Dialogs"), "dialog-"),
    "confirm": Scope(N_("A question"), N_("Yes/no"), "confirm-"),
    "react": Scope(N_("Reacting"), N_("React"), "react-"),
    "post-info": Scope(N_("About a post"), N_("Post info"), "post-info-"),
    "new-thread": Scope(N_("A new thread"), N_("New thread"), "new-thread-"),
    "unsaved": Scope(N_("Unsaved changes"), N_("Unsaved"), "unsaved-"),
    "help": Scope(N_("The key list"), N_("Key list"), "help-"),
    "export-text": Scope(N_("An export to copy"), N_("Export"), "export-"),
    "settings": Scope(N_("Settings"), N_("Settings"), "settings-", priority=None),
    "app": Scope(N_("Everywhere"), N_("Anywhere")),
}


# The react dialog's keys' words (footer, palette), one a reaction in REACTIONS' order.
_REACTION_TITLES = {
    "+1": "+1",
    "helpful": N_("Helpful"),
    "thanks": N_("Thanks"),
    "question": N_("Same question"),
    "celebrate": N_("Well done"),
}


def _help(scope: str) -> "Action":
    return Action(
        "help",
        "question_mark",
        N_("Help"),
        N_("Show every key."),
        scope,
        footer=False,
        key_display="?",
    )


def _close(scope: str, name: str = "dismiss(None)", title: str = N_("Close"), keys: str = "escape"):
    return Action(name, keys, title, N_("Close this and go back."), scope, palette=False)


ACTIONS: tuple[Action, ...] = (
    # --- anywhere on the main screen (first in the footer: the way back) -------------
    Action(
        "back",
        "escape",
        N_("Back"),
        N_("Go back a pane (thread → threads → channels)."),
        "screen",
        palette=False,
    ),
    Action(
        "next_unread",
        "n",
        N_("Next unread"),
        N_("Open the next thread with unread posts, across channels."),
        "screen",
    ),
    Action(
        "search",
        "slash",
        N_("Search"),
        N_("Search every post: words, author:NAME, in:CHANNEL, is:question, is:unanswered."),
        "screen",
        key_display="/",
    ),
    Action(
        "mark_all_read",
        "A",
        N_("Mark all read"),
        N_("Mark every thread in every channel read."),
        "screen",
        footer=False,
    ),
    *(
        Action(
            f"jump_to_channel({n})",
            str(n),
            Message("Channel {n}", n=n),
            Message("Open channel {n} of the list.", n=n),
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
        N_("Channel 1-9"),
        N_("Open the channel with that number in the list."),
        "screen",
        footer=False,
        palette=False,
        bound=False,  # the nine above are bound; this is their one row in ``?``
        key_display="1-9",
    ),
    Action(
        "unanswered", "u", N_("Unanswered"), N_("List the open questions, oldest first."), "screen"
    ),
    Action(
        "mentions",
        "at",
        N_("Mentions"),
        N_("List the posts that @mention you."),
        "screen",
        key_display="@",
    ),
    Action(
        "new_thread",
        "t",
        N_("New thread"),
        N_("Start a discussion or ask a question in this channel."),
        "screen",
    ),
    Action(
        "quizzes",
        "z",
        N_("Quizzes"),
        N_("Open the Quiz pane: practise a quiz, join a live one, or run one live (leads)."),
        "screen",
    ),
    Action(
        "notes",
        "N",
        N_("Notes"),
        N_("Open the shared notes: read, edit, history, compare, who wrote each line."),
        "screen",
    ),
    # --- the circle's life ------------------------------------------------------------
    Action(
        "rules",
        "c",
        N_("Rules"),
        N_("Show the circle's goal and rules (and accept them)."),
        "screen",
    ),
    Action(
        "participation",
        "p",
        N_("Participation"),
        N_("Who posts, answers, takes quizzes and edits notes, over 7 or 30 days."),
        "screen",
    ),
    Action(
        "schedule",
        "s",
        N_("Schedule"),
        N_("Recurring sessions in your local time; export them as .ics."),
        "screen",
    ),
    Action(
        "suggestions",
        "o",
        N_("Suggestions"),
        N_("The suggestion box: suggest (optionally anonymously); the lead replies."),
        "screen",
    ),
    Action(
        "members",
        "m",
        N_("Members"),
        N_("Members, roles and keys (to compare), the moderator rota and the moderation log."),
        "screen",
    ),
    Action(
        "switch_circle",
        "O",
        N_("Circles"),
        N_("Switch to another of your circles, or rename yourself in this one."),
        "screen",
        footer=False,
    ),
    Action(
        "circle_settings",
        "S",
        N_("Circle settings"),
        N_("The circle's name, goal, rules and channels (the lead changes them; all can read)."),
        "screen",
        footer=False,
    ),
    Action(
        "new_channel",
        "C",
        N_("New channel"),
        N_("Create a channel with a goal line (moderators and the lead)."),
        "screen",
        footer=False,
    ),
    Action(
        "focus",
        "F",
        N_("Focus"),
        N_("Focus mode: only this channel, no bells or notices, for a while; F again leaves."),
        "screen",
    ),
    Action("help", "question_mark", N_("Help"), N_("Show every key."), "screen", key_display="?"),
    Action(
        "toggle_bell",
        "B",
        N_("Bell"),
        N_("Turn the terminal bell on @mentions on or off."),
        "screen",
    ),
    Action(
        "focus_next", "tab", N_("Next pane"), N_("Move to the next pane."), "screen", bound=False
    ),
    Action(
        "command_palette",
        "ctrl+p",
        N_("Commands"),
        N_("Command palette: every action by name."),
        "screen",
        bound=False,
    ),
    Action("quit", "ctrl+q", N_("Quit"), N_("Quit (your draft is kept)."), "screen", bound=False),
    Action(
        "move",
        "up,down",
        N_("Move"),
        N_("Move in a list."),
        "lists",
        bound=False,
        key_display="↑↓/jk",
    ),
    Action(
        "choose",
        "enter",
        N_("Open"),
        N_("Open the channel, thread or result."),
        "lists",
        bound=False,
    ),
    # --- the open thread: acting on the selected post ---------------------------------
    Action("reply", "r", N_("Reply"), N_("Reply at the end of the thread."), "post"),
    Action(
        "reply_to_post",
        "R",
        N_("Reply to post"),
        N_("Reply to the selected post; the reply shows what it answers."),
        "post",
    ),
    Action(
        "edit_post", "e", N_("Edit"), N_("Edit your own post (earlier versions are kept)."), "post"
    ),
    Action(
        "delete_post", "d", N_("Delete"), N_("Delete your own post (a tombstone stays)."), "post"
    ),
    Action(
        "react",
        "plus",
        N_("React"),
        N_("React to the post: +1, helpful, thanks, same question or well done."),
        "post",
        key_display="+",
    ),
    Action("accept", "a", N_("Accept"), N_("Accept this answer to your question."), "post"),
    Action(
        "verify", "v", N_("Verify"), N_("Verify this answer (moderators and the lead)."), "post"
    ),
    Action(
        "flag",
        "f",
        N_("Flag"),
        N_("Flag the post to moderators: incorrect, off-topic or unkind."),
        "post",
    ),
    Action(
        "hide",
        "x",
        N_("Hide"),
        N_("Hide or unhide the post (moderators); its author and moderators still see it."),
        "post",
    ),
    Action(
        "post_info",
        "i",
        N_("History"),
        N_("Show the post's edit history, reactions and flags."),
        "post",
    ),
    Action(
        "select(-1)",
        "up,k",
        N_("Previous post"),
        N_("Move to the previous post."),
        "thread",
        footer=False,
        palette=False,
        key_display="↑/k",
    ),
    Action(
        "select(1)",
        "down,j",
        N_("Next post"),
        N_("Move to the next post."),
        "thread",
        footer=False,
        palette=False,
        key_display="↓/j",
    ),
    Action(
        "page(-1)",
        "pageup",
        N_("Page up"),
        N_("Scroll up a screen."),
        "thread",
        footer=False,
        palette=False,
    ),
    Action(
        "page(1)",
        "pagedown",
        N_("Page down"),
        N_("Scroll down a screen."),
        "thread",
        footer=False,
        palette=False,
    ),
    Action(
        "select_edge(0)",
        "home,g",
        N_("First post"),
        N_("Go to the first post."),
        "thread",
        footer=False,
        palette=False,
        key_display="home/g",
    ),
    Action(
        "select_edge(-1)",
        "end,G",
        N_("Last post"),
        N_("Go to the last post."),
        "thread",
        footer=False,
        palette=False,
        key_display="end/G",
    ),
    # --- writing ----------------------------------------------------------------------
    Action(
        "send",
        "ctrl+s",
        N_("Send"),
        N_("Send the post (or save the edit)."),
        "composer",
        palette=False,
    ),
    Action(
        "cancel",
        "escape",
        N_("Leave"),
        N_("Leave the composer; cancels an edit or a reply to a post."),
        "composer",
        palette=False,
    ),
    # --- the notes screen -------------------------------------------------------------
    Action("edit", "e", N_("Edit"), N_("Edit the note (your unsaved draft is kept)."), "notes"),
    Action(
        "new_note",
        "n",
        N_("New note"),
        N_("Start a new note in this channel or the circle."),
        "notes",
    ),
    Action(
        "history",
        "h",
        N_("History"),
        N_("Every revision: who, when, what changed; compare two, restore one."),
        "notes",
    ),
    Action("blame", "b", N_("Who wrote"), N_("Show who wrote each line of the note."), "notes"),
    Action("help", "question_mark", N_("Help"), N_("Show every key."), "notes", key_display="?"),
    Action(
        "move",
        "up,down",
        N_("Move"),
        N_("Move in the list; enter opens the note."),
        "notes",
        bound=False,
        key_display="↑↓/jk",
    ),
    Action(
        "focus_next",
        "tab",
        N_("Next pane"),
        N_("Move between the list and the note."),
        "notes",
        bound=False,
    ),
    Action(
        "back",
        "escape",
        N_("Back"),
        N_("Back to the list, or to the discussion."),
        "notes",
        palette=False,
    ),
    # --- writing ----------------------------------------------------------------------
    Action(
        "save",
        "ctrl+s",
        N_("Save"),
        N_("Save the note as a new revision; edits made meanwhile by others are merged."),
        "editor",
        palette=False,
    ),
    Action(
        "leave",
        "escape",
        N_("Leave"),
        N_("Leave the editor (asks first if there are unsaved changes)."),
        "editor",
        palette=False,
    ),
    # --- a note's history -------------------------------------------------------------
    Action(
        "show('diff')",
        "d",
        N_("Changes"),
        N_("Show what the revision changed (or the changes since the marked one)."),
        "history",
    ),
    Action("show('text')", "t", N_("Text"), N_("Show the revision's text."), "history"),
    Action("show('blame')", "b", N_("Who wrote"), N_("Show who wrote each line of it."), "history"),
    Action(
        "mark",
        "c",
        N_("Compare"),
        N_("Mark this revision; the changes then shown are from it to the selected one."),
        "history",
    ),
    Action(
        "restore",
        "r",
        N_("Restore"),
        N_("Make this revision's text the note's again, as a new revision."),
        "history",
    ),
    Action("help", "question_mark", N_("Help"), N_("Show every key."), "history", key_display="?"),
    Action("back", "escape", N_("Back"), N_("Back to the note."), "history", palette=False),
    # --- the quiz pane ----------------------------------------------------------------
    Action(
        "host", "l", N_("Run live"), N_("Open a lobby and run this quiz live (leads)."), "quizzes"
    ),
    Action("back", "escape", N_("Back"), N_("Back to the discussion."), "quizzes", palette=False),
    _help("quizzes"),
    # --- a live quiz ------------------------------------------------------------------
    Action(
        "advance", "n", N_("Next"), N_("Ask, reveal, show the leaderboard, go on (host)."), "live"
    ),
    Action("pause", "p", N_("Pause/resume"), N_("Stop or restart the countdown (host)."), "live"),
    Action(
        "add_time",
        "plus,equals_sign",
        N_("+10 s"),
        N_("Add ten seconds to the question (host)."),
        "live",
        key_display="+",
    ),
    Action(
        "skip",
        "s",
        N_("Close now"),
        N_("Close the question now, before its time is up (host)."),
        "live",
    ),
    Action("end", "x", N_("End"), N_("End the quiz here (host)."), "live"),
    Action("send", "enter", N_("Send"), N_("Send the ticked choices."), "live"),
    Action("export", "e", N_("Export CSV"), N_("Write the results as CSV."), "live"),
    # One key, two meanings: a player leaves the quiz, its lead only goes back.
    Action(
        "leave",
        "escape",
        N_("Leave quiz"),
        N_("Leave the quiz (join again from the Quiz pane)."),
        "live",
        palette=False,
    ),
    Action(
        "back",
        "escape",
        N_("Back"),
        N_("Back to the quizzes (the quiz goes on)."),
        "live",
        palette=False,
    ),
    _help("live"),
    # --- practising -------------------------------------------------------------------
    Action("next", "enter", N_("Next"), N_("Send the ticked choices, or go on."), "practice"),
    Action("leave", "escape", N_("Leave"), N_("Back to the quizzes."), "practice", palette=False),
    _help("practice"),
    # --- members and roles ------------------------------------------------------------
    Action(
        "role('moderator')",
        "m",
        N_("Make moderator"),
        N_("Make the member a moderator."),
        "members",
    ),
    Action("role('member')", "u", N_("Make member"), N_("Make them a member again."), "members"),
    Action("role('lead')", "l", N_("Make lead"), N_("Make the member a lead too."), "members"),
    Action("remove", "x", N_("Remove"), N_("Remove the member from the circle."), "members"),
    Action("new_key", "k", N_("New key"), N_("Sign from now on with a new key."), "members"),
    Action(
        "give_key",
        "g",
        N_("Give key (lost)"),
        N_(
            "As the lead: give a member who lost their key the key of their new device (two steps)."
        ),
        "members",
    ),
    _close("members"),
    _help("members"),
    # --- the schedule -----------------------------------------------------------------
    Action("add", "a", N_("Add session"), N_("Add the session in the form."), "schedule"),
    Action("remove", "d", N_("Remove"), N_("Remove the selected session."), "schedule"),
    Action(
        "export", "x", N_("Export .ics"), N_("Write the schedule as an iCalendar file."), "schedule"
    ),
    _close("schedule"),
    _help("schedule"),
    # --- participation ----------------------------------------------------------------
    Action("days(7)", "7", N_("7 days"), N_("Show the last 7 days."), "participation"),
    Action("days(30)", "3", N_("30 days"), N_("Show the last 30 days."), "participation"),
    _close("participation"),
    _help("participation"),
    # --- the rules --------------------------------------------------------------------
    Action("accept", "a", N_("Accept"), N_("Accept the circle's rules."), "rules"),
    Action(
        "settings",
        "e",
        N_("Change them"),
        N_("Change the circle's goal and rules (the lead): circle settings."),
        "rules",
    ),
    _close("rules", "later"),
    _help("rules"),
    # --- the circle's settings and your circles --------------------------------------
    Action(
        "save",
        "ctrl+s",
        N_("Save"),
        N_("Save the name, goal and rules (the lead)."),
        "circle-settings",
        palette=False,
    ),
    Action(
        "new_channel",
        "n",
        N_("New channel"),
        N_("Add a channel (moderators and the lead)."),
        "circle-settings",
    ),
    Action(
        "rename_channel",
        "r",
        N_("Rename"),
        N_("Rename the channel picked in the list."),
        "circle-settings",
    ),
    Action(
        "archive_channel",
        "x",
        N_("Archive/restore"),
        N_("Archive the channel picked (read-only, out of the list), or bring it back."),
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
    _close("dialog", "cancel", N_("Cancel")),
    Action("answer(True)", "y", N_("Yes"), N_("Yes: do it."), "confirm", palette=False),
    Action("answer(False)", "n", N_("No"), N_("No: leave it as it is."), "confirm", palette=False),
    *(
        Action(
            f"pick({n})",
            str(n + 1),
            _REACTION_TITLES[kind],
            Message("React with {name}.", name=Message(REACTION_NAMES[kind])),
            "react",
        )
        for n, kind in enumerate(REACTIONS)
    ),
    _close("post-info", "cancel", keys="i,q"),
    Action("create", "ctrl+s", N_("Create"), N_("Start the thread."), "new-thread", palette=False),
    _close("new-thread", "cancel", N_("Cancel")),
    Action("answer('save')", "s", N_("Save"), N_("Save them as a new revision."), "unsaved"),
    Action("answer('discard')", "d", N_("Discard"), N_("Throw them away."), "unsaved"),
    _close("unsaved", "answer(None)", N_("Keep editing"), "escape,k"),
    _close("help", "close", keys="escape,q,question_mark"),
    Action("copy_all", "c", N_("Copy all"), N_("Copy it all to your clipboard."), "export-text"),
    _close("export-text", "close"),
    Action("save", "ctrl+s", N_("Save"), N_("Save the settings to config.toml."), "settings"),
    Action(
        "cancel", "escape", N_("Cancel"), N_("Leave without saving."), "settings", palette=False
    ),
    Action(
        "cancel",
        "f2",
        N_("Cancel"),
        N_("Leave without saving."),
        "settings",
        footer=False,
        palette=False,
        id="settings-close",
    ),
    Action(
        "settings",
        "f2",
        N_("Settings"),
        N_("Theme, colours, keys, language, time format, low-bandwidth mode."),
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
