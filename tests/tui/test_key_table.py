"""One key table for every screen (tui/actions.py): every binding of every screen comes
from it, so each key is listed in that screen's ``?`` and palette and can be remapped in
config.toml; and a hint on screen names the key as the member's keymap has it.

The walk pushes every screen of the app (and every dialog), remaps its ``?`` (or, in a
dialog, its way out) to another key through the settings' ``[keys]``, presses that key,
and reads the key list it opens.
"""

import importlib
import inspect
import io
import pkgutil
import re

from palette_helpers import pick_in_palette
from rich.console import Console
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static

from quiz_helpers import quiz_circle
from studycircle_tui.config import Settings
from studycircle_tui.sync.quizrun import QuizRunner
from studycircle_tui.tui import screens as screens_package
from studycircle_tui.tui.actions import ACTIONS, SCOPES, binding_id, key_label, scope_actions
from studycircle_tui.tui.app import StudyCircleApp
from studycircle_tui.tui.commands import KeyCommands
from studycircle_tui.tui.screens.circle_dialogs import (
    FocusScreen,
    MeanwhileScreen,
    NewChannelScreen,
)
from studycircle_tui.tui.screens.circle_settings import CircleSettingsScreen
from studycircle_tui.tui.screens.circle_switcher import CircleSwitcherScreen
from studycircle_tui.tui.screens.dialogs import (
    ConfirmScreen,
    FlagScreen,
    HideScreen,
    PostInfoScreen,
    ReactScreen,
)
from studycircle_tui.tui.screens.export import Export, ExportPathScreen, ExportTextScreen
from studycircle_tui.tui.screens.help import HelpScreen, help_table
from studycircle_tui.tui.screens.members import MembersScreen
from studycircle_tui.tui.screens.new_thread import NewThreadScreen
from studycircle_tui.tui.screens.note_dialogs import NewNoteScreen, UnsavedScreen
from studycircle_tui.tui.screens.note_history import NoteHistoryScreen
from studycircle_tui.tui.screens.notes import NotesScreen
from studycircle_tui.tui.screens.participation import ParticipationScreen
from studycircle_tui.tui.screens.quiz import QuizPaneScreen
from studycircle_tui.tui.screens.quiz_dialogs import LiveSettingsScreen
from studycircle_tui.tui.screens.quiz_live import LiveQuizScreen
from studycircle_tui.tui.screens.quiz_practice import PracticeScreen
from studycircle_tui.tui.screens.rules import RulesScreen
from studycircle_tui.tui.screens.schedule import ScheduleScreen
from studycircle_tui.tui.screens.settings import SettingsScreen
from studycircle_tui.tui.screens.suggestions import SuggestionScreen

TABLE_IDS = {binding_id(action) for action in ACTIONS if action.bound}
HELP_KEY, LEAVE_KEY = "f9", "f10"  # what the walk remaps ? and a dialog's way out to


def screen_classes() -> list[type[Screen]]:
    found = []
    for module in pkgutil.iter_modules(screens_package.__path__):
        loaded = importlib.import_module(f"{screens_package.__name__}.{module.name}")
        for _, cls in inspect.getmembers(loaded, inspect.isclass):
            if issubclass(cls, Screen) and cls.__module__ == loaded.__name__:
                found.append(cls)
    return found


def own_bindings(cls: type[Screen]) -> list[Binding]:
    """The bindings ``cls`` and its bases in this app declare (Textual's own Screen keys,
    tab and copy, aside: they are listed in ``?`` as the table's unbound entries)."""
    return [
        binding
        for base in cls.__mro__
        if base.__module__.startswith("studycircle_tui.")
        for binding in base.__dict__.get("BINDINGS", ())
    ]


def test_every_binding_of_every_screen_is_in_the_table_and_its_help():
    classes = screen_classes()
    assert len(classes) >= 25
    for cls in classes:
        scopes = getattr(cls, "KEY_SCOPES", ())
        for binding in own_bindings(cls):
            where = f"{cls.__name__}: {binding.key} → {binding.action}"
            assert binding.id in TABLE_IDS, f"{where} is not in the key table"
            action = next(a for a in ACTIONS if binding_id(a) == binding.id)
            assert action.scope in scopes, f"{where} is missing from its ? (KEY_SCOPES)"


def plain(renderable) -> str:
    """What a renderable says, wide enough that no line wraps."""
    console = Console(width=240, file=io.StringIO(), record=True)
    console.print(renderable)
    return console.export_text()


def way_out(screen: Screen) -> str | None:
    """The binding id of the screen's ``?`` if it has one, else of its way out."""
    ids = {binding.id for binding in own_bindings(type(screen))}
    for scope in screen.KEY_SCOPES:
        for action in scope_actions(scope):
            if binding_id(action) in ids and action.name == "help":
                return binding_id(action)
    return None


async def test_every_screen_lists_its_keys_in_help_and_palette_and_takes_remapped_keys(tmp_path):
    circle = await quiz_circle(tmp_path)
    lead = circle.lead
    runner = QuizRunner(lead)
    quiz = lead.state.quizzes[circle.quiz]
    session = (await runner.start(circle.quiz)).id
    thread = lead.submit(
        "thread.create", {"channel": circle.channel, "title": "Hi", "kind": "question", "text": "?"}
    )
    note = lead.submit("note.create", {"title": "Week 1", "text": "# Week 1\n"})
    post = lead.state.posts[thread.id]
    keys = runner.practice_keys(quiz)
    # Every screen's ? to f9, and every dialog's way out to f10, in config.toml's [keys].
    keymap = {binding_id(a): HELP_KEY for a in ACTIONS if a.name == "help" and a.bound}
    keymap |= {binding_id(a): LEAVE_KEY for a in ACTIONS if a.name == "cancel" and a.bound}
    keymap |= {binding_id(a): LEAVE_KEY for a in ACTIONS if a.scope == "help" and a.bound}
    made = [
        lambda: NotesScreen(lead, circle.channel, note.id),
        lambda: NoteHistoryScreen(lead, note.id),
        lambda: QuizPaneScreen(lead, circle.channel),
        lambda: LiveQuizScreen(lead, session, tick=False),
        lambda: PracticeScreen(lead, quiz.id, keys),
        lambda: MembersScreen(lead),
        lambda: ScheduleScreen(lead),
        lambda: ParticipationScreen(lead),
        lambda: RulesScreen(lead),
        lambda: SuggestionScreen(lead),
        lambda: SettingsScreen(app.preferences),
        lambda: ConfirmScreen("Sure?"),
        lambda: ReactScreen(lead.state, post, lead.me),
        lambda: FlagScreen(),
        lambda: HideScreen(),
        lambda: PostInfoScreen(lead.state, post, lead.me, lead.now_ms(), {}),
        lambda: NewThreadScreen(lead, circle.channel),
        lambda: CircleSettingsScreen(lead),
        lambda: CircleSwitcherScreen(lead),
        lambda: FocusScreen(),
        lambda: MeanwhileScreen(lead, []),
        lambda: NewChannelScreen(),
        lambda: LiveSettingsScreen("Quiz", False),
        lambda: ExportPathScreen(Export("the results", "results.csv", b"a,b\n")),
        lambda: ExportTextScreen(Export("the results", "results.csv", b"a,b\n")),
        lambda: NewNoteScreen(None, None),
        lambda: UnsavedScreen("Week 1"),
    ]
    app = StudyCircleApp(lead, sync=False, settings=Settings(name="Lea", keys=keymap))
    walked = set()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await check_screen(pilot, app.screen, keymap)  # the main screen itself
        walked.add(type(app.screen))
        for make in made:
            screen = make()
            await app.push_screen(screen)
            await pilot.pause()
            await check_screen(pilot, screen, keymap)
            walked.add(type(screen))
            if app.screen is screen:
                await app.pop_screen()
                await pilot.pause()
    # The walk saw every screen that has keys of its own (or one made from it), the key
    # list itself aside.
    keyed = {cls for cls in screen_classes() if own_bindings(cls)}
    unwalked = {cls for cls in keyed if not any(issubclass(seen, cls) for seen in walked)}
    assert unwalked - {HelpScreen} == set()


async def check_screen(pilot, screen: Screen, keymap: dict[str, str]) -> None:
    app = pilot.app
    name = type(screen).__name__
    scopes = screen.KEY_SCOPES
    # The palette offers what the keys offer here now (what the screen does not offer,
    # for its role or its state, is left out).
    provider = KeyCommands(screen)
    offered = {action.title for action, _, _ in provider.offered()}
    owner_of = getattr(screen, "action_owner", lambda action: screen)
    for scope in scopes:
        for action in scope_actions(scope):
            wanted = action.palette and action.bound
            if wanted and owner_of(action).check_action(action.name, ()) is not False:
                assert action.title in offered, f"{name}: {action.title} not in the palette"
    # ? (remapped to f9) or the palette's "Keys" lists every key of the screen, remapped.
    if way_out(screen) is not None:
        # Out of any text field: Textual drops a binding whose *default* key a focused
        # field would type (``?``) before it applies the keymap, remapped or not.
        screen.set_focus(None)
        await pilot.press(HELP_KEY)
    else:
        app.preferences.show_keys()
    await pilot.pause()
    assert isinstance(app.screen, HelpScreen), f"{name}: no key list"
    listed = plain(app.screen.query_one("#help-keys", Static).content)
    for scope in scopes:
        for action in scope_actions(scope):
            if not action.listed:
                continue  # a summary row stands for it (1-9 for the nine channel keys)
            assert action.help in listed, f"{name}: {action.help!r} not in its ?"
            assert key_label(action, keymap) in listed, f"{name}: no {action.keys} in its ?"
    await pilot.press(LEAVE_KEY)  # the key list's own way out, remapped too
    await pilot.pause()
    assert app.screen is screen, f"{name}: the key list did not close with {LEAVE_KEY}"
    if way_out(screen) is None and any(
        binding_id(a) in keymap and keymap[binding_id(a)] == LEAVE_KEY
        for scope in scopes
        for a in scope_actions(scope)
    ):
        await pilot.press(LEAVE_KEY)  # a dialog's way out, remapped
        await pilot.pause()
        assert app.screen is not screen, f"{name}: {LEAVE_KEY} did not leave it"


def test_the_table_names_a_heading_for_every_scope():
    assert {action.scope for action in ACTIONS} <= set(SCOPES)


def test_each_react_key_names_the_reaction_it_gives():
    """The react dialog's keys, in its key list (palette) and the settings' [keys] list,
    say which reaction each gives, the two v3 added too, not "Reaction 4"."""
    names = ("+1", "helpful", "thanks", "same question", "well done")
    react = scope_actions("react")
    assert [action.title for action in react] == [name.capitalize() for name in names]
    listed = plain(help_table(ReactScreen.KEY_SCOPES))
    for number, name in enumerate(names, 1):
        assert re.search(rf"^{number} +React with {re.escape(name)}\.", listed, re.MULTILINE)


async def test_the_palettes_keys_lists_the_keys_of_the_screen_it_was_opened_over(tmp_path):
    lead = (await quiz_circle(tmp_path)).lead
    app = StudyCircleApp(
        lead, sync=False, settings=Settings(name="Lea", keys={"members-remove": "X"})
    )
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await app.push_screen(MembersScreen(lead))
        await pilot.pause()
        await pick_in_palette(pilot, "keys", "Keys")
        assert isinstance(app.screen, HelpScreen)
        listed = plain(app.screen.query_one("#help-keys", Static).content)
    assert "Make the member a moderator." in listed
    assert "X" in listed.split("Remove the member from the circle.")[0].splitlines()[-1]
    assert "Reply at the end of the thread." not in listed  # the discussion's, not here
