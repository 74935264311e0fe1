"""The Textual app: wiring only. It holds the service, runs its sync loop in a worker and
turns what the service reports into Messages: a change of the circle goes to every
screen on the stack (none shows stale data), the sync status and notices to the main
screen. Every worker runs on the app, so a failed one is said in one place."""

import gc

from textual import events
from textual.app import App
from textual.worker import Worker, WorkerState

from ..config import Settings, load_settings
from ..sync.engine import CircleService, Event, Notice, SyncStatus
from .actions import bindings_for
from .commands import KeyCommands
from .intents import IntentQueue
from .messages import CircleChanged, NoticeReceived, SyncStatusChanged
from .preferences import Preferences
from .screens.main import MainScreen
from .theme_vars import theme_variable_defaults


def tune_garbage_collector() -> None:
    """The circle's state lives as long as the app: take it (and the screen's widgets) out
    of the cyclic collector's sight, or each full collection rescans every post; and
    collect the young generation less often (Textual makes short-lived cycles each frame).
    Measured on 1,000 posts: keypress p95 from ~80 ms (pauses of 50-300 ms) to ~10 ms."""
    gc.freeze()
    gc.set_threshold(5_000, 10, 1_000)


class StudyCircleApp(App[None]):
    CSS_PATH = "app.tcss"
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
    ) -> None:
        super().__init__()
        self.service = service
        self.intents = IntentQueue(self)  # what the member asks for, one at a time
        self.settings = settings if settings is not None else load_settings()
        self._sync = sync
        # Themes (registered before use), colour depth, keymap, low-bandwidth mode.
        self.preferences = Preferences(self, self.settings)
        if theme is not None:
            self.theme = theme
        self.main_screen = MainScreen(service, self.settings)

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return theme_variable_defaults(self.current_theme)

    def on_mount(self) -> None:
        self.title = self.service.state.name or "studycircle"
        self.service.subscribe(self._service_event)
        self.push_screen(self.main_screen)
        self.call_after_refresh(tune_garbage_collector)
        if self._sync:
            self.run_worker(
                self.service.run(), name="sync", group="sync", exclusive=True, exit_on_error=False
            )
        self.preferences.on_mount()

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
            f"Something went wrong: {error}",
            title="Error",
            severity="error",
            timeout=15,
            markup=False,
        )

    async def action_quit(self) -> None:
        self.main_screen.thread_pane.leave_thread()  # the debounced draft save may not have run
        self.exit()

    def _service_event(self, event: Event) -> None:
        # Called on the app's own event loop (the sync worker runs there), so posting is safe.
        if isinstance(event, SyncStatus):
            self.main_screen.post_message(SyncStatusChanged(event))
        elif isinstance(event, Notice):
            self.main_screen.post_message(NoticeReceived(event))
        else:
            for screen in self.screen_stack:  # the ones underneath too: no stale screen
                screen.post_message(CircleChanged(event))
