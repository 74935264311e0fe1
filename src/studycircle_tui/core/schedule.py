"""Recurring sessions: when the next one starts, whether one is on, and iCalendar export.

A session is weekly at a wall-clock time in its own time zone (19:00 in Jakarta stays
19:00 in Jakarta across daylight-saving changes elsewhere); the app shows the resulting
instant in each member's local time.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .ops import Session

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@dataclass(frozen=True, slots=True)
class Occurrence:
    session: Session
    start_ms: int
    end_ms: int


def _at(session: Session, day: date) -> datetime:
    hour, minute = (int(part) for part in session.time.split(":"))
    return datetime.combine(day, time(hour, minute), ZoneInfo(session.tz))


def occurrence_around(session: Session, now_ms: int) -> Occurrence:
    """The occurrence running at ``now_ms`` if there is one, else the next to start."""
    zone = ZoneInfo(session.tz)
    today = datetime.fromtimestamp(now_ms / 1000, zone).date()
    # Start a week back so an occurrence that began yesterday and still runs is found.
    day = today - timedelta(days=7 + (today.weekday() - session.weekday) % 7)
    while True:
        start = _at(session, day)
        start_ms = int(start.timestamp() * 1000)
        end_ms = start_ms + session.minutes * 60_000
        if end_ms > now_ms:
            return Occurrence(session, start_ms, end_ms)
        day += timedelta(days=7)


def next_occurrence(sessions: list[Session], now_ms: int) -> Occurrence | None:
    """The soonest occurrence (running or upcoming) across all sessions."""
    found = [occurrence_around(session, now_ms) for session in sessions]
    return min(found, key=lambda occurrence: occurrence.start_ms, default=None)


def is_running(occurrence: Occurrence, now_ms: int) -> bool:
    return occurrence.start_ms <= now_ms < occurrence.end_ms


def to_ics(circle_name: str, circle_id: str, sessions: list[Session], stamp_ms: int) -> bytes:
    """The schedule as an iCalendar file: one weekly recurring event per session."""
    import icalendar  # here, not at the top: loading it costs ~30 ms, for an export

    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//studycircle-tui//schedule//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", circle_name)
    stamp = datetime.fromtimestamp(stamp_ms / 1000, ZoneInfo("UTC"))
    for index, session in enumerate(sessions):
        first = occurrence_around(session, stamp_ms)
        start = datetime.fromtimestamp(first.start_ms / 1000, ZoneInfo(session.tz))
        event = icalendar.Event()
        event.add("uid", f"{circle_id}-{index}@studycircle")
        event.add("summary", f"{circle_name}: {session.title}")
        event.add("dtstamp", stamp)
        event.add("dtstart", start)
        event.add("duration", timedelta(minutes=session.minutes))
        event.add("rrule", {"freq": "weekly", "byday": WEEKDAYS[session.weekday]})
        calendar.add_component(event)
    calendar.add_missing_timezones()  # a VTIMEZONE for each TZID, as RFC 5545 asks
    ical: bytes = calendar.to_ical()
    return ical
