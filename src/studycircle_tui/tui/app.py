"""The Textual app: wiring only. It holds the service, runs its sync loop in a worker and
turns what the service reports into Messages for the screen.

The same app runs in a terminal of its own (``studycircle``) and as one of many players'
apps in an ssh-serve worker; there ``environ`` is the player's session (their TERM, the
colour depth and flags the server gives them) and ``driver_class`` draws through their
SSH channel."""

import gc
from collections.abc import Mapping

from textual import events
from textual.app import App
from textual.binding import Binding

from ..config import Settings, load_settings
from ..sync.engine import CircleService, Event, Notice, SyncStatus
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
    BINDINGS = [Binding("f2", "settings", "Settings", id="settings-screen")]

    def __init__(
        self,
        service: CircleService,
        *,
        sync: bool = True,
        settings: Settings | None = None,
        theme: str | None = None,
        environ: Mapping[str, str] | None = None,
        driver_class=None,
        tune_gc: bool = True,
    ) -> None:
        super().__init__(driver_class=driver_class)
        self.service = service
        self.settings = settings if settings is not None else load_settings()
        self._sync = sync
        # An ssh-serve worker tunes its collector once for all its players' apps: a
        # player's widgets frozen at mount would outlive their session.
        self._tune_gc = tune_gc
        # Themes (registered before use), colour depth, keymap, low-bandwidth mode.
        self.preferences = Preferences(self, self.settings, environ)
        if theme is not None:
            self.theme = theme
        self.main_screen = MainScreen(service, self.settings)

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return theme_variable_defaults(self.current_theme)

    def on_mount(self) -> None:
        self.title = self.service.state.name or "studycircle"
        self.service.subscribe(self._service_event)
        self.push_screen(self.main_screen)
        if self._tune_gc:
            self.call_after_refresh(tune_garbage_collector)
        if self._sync:
            self.run_worker(self.service.run(), name="sync", group="sync", exclusive=True)
        self.preferences.on_mount()

    def get_system_commands(self, screen):
        return self.preferences.palette_commands(screen, super().get_system_commands(screen))

    def action_settings(self) -> None:
        self.preferences.open()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        self.preferences.focused(event.widget)  # no blinking cursor in low-bandwidth mode

    def on_cursor_position(self, event: events.CursorPosition) -> None:
        self.preferences.terminal_answered()  # times the link, to offer low-bandwidth mode

    async def action_quit(self) -> None:
        self.main_screen.leave_thread()  # the debounced draft save may not have run yet
        self.exit()

    def _service_event(self, event: Event) -> None:
        # Called on the app's own event loop (the sync worker runs there), so posting is safe.
        if isinstance(event, SyncStatus):
            self.main_screen.post_message(SyncStatusChanged(event))
        elif isinstance(event, Notice):
            self.main_screen.post_message(NoticeReceived(event))
        else:
            self.main_screen.post_message(CircleChanged(event))
