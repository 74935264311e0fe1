"""The footer, without Textual 8.2.8's leak.

Each rebuild of ``Footer`` (on every focus change, and whenever the offered actions
change) makes new ``FooterKey``s that ``data_bind`` to the footer's ``compact``; the
footer keeps those watchers until ``compact`` itself changes, which in this app it never
does, so every key ever shown stays in memory (measured: ~1 MB for every few thread
opens). After each rebuild the watchers of keys no longer on screen are dropped.

And each key of a compact footer mounts already compact: Textual gives it the class as
it mounts, which restyled it there, key by key (~30 ms of opening the notes pane).
"""

from textual.app import ComposeResult
from textual.widgets import Footer

from ..compat import drop_watchers_on_detached, is_footer_key


class AppFooter(Footer):
    def compose(self) -> ComposeResult:
        for widget in super().compose():
            if self.compact and is_footer_key(widget):
                widget.add_class("-compact", update=False)  # what it would be given
            yield widget

    async def recompose(self) -> None:
        await super().recompose()
        drop_watchers_on_detached(self)
