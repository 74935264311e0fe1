"""What the notes screens share: redrawing on the circle's changes, the palette, ``?``,
and copies of a note that a thread worker can read."""

from rich.style import Style
from textual.screen import Screen

from ...sync.engine import CircleService
from ..messages import CircleChanged
from ..widgets.note_lines import NoteLines
from ..widgets.note_render import NotePalette
from .help import HelpScreen

BIG_TEXT = 20_000  # characters: render in a thread from here on
SHOWN_OPS = ("note.", "member.", "channel.", "circle.")  # ops that change a notes screen


def member_names(service: CircleService) -> dict[str, str]:
    return {member_id: m.name for member_id, m in service.state.members.items()}


class NoteScreenBase(Screen[None]):
    """What the notes screens share: the service, the palette, redrawing on changes."""

    CSS_PATH = "notes.tcss"

    def __init__(self, service: CircleService) -> None:
        super().__init__()
        self.service = service
        self._palette: NotePalette | None = None

    @property
    def palette(self) -> NotePalette:
        if self._palette is None:
            self._palette = NotePalette.from_variables(self.app.theme_variables)
        return self._palette

    @property
    def warning(self) -> Style:
        return Style(color=self.palette.marker.color, bold=True)

    def on_mount(self) -> None:
        self.watch(self.app, "theme", self._theme_changed, init=False)

    def _width_class_now(self) -> None:
        """Textual sets the width class (-narrow, -wide) on a screen's first resize, which
        comes after its first layout: set it now, so the note is laid out, and a big one
        built, once and at the width it keeps (not half-built at another first). Called
        as ``compose`` starts: set once the widgets are in, a class restyles them all."""
        breakpoints = self.HORIZONTAL_BREAKPOINTS or []
        width = self.app.size.width
        chosen = next(
            (name for edge, name in sorted(breakpoints, reverse=True) if width >= edge), ""
        )
        self.update_classes({name: name == chosen for _, name in breakpoints}, animate=False)

    def _theme_changed(self) -> None:
        self._palette = None
        for lines in self.query(NoteLines):
            lines.clear_cache()
        self.refresh_view()

    def refresh_view(self) -> None:
        """Redraw from the circle's state."""

    def on_circle_changed(self, message: CircleChanged) -> None:
        change = message.change
        # Posts and reactions arrive all the time; only these change what is shown here.
        if change.refolded or any(op.type.startswith(SHOWN_OPS) for op in change.applied):
            self.refresh_view()

    def on_screen_resume(self) -> None:
        self.refresh_view()

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen.of(self))
