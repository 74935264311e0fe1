"""The circle's channels, each with its unread count."""

from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from ...core.state import CircleState


class ChannelList(OptionList):
    """One line per channel: ``# name`` and the number of unread posts in it."""

    def show(self, state: CircleState, me: str, current: str | None) -> None:
        options = []
        for channel_id in state.channel_order:
            channel = state.channels[channel_id]
            if channel.archived:
                continue
            unread = state.unread_in_channel(me, channel_id)
            label = Text.assemble(("# ", "dim"), (channel.name, "bold" if unread else ""))
            if unread:
                label.append(f"  {unread}", style="bold")
            options.append(Option(label, id=channel_id))
        highlighted = self.highlighted
        self.set_options(options)
        ids = [option.id for option in options]
        if current in ids:
            self.highlighted = ids.index(current)
        elif options:
            self.highlighted = min(highlighted or 0, len(options) - 1)
