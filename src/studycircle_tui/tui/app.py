"""The Textual app: wiring only. It holds the service, runs its sync loop in a worker and
turns what the service reports into Messages for the screen."""

from textual.app import App

from ..sync.engine import CircleService, Event, Notice, SyncStatus
from .messages import CircleChanged, NoticeReceived, SyncStatusChanged
from .screens.main import MainScreen


class StudyCircleApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "studycircle"

    def __init__(self, service: CircleService, *, sync: bool = True) -> None:
        super().__init__()
        self.service = service
        self._sync = sync
        self.main_screen = MainScreen(service)

    def on_mount(self) -> None:
        self.title = self.service.state.name or "studycircle"
        self.service.subscribe(self._service_event)
        self.push_screen(self.main_screen)
        if self._sync:
            self.run_worker(self.service.run(), name="sync", group="sync", exclusive=True)

    async def action_quit(self) -> None:
        self.main_screen.save_draft()  # the debounced save may not have run yet
        self.exit()

    def _service_event(self, event: Event) -> None:
        # Called on the app's own event loop (the sync worker runs there), so posting is safe.
        if isinstance(event, SyncStatus):
            self.main_screen.post_message(SyncStatusChanged(event))
        elif isinstance(event, Notice):
            self.main_screen.post_message(NoticeReceived(event))
        else:
            self.main_screen.post_message(CircleChanged(event))
