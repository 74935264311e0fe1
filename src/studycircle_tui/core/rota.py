"""The moderator rota: the moderator role handed around volunteers by date.

Whose turn it is follows from the rota and a moment in time alone, so the hand-over
happens without anyone acting on the day, and every replica agrees on it: the date is
taken in the rota's own time zone (the circle's), never the reader's. Time-zone rules
come from the standard tz database (zoneinfo): fixed data, the same on every machine.
"""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .state import Rota


def valid_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def local_date(ms: int, zone: str) -> date:
    return datetime.fromtimestamp(ms / 1000, ZoneInfo(zone)).date()


def turn_index(rota: Rota, ms: int) -> int | None:
    """Which volunteer's turn it is at ``ms``, or None before the rota starts."""
    if not rota.volunteers:
        return None
    days = (local_date(ms, rota.tz) - date.fromisoformat(rota.start)).days
    if days < 0:
        return None
    return (days // rota.period_days) % len(rota.volunteers)


def moderator_at(rota: Rota | None, ms: int) -> str | None:
    """The member who holds the rota's moderator turn at ``ms``."""
    if rota is None:
        return None
    index = turn_index(rota, ms)
    return None if index is None else rota.volunteers[index]


def turns(rota: Rota, from_ms: int, count: int) -> list[tuple[date, str]]:
    """The next ``count`` hand-overs from ``from_ms``: (first day of the turn, volunteer)."""
    start = date.fromisoformat(rota.start)
    today = local_date(from_ms, rota.tz)
    elapsed = max(0, (today - start).days // rota.period_days)
    result = []
    for step in range(elapsed, elapsed + count):
        first_day = start + timedelta(days=step * rota.period_days)
        result.append((first_day, rota.volunteers[step % len(rota.volunteers)]))
    return result
