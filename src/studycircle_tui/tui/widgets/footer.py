"""The footer, without Textual 8.2.8's leak, and with each key styled once.

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
"""

from textual.app import ComposeResult
from textual.widgets import Footer

from ..compat import drop_watchers_on_detached, is_footer_key


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
