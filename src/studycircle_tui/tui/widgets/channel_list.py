"""The circle's channels, each with its number (the key that opens it), unread count and
goal line, and below them the circle-wide views: the open questions and the posts that
@mention you."""

from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from ...core.discussion import channels_in_order
from ...core.state import CircleState
from ..visible import visible_line
from .post_render import Palette

UNANSWERED = "view:unanswered"
MENTIONS = "view:mentions"
JUMP_KEYS = 9  # the first nine channels open with their number (1-9)


class ChannelList(OptionList):
    def show(
        self,
        state: CircleState,
        me: str,
        current: str | None,
        palette: Palette,
        open_questions: int,
        mentions_unread: int,
        only: str | None = None,
    ) -> None:
        """``only``: focus mode shows just that channel."""
        options: list[Option | None] = []
        for number, channel_id in enumerate(channels_in_order(state), 1):
            if only is not None and channel_id != only:
                continue
            channel = state.channels[channel_id]
            unread = state.unread_in_channel(me, channel_id)
            label = Text.assemble(
                (f"{number} " if number <= JUMP_KEYS else "  ", palette.accent),  # its key
                ("# ", palette.muted),
                (visible_line(channel.name), "bold" if unread else ""),
            )
            if unread:
                label.append(f"  {unread}", style=palette.unread)
            if channel.goal:
                label.append(f"\n    {visible_line(channel.goal)}", style=palette.muted)
            options.append(Option(label, id=channel_id))
        options.append(None)  # a separator
        label = Text.assemble(("? ", palette.unread), "Unanswered")
        if open_questions:
            label.append(f"  {open_questions}", style=palette.muted)
        options.append(Option(label, id=UNANSWERED))
        label = Text.assemble(("@ ", palette.accent), "Mentions")
        if mentions_unread:
            label.append(f"  {mentions_unread} new", style=palette.unread)
        options.append(Option(label, id=MENTIONS))
        ids = [option.id for option in options if option is not None]
        if ids == [option.id for option in self.options]:
            # Same channels: replace the prompts in place, keeping scroll and highlight.
            for option in options:
                if option is not None and option.id is not None:
                    self.replace_option_prompt(option.id, option.prompt)
        else:
            self.set_options(options)
        if current in ids:
            self.highlighted = ids.index(current)
        elif self.highlighted is None and options:
            self.highlighted = 0
