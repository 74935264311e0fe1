"""The footer, without Textual 8.2.8's leak.

Each rebuild of ``Footer`` (on every focus change, and whenever the offered actions
change) makes new ``FooterKey``s that ``data_bind`` to the footer's ``compact``; the
footer keeps those watchers until ``compact`` itself changes, which in this app it never
does, so every key ever shown stays in memory (measured: ~1 MB for every few thread
opens). After each rebuild the watchers of keys no longer on screen are dropped.
"""

from textual.widgets import Footer

from ..compat import drop_watchers_on_detached


class AppFooter(Footer):
    async def recompose(self) -> None:
        await super().recompose()
        drop_watchers_on_detached(self)
