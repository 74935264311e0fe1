"""The threads of the current channel, the most recently active first."""

from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from ...core.state import CircleState, Thread
from ..timefmt import relative


def thread_markers(thread: Thread) -> Text:
    """Kind and trust at a glance: ? open question, ✓ accepted, ✔ verified."""
    if thread.kind != "question":
        return Text("💬 ", style="dim")
    if thread.verified_posts:
        return Text("✔ ", style="bold cyan")
    if thread.accepted_post:
        return Text("✓ ", style="bold green")
    return Text("? ", style="bold yellow")


class ThreadList(OptionList):
    def show(
        self, state: CircleState, channel_id: str | None, me: str, current: str | None, now_ms: int
    ) -> None:
        if channel_id is None or channel_id not in state.channels:
            self.clear_options()
            return
        threads = [state.threads[tid] for tid in state.channels[channel_id].thread_ids]
        threads.sort(key=lambda thread: thread.last_activity_ms, reverse=True)
        options = []
        for thread in threads:
            unread = state.unread_in_thread(me, thread.id)
            label = thread_markers(thread)
            label.append(thread.title, style="bold" if unread else "")
            details = f"\n   {thread.reply_count} repl{'y' if thread.reply_count == 1 else 'ies'}"
            details += f" · {relative(thread.last_activity_ms, now_ms)}"
            label.append(details, style="dim")
            if unread:
                label.append(f" · {unread} new", style="bold")
            options.append(Option(label, id=thread.id))
        self.set_options(options)
        ids = [option.id for option in options]
        if current in ids:
            self.highlighted = ids.index(current)
        elif options:
            self.highlighted = 0
