"""The Textual app: wiring only. It holds the service, runs its sync loop and its quiz
pacer in workers and turns what the service reports into Messages: a change of the
circle and the sync status go to every screen on the stack (none shows stale data; an
answer or a post queued shows as sent once it is), notices to the main screen. Every
worker runs on the app, so a failed one is said in one place.

The same app runs in a terminal of its own (``studycircle``) and as one of many players'
apps in an ssh-serve worker; there ``environ`` is the player's session (their TERM, the
colour depth and flags the server gives them) and ``driver_class`` draws through their
SSH channel."""

import gc
from collections.abc import Mapping, Sequence
from pathlib import Path

from textual import events
from textual.app import App
from textual.binding import Binding
from textual.command import CommandPalette
from textual.drivers.linux_driver import LinuxDriver
from textual.filter import LineFilter
from textual.worker import Worker, WorkerState

from ..config import Settings, load_settings
from ..i18n import _, error_text
from ..sync.engine import CircleService, Event, Notice, SyncStatus
from . import compat, display
from .actions import bindings_for
from .commands import KeyCommands
from .intents import IntentQueue
from .messages import CircleChanged, NoticeReceived, SyncStatusChanged, TerminalClosed
from .preferences import Preferences
from .screens.main import MainScreen
from .terminal_driver import TerminalDriver
from .theme_vars import theme_variable_defaults
from .visible import ControlFilter, visible_line
from .widgets.post_render import warm_up

# Drops any control character still in a line drawn, whatever widget drew it.
CONTROL_FILTER = ControlFilter()


def tune_garbage_collector() -> None:
    """The circle's state lives as long as the app: take it (and the screen's widgets) out
    of the cyclic collector's sight, or each full collection rescans every post; and
    collect the young generation less often (Textual makes short-lived cycles each frame).
    Measured on 1,000 posts: keypress p95 from ~80 ms (pauses of 50-300 ms) to ~10 ms."""
    gc.freeze()
    gc.set_threshold(5_000, 10, 1_000)


class StudyCircleApp(compat.ShowsOnlyWhatIsSeen[str | None]):
    """Returns the id of the circle to open next when the member switched circles."""

    # The notes screens' sheet is read with the app's own: Textual reads a screen's
    # CSS_PATH when the screen is first shown, and then parses every sheet of the app
    # again and restyles every widget (~25 ms of opening a 1 MB note's pane). Whole
    # paths, so that a subclass elsewhere (a benchmark's) reads the same files.
    CSS_PATH = [Path(__file__).parent / "app.tcss", Path(__file__).parent / "screens/notes.tcss"]
    # Default CSS, so the app's own stylesheets win over it (see the file's comment);
    # not scoped, or Textual would put the app's type in front of its second selector.
    DEFAULT_CSS = (Path(__file__).parent / "plain_terminals.tcss").read_text(encoding="utf-8")
    SCOPED_CSS = False
    TITLE = "studycircle"
    BINDINGS = bindings_for("app")
    COMMANDS = App.COMMANDS | {KeyCommands}  # every screen's keys, from the one table

    def __init__(
        self,
        service: CircleService,
        *,
        sync: bool = True,
        settings: Settings | None = None,
        theme: str | None = None,
        remote: str | None = None,
        environ: Mapping[str, str] | None = None,
        driver_class=None,
        tune_gc: bool = True,
    ) -> None:
        super().__init__(driver_class=driver_class)
        self.service = service
        self.intents = IntentQueue(self)  # what the member asks for, one at a time
        # "ssh" or "web" when served to someone at another machine (``--served-over``):
        # then nothing is written to this machine's files on their say-so (screens/export.py).
        self.remote = remote
        self.settings = settings if settings is not None else load_settings()
        self._sync = sync
        # An ssh-serve worker tunes its collector once for all its players' apps: a
        # player's widgets frozen at mount would outlive their session.
        self._tune_gc = tune_gc
        # Themes (registered before use), colour depth, keymap, low-bandwidth mode.
        self.preferences = Preferences(self, self.settings, environ)
        if theme is not None:
            compat.theme_before_start(self, theme)
        self.main_screen = MainScreen(service, self.settings)
        if tune_gc:
            # Now, the circle just folded, and again once the first screen is drawn (its
            # widgets): Textual's start makes thousands of objects, and a full collection
            # meanwhile rescanned the whole state (~55 ms of opening a 1 MB note's pane).
            tune_garbage_collector()

    def get_driver_class(self):
        # Textual's choice (TEXTUAL_DRIVER names textual-serve's web driver), but in a
        # terminal the one that ends the app when the terminal goes.
        driver = super().get_driver_class()
        return TerminalDriver if driver is LinuxDriver else driver

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return theme_variable_defaults(self.current_theme)

    def get_css_variables(self) -> dict[str, str]:
        return {**super().get_css_variables(), **display.border_variables(self)}

    def get_key_display(self, binding: Binding) -> str:
        return display.key_display(self, binding.key, super().get_key_display(binding))

    def get_line_filters(self) -> Sequence[LineFilter]:
        # After Textual's own (NO_COLOR, dim): no control character reaches the terminal
        # whatever drew it (a second line of defence behind the schema), then colour
        # depth and plain symbols.
        return [*super().get_line_filters(), CONTROL_FILTER, *self.preferences.line_filters]

    def on_mount(self) -> None:
        self.title = visible_line(self.service.state.name) or "studycircle"
        self.service.subscribe(self._service_event)
        self.push_screen(self.main_screen)
        if self._tune_gc:
            self.call_after_refresh(tune_garbage_collector)
        # The circle was caught up with before the app started: its sync loop (and the
        # file watcher it imports and sets up) can wait for the first frame.
        self.call_after_refresh(self._start_loops)
        self.call_after_refresh(self._back_to_the_live_quiz)
        self.preferences.on_mount()

    def _start_loops(self) -> None:
        if self._sync:
            self.run_worker(
                self.service.run(), name="sync", group="sync", exclusive=True, exit_on_error=False
            )
        # Live questions this member hosts close on time whatever screen is showing (one
        # pacer for the circle, however many apps over it: an ssh-serve worker's).
        self.run_worker(
            self.service.pace(), name="pacer", group="pacer", exclusive=True, exit_on_error=False
        )
        self.run_worker(warm_up, name="warm-up", thread=True, exit_on_error=False)

    def _back_to_the_live_quiz(self) -> None:
        """A player served over SSH or the web whose connection dropped mid-quiz comes
        back to the quiz they are seated in, not to the channels (a local app opens where
        it always does; its status line names the quiz). After the first frame: the quiz
        code loads only for a circle that has had a quiz session."""
        if self.remote is None or not self.service.state.sessions:
            return
        from ..sync.pacer import seated_in
        from .screens.quiz_live import LiveQuizScreen

        session = seated_in(self.service.state, self.service.me, self.service.circle.clock_ms())
        if session is not None and self.screen is self.main_screen:
            self.push_screen(LiveQuizScreen(self.service, session))

    def action_command_palette(self) -> None:
        # Textual's own, with its placeholder in the session's language.
        if self.use_command_palette and not CommandPalette.is_open(self):
            palette = CommandPalette(id="--command-palette", placeholder=_("Search for commands…"))
            self.push_screen(palette)

    def get_system_commands(self, screen):
        return self.preferences.palette_commands(screen, super().get_system_commands(screen))

    def action_settings(self) -> None:
        self.preferences.open()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        self.preferences.focused(event.widget)  # no blinking cursor in low-bandwidth mode

    def on_cursor_position(self, event: events.CursorPosition) -> None:
        self.preferences.terminal_answered()  # times the link, to offer low-bandwidth mode

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            self.report_failure(event.worker.error)

    def report_failure(self, error: BaseException) -> None:
        """The one place an unexpected failure is said (a bug, or bad luck on disk)."""
        self.log.error(error)
        self.notify(
            _("Something went wrong: {error}").format(error=error_text(error)),
            title=_("Error"),
            severity="error",
            timeout=15,
            markup=False,
        )

    async def action_quit(self) -> None:
        self.main_screen.thread_pane.leave_thread()  # the debounced draft save may not have run
        self.exit()

    async def on_terminal_closed(self, _: TerminalClosed) -> None:
        # As if the member had quit: nothing they typed is lost. (A terminal may go while
        # the app is still starting, before there is a thread pane to save.)
        if self.main_screen.is_mounted:
            await self.action_quit()
        else:
            self.exit()

    def _service_event(self, event: Event) -> None:
        # Called on the app's own event loop (the sync worker runs there), so posting is safe.
        if isinstance(event, SyncStatus):
            for screen in self.screen_stack:  # what waits to send shows where it was made
                screen.post_message(SyncStatusChanged(event))
        elif isinstance(event, Notice):
            self.main_screen.post_message(NoticeReceived(event))
        else:
            for screen in self.screen_stack:  # the ones underneath too: no stale screen
                screen.post_message(CircleChanged(event))
