"""Times as a person reads them in a chat: "now", "5m", "3h", "Tue", "12 Mar".

The ``time_format`` setting (``set_format``) turns relative times into clock times:
"24h" gives "14:05", "Tue 14:05", "12 Mar 14:05"; "12h" the same with "2:05pm".

The setting is each app's: one ssh-serve worker runs many players' apps in one process,
so the format is looked up for the app whose widget is drawing (Textual's active app).
"""

from datetime import datetime
from weakref import WeakKeyDictionary

from .compat import drawing_app

FORMATS = ("relative", "24h", "12h")
_formats: "WeakKeyDictionary[object, str]" = WeakKeyDictionary()


def set_format(app: object, name: str) -> None:
    _formats[app] = name if name in FORMATS else "relative"


def _format() -> str:
    app = drawing_app()
    return _formats.get(app, "relative") if app is not None else "relative"


def _time(moment: datetime) -> str:
    if _format() == "12h":
        return f"{moment.hour % 12 or 12}:{moment.minute:02d}{'am' if moment.hour < 12 else 'pm'}"
    return moment.strftime("%H:%M")


def relative(ms: int, now_ms: int) -> str:
    if _format() != "relative":
        return absolute(ms, now_ms)
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


def absolute(ms: int, now_ms: int) -> str:
    """A clock time, with the weekday within six days and the date before that."""
    moment, now = datetime.fromtimestamp(ms / 1000), datetime.fromtimestamp(now_ms / 1000)
    if moment.date() == now.date():
        return _time(moment)
    if 0 <= (now_ms - ms) < 6 * 86_400_000:
        return f"{moment.strftime('%a')} {_time(moment)}"
    return f"{moment.day} {moment.strftime('%b')} {_time(moment)}"


def clock(ms: int) -> str:
    return _time(datetime.fromtimestamp(ms / 1000))
