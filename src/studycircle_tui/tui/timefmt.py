"""Times as a person reads them in a chat: "now", "5m", "3h", "Tue", "12 Mar"."""

from datetime import datetime


def relative(ms: int, now_ms: int) -> str:
    seconds = max(0, (now_ms - ms) // 1000)
    if seconds < 60:
        return "now"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86_400:
        return f"{seconds // 3600}h"
    moment = datetime.fromtimestamp(ms / 1000)
    if seconds < 6 * 86_400:
        return moment.strftime("%a")
    return f"{moment.day} {moment.strftime('%b')}"


def clock(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000).strftime("%H:%M")
