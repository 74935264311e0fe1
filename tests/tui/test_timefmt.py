"""Times in a chat, in the member's language: English keeps its compact forms, other
languages take day and month names and clock style from Babel's CLDR data."""

from datetime import datetime

from studycircle_tui import i18n
from studycircle_tui.tui.timefmt import absolute, relative

MINUTE = 60_000
# A Wednesday evening, 19:00 local time (the tests run in UTC).
WEDNESDAY = int(datetime(2026, 12, 2, 19, 0).timestamp() * 1000)


def test_english_times():
    with i18n.speaking("en"):
        assert relative(WEDNESDAY, WEDNESDAY + 20_000) == "now"
        assert relative(WEDNESDAY, WEDNESDAY + 5 * MINUTE) == "5m"
        assert relative(WEDNESDAY, WEDNESDAY + 180 * MINUTE) == "3h"
        assert relative(WEDNESDAY, WEDNESDAY + 2 * 1440 * MINUTE) == "Wed"
        assert relative(WEDNESDAY, WEDNESDAY + 9 * 1440 * MINUTE) == "2 Dec"
        assert absolute(WEDNESDAY, WEDNESDAY + 1440 * MINUTE) == "Wed 19:00"


def test_indonesian_times():
    with i18n.speaking("id"):
        assert relative(WEDNESDAY, WEDNESDAY + 20_000) == "baru"
        assert relative(WEDNESDAY, WEDNESDAY + 5 * MINUTE) == "5 mnt"
        assert relative(WEDNESDAY, WEDNESDAY + 180 * MINUTE) == "3 j"
        assert relative(WEDNESDAY, WEDNESDAY + 2 * 1440 * MINUTE) == "Rab"
        assert relative(WEDNESDAY, WEDNESDAY + 9 * 1440 * MINUTE) == "2 Des"
        assert absolute(WEDNESDAY, WEDNESDAY + 1440 * MINUTE) == "Rab 19.00"
        assert absolute(WEDNESDAY, WEDNESDAY + 30 * 1440 * MINUTE) == "2 Des 19.00"
