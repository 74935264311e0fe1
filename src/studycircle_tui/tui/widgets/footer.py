"""The footer: key hints in the session's language, without Textual 8.2.8's leak, and
with each key styled once.

The bindings' descriptions and tooltips are the key table's English, marked for
translation (actions.py makes them once, at import, for every session); each key shown
is translated here, when the footer is composed, in the language of this app's session.

Each rebuild of ``Footer`` (on every focus change, and whenever the offered actions
change) makes new ``FooterKey``s that ``data_bind`` to the footer's ``compact``; the
footer keeps those watchers until ``compact`` itself changes, which in this app it never
does, so every key ever shown stays in memory (measured: ~1 MB for every few thread
opens). After each rebuild the watchers of keys no longer on screen are dropped.

A key is made without the ``-compact`` class and its ``compact`` watcher adds it once the
key is mounted, which restyles that key on its own (about 40 restyles before the app's
first frame, issue 19). Here each key is made with the class the watcher would give it,
so it is styled once, as it mounts, and looks the same.

And the footer is rebuilt (every key removed, new ones made and mounted) each time the
screen's bindings may have changed: three times before the first frame, most of them to
the same keys. It is rebuilt here only when what it shows would change.

Textual lets the keys run on under the palette key, so a narrow terminal (or a longer
language) read "t New thr▏^p palette". Here the keys that do not fit whole before the
palette key are left out, from the first that does not: what shows is whole, and every
key is still in ``?`` and the palette.
"""

from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets import Footer

from ...i18n import N_, message
from ..compat import drop_watchers_on_detached, is_footer_key

# Textual's own key descriptions that can reach a footer (its command palette key,
# an open Select's escape, …), for the catalog: the footer translates them as ours.
TEXTUAL_KEYS = (N_("palette"), N_("Dismiss menu"), N_("Exit the command palette"), N_("Open link"))


class AppFooter(Footer):
    _shown: tuple | None = None  # what the keys on show were made from

    def _offered(self) -> tuple:
        """All the keys are made from: the screen's bindings as the footer draws them."""
        if not self._bindings_ready:
            return ()
        keys = [
            (b.key, self.app.get_key_display(b), b.description, b.action, b.show, b.group, on, tip)
            for _, b, on, tip in self.screen.active_bindings.values()
        ]
        return (self.compact, self.show_command_palette, *keys)

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            if is_footer_key(widget):
                widget.set_class(self.compact, "-compact", update=False)
                widget.description = message(widget.description)
                if isinstance(widget.tooltip, str):
                    widget.tooltip = message(widget.tooltip)
            yield widget

    async def recompose(self) -> None:
        if not self.is_attached:
            return
        offered = self._offered()
        if offered == self._shown:
            return
        self._shown = offered
        await super().recompose()
        drop_watchers_on_detached(self)
        self._fit()

    def on_resize(self) -> None:
        self._fit()

    def _fit(self) -> None:
        """Show the keys, in order, while they fit whole beside the palette key."""
        palette = [child for child in self.children if child.has_class("-command-palette")]
        room = self.size.width - sum(map(self._cells, palette))
        fits = True
        for key in [child for child in self.children if child not in palette]:
            room -= self._cells(key)
            fits = fits and room >= 0
            key.display = fits

    def _cells(self, widget: Widget) -> int:
        """The cells a key takes, shown or not (a hidden key has no region to read)."""
        styles = widget.styles
        text = widget.get_content_width(self.size, self.app.size)
        return text + styles.gutter.width + styles.margin.width
