"""Times in a chat, in the member's language: English keeps its compact forms, other
languages take day and month names and clock style from Babel's CLDR data."""

from datetime import datetime

import pytest
from babel.dates import format_datetime

from studycircle_tui import i18n
from studycircle_tui.tui.timefmt import absolute, relative, time_of_day

MINUTE = 60_000
DAY = 1440 * MINUTE
# A Wednesday evening, 19:00 local time (the tests run in UTC).
WEDNESDAY = int(datetime(2026, 12, 2, 19, 0).timestamp() * 1000)
# (how long after, relative or absolute): what each language says.
SAID = {
    (20_000, relative): {"en": "now", "id": "baru saja"},
    (5 * MINUTE, relative): {"en": "5m", "id": "5 mnt"},
    (180 * MINUTE, relative): {"en": "3h", "id": "3 j"},
    (2 * DAY, relative): {"en": "Wed", "id": "Rab"},
    (9 * DAY, relative): {"en": "2 Dec", "id": "2 Des"},
    (DAY, absolute): {"en": "Wed 19:00", "id": "Rab 19.00"},
    (30 * DAY, absolute): {"en": "2 Dec 19:00", "id": "2 Des 19.00"},
}


@pytest.mark.parametrize("code", ["en", "id"])
def test_times_in_each_language(code):
    with i18n.speaking(code):
        said = {when: shown(WEDNESDAY, WEDNESDAY + when) for when, shown in SAID}
    assert said == {when: words[code] for (when, _shown), words in SAID.items()}


@pytest.mark.parametrize(("code", "said"), [("en", "19:00"), ("id", "19.00")])
def test_a_sessions_time_is_written_as_the_members_clock_writes_it(code, said):
    # The schedule keeps "19:00" as the lead typed it; the screen shows it in the
    # member's language, beside Babel's "Rab 09 Des 19.00".
    with i18n.speaking(code):
        assert time_of_day("19:00") == said


def test_english_days_and_months_are_named_as_cldr_names_them():
    """timefmt names English days and months itself (Babel's first read of a locale's
    data is most of a cold start's first date): as Babel would."""
    english = i18n.language("en")
    # 1 to 7 June 2026 (Monday to Sunday), then the 12th of every month.
    moments = [datetime(2026, 6, day, 12) for day in range(1, 8)]
    moments += [datetime(2026, month, 12, 12) for month in range(1, 13)]
    for moment, later in [(m, 2 * DAY) for m in moments[:7]] + [(m, 9 * DAY) for m in moments[7:]]:
        ms = int(moment.timestamp() * 1000)
        with i18n.speaking("en"):
            said = relative(ms, ms + later)
        pattern = "EEE" if later < 6 * DAY else "d MMM"
        assert said == format_datetime(moment, pattern, locale=english.locale)
