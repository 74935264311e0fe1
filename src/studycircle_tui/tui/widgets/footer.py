"""The footer: key hints in the session's language, and without Textual 8.2.8's leak.

The bindings' descriptions and tooltips are the key table's English, marked for
translation (actions.py makes them once, at import, for every session); each key shown
is translated here, when the footer is composed, in the language of this app's session.

Each rebuild of ``Footer`` (on every focus change, and whenever the offered actions
change) makes new ``FooterKey``s that ``data_bind`` to the footer's ``compact``; the
footer keeps those watchers until ``compact`` itself changes, which in this app it never
does, so every key ever shown stays in memory (measured: ~1 MB for every few thread
opens). After each rebuild the watchers of keys no longer on screen are dropped.
"""

from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from ...i18n import N_, message
from ..compat import drop_watchers_on_detached

# Textual's own key descriptions that can reach a footer (its command palette key,
# an open Select's escape, …), for the catalog: the footer translates them as ours.
TEXTUAL_KEYS = (N_("palette"), N_("Dismiss menu"), N_("Exit the command palette"), N_("Open link"))


class AppFooter(Footer):
    def compose(self) -> ComposeResult:
        for widget in super().compose():
            if isinstance(widget, FooterKey):
                widget.description = message(widget.description)
                if isinstance(widget.tooltip, str):
                    widget.tooltip = message(widget.tooltip)
            yield widget

    async def recompose(self) -> None:
        await super().recompose()
        drop_watchers_on_detached(self)
