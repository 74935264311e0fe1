"""Times as a person reads them in a chat: "now", "5m", "3h", "Tue", "12 Mar"; in
Indonesian "baru", "5 mnt", "3 j", "Rab", "12 Des" (day and month names from Babel's CLDR
data, in the language in force: ``i18n``).

The ``time_format`` setting (``set_format``) turns relative times into clock times:
"24h" gives "14:05", "Tue 14:05", "12 Mar 14:05" ("Rab 19.00" in Indonesian); "12h" the
same with "2:05pm".

The setting is each app's: one ssh-serve worker runs many players' apps in one process,
so the format is looked up for the app whose widget is drawing (Textual's active app).
"""

from datetime import datetime
from weakref import WeakKeyDictionary

from babel.dates import format_datetime

from ..i18n import _, current
from .compat import drawing_app

FORMATS = ("relative", "24h", "12h")
_formats: "WeakKeyDictionary[object, str]" = WeakKeyDictionary()


def set_format(app: object, name: str) -> None:
    _formats[app] = name if name in FORMATS else "relative"


def _format() -> str:
    app = drawing_app()
    return _formats.get(app, "relative") if app is not None else "relative"


def _time(moment: datetime) -> str:
    twelve = _format() == "12h"
    language = current()
    if language.code == "en":  # the compact English forms: "14:05", "2:05pm"
        if twelve:
            hour = moment.hour % 12 or 12
            return f"{hour}:{moment.minute:02d}{'am' if moment.hour < 12 else 'pm'}"
        return moment.strftime("%H:%M")
    return language.clock(moment, twelve_hour=twelve)


# English's names, as CLDR gives them: reading a locale's CLDR data is Babel's first
# date's work (~25 ms of a cold start, before the first list with a date is drawn).
ENGLISH_WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
ENGLISH_MONTHS = [
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
]


def _weekday(moment: datetime) -> str:
    language = current()
    if language.code == "en":
        return ENGLISH_WEEKDAYS[moment.weekday()]
    return language.weekday(moment)


def _day_month(moment: datetime) -> str:
    # Day first in every language the app speaks ("12 Mar", "12 Des").
    language = current()
    if language.code == "en":
        return f"{moment.day} {ENGLISH_MONTHS[moment.month - 1]}"
    return format_datetime(moment, "d MMM", locale=language.locale)


def relative(ms: int, now_ms: int) -> str:
    if _format() != "relative":
        return absolute(ms, now_ms)
    seconds = max(0, (now_ms - ms) // 1000)
    if seconds < 60:
        return _("now")
    if seconds < 3600:
        return _("{minutes}m").format(minutes=seconds // 60)
    if seconds < 86_400:
        return _("{hours}h").format(hours=seconds // 3600)
    moment = datetime.fromtimestamp(ms / 1000)
    if seconds < 6 * 86_400:
        return _weekday(moment)
    return _day_month(moment)


def absolute(ms: int, now_ms: int) -> str:
    """A clock time, with the weekday within six days and the date before that."""
    moment, now = datetime.fromtimestamp(ms / 1000), datetime.fromtimestamp(now_ms / 1000)
    if moment.date() == now.date():
        return _time(moment)
    if 0 <= (now_ms - ms) < 6 * 86_400_000:
        return f"{_weekday(moment)} {_time(moment)}"
    return f"{_day_month(moment)} {_time(moment)}"


def clock(ms: int) -> str:
    return _time(datetime.fromtimestamp(ms / 1000))


def time_of_day(hh_mm: str) -> str:
    """A schedule's "19:00" (a session's time in its own zone) as the member's clock
    writes it: "19.00" in Indonesian, "7:00pm" with the 12-hour setting."""
    hour, minute = (int(part) for part in hh_mm.split(":"))
    return _time(datetime(2000, 1, 1, hour, minute))
