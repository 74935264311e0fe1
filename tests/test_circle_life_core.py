"""Circle life in the core: the moderator rota, participation figures, the schedule."""

from datetime import UTC, datetime

import icalendar
import pytest

from circles import Circle, ms
from studycircle_tui.core import reducer
from studycircle_tui.core.ops import Session
from studycircle_tui.core.participation import DAY_MS, report, visible_to
from studycircle_tui.core.schedule import next_occurrence, to_ics

# --- the rota ----------------------------------------------------------------------------


def test_rota_hands_over_at_midnight_in_the_circles_zone_without_anyone_acting():
    circle = Circle()
    ayu, budi = circle.member("Ayu"), circle.member("Budi")
    channel = circle.do(circle.lead, "channel.create", name="general").id
    thread = circle.do(
        budi, "thread.create", channel=channel, title="q", kind="question", text="?"
    ).id
    answer = circle.do(circle.lead, "post.create", thread=thread, text="a").id
    # Weekly from Monday 2 November, in Jakarta (UTC+7): Ayu's week, then Budi's.
    circle.do(
        circle.lead,
        "moderator.rota",
        volunteers=[ayu, budi],
        start="2026-11-02",
        tz="Asia/Jakarta",
    )
    # Sunday 8 Nov 16:59 UTC is 23:59 in Jakarta: still Ayu's turn, Budi may not hide.
    circle.at("2026-11-08T16:59:00+00:00").do(budi, "post.hide", post=answer)
    assert not circle.state.posts[answer].hidden
    circle.do(ayu, "post.hide", post=answer)
    assert circle.state.posts[answer].hidden
    # One minute later it is Monday in Jakarta: Budi's turn, and Ayu's is over.
    circle.at("2026-11-08T17:00:00+00:00").do(budi, "post.hide", post=answer, hidden=False)
    assert not circle.state.posts[answer].hidden
    circle.do(ayu, "post.hide", post=answer)
    assert not circle.state.posts[answer].hidden


@pytest.mark.parametrize("zone", ["Asia/Jakarta", "America/Los_Angeles", "UTC"])
def test_every_replica_agrees_on_the_hand_over_whatever_its_own_zone(zone, monkeypatch):
    # The reader's TZ must not matter: the rota's own zone decides.
    monkeypatch.setenv("TZ", zone)
    circle = Circle()
    ayu, budi = circle.member("Ayu"), circle.member("Budi")
    circle.do(
        circle.lead,
        "moderator.rota",
        volunteers=[ayu, budi],
        start="2026-11-02",
        period_days=7,
        tz="Europe/Amsterdam",
    )
    # (In time order: an HLC never runs backwards, so an op's time is its stamp's.)
    circle.at("2026-11-08T23:30:00+01:00").do(budi, "channel.create", name="too-early")
    circle.at("2026-11-09T00:30:00+01:00").do(budi, "channel.create", name="budi-week")
    names = {c.name for c in reducer.fold(circle.replica.circle_id, circle.ops).channels.values()}
    assert "budi-week" in names and "too-early" not in names


def test_only_the_lead_sets_the_rota_and_zones_are_checked():
    circle = Circle()
    ayu = circle.member("Ayu")
    circle.do(circle.lead, "member.role", member=ayu, role="moderator")
    circle.do(ayu, "moderator.rota", volunteers=[ayu], start="2026-11-02")
    assert circle.state.rota is None  # a moderator cannot
    circle.do(circle.lead, "moderator.rota", volunteers=[ayu], start="2026-11-02", tz="Mars/Base")
    assert circle.state.rota is None  # no such zone
    circle.do(circle.lead, "moderator.rota", volunteers=[ayu], start="2026-11-02", tz="UTC")
    assert circle.state.rota is not None


# --- participation -----------------------------------------------------------------------


def test_participation_matches_a_hand_computed_table():
    circle = Circle("2026-11-01T08:00:00+00:00")
    ayu, budi, sam, _dewi = (circle.member(n) for n in ("Ayu", "Budi", "Sam", "Dewi"))
    channel = circle.do(circle.lead, "channel.create", name="general").id
    # Old activity, 20 days before "now": inside 30 days, outside 7.
    circle.at("2026-11-08T10:00:00+00:00")
    old_q = circle.do(
        sam, "thread.create", channel=channel, title="old", kind="question", text="?"
    ).id
    circle.do(ayu, "post.create", thread=old_q, text="answer 1")
    # Recent activity, within the last 7 days.
    circle.at("2026-11-25T10:00:00+00:00")
    q = circle.do(budi, "thread.create", channel=channel, title="new", kind="question", text="?").id
    good = circle.do(ayu, "post.create", thread=q, text="answer 2").id
    circle.do(sam, "post.create", thread=q, text="answer 3")
    circle.do(budi, "answer.accept", post=good)
    circle.do(circle.lead, "answer.verify", post=good)
    talk = circle.do(
        sam, "thread.create", channel=channel, title="talk", kind="discussion", text="hi"
    ).id
    circle.do(ayu, "post.create", thread=talk, text="hello")
    note = circle.do(ayu, "note.create", title="n", text="one").id
    circle.do(sam, "note.revise", note=note, base=note, text="one\ntwo")
    quiz = circle.do(
        circle.lead,
        "quiz.create",
        title="q",
        questions=[{"kind": "true_false", "text": "t", "choices": ["T", "F"]}],
        keys=[{"choices": [0]}],
    ).id
    circle.do(budi, "quiz.result", quiz=quiz, score=1, max_score=1)
    circle.do(budi, "quiz.result", quiz=quiz, score=0, max_score=1)
    now = ms("2026-11-28T12:00:00+00:00")

    week = report(circle.state, now, 7)
    table = {
        a.name: (a.posts, a.answers, a.accepted, a.verified, a.quizzes, a.notes_edited)
        for a in week.members
    }
    #                posts answers accepted verified quizzes notes
    assert table == {
        "Ayu": (2, 1, 1, 1, 0, 1),
        "Budi": (1, 0, 0, 0, 2, 0),
        "Sam": (2, 1, 0, 0, 0, 1),
        "Dewi": (0, 0, 0, 0, 0, 0),
        "Lead": (0, 0, 0, 0, 0, 0),
    }
    assert week.readers_only == 2  # Dewi and the lead wrote nothing this week
    assert (week.totals.posts, week.totals.answers, week.totals.quizzes) == (5, 2, 2)

    month = report(circle.state, now, 30, unanswered_days=3)
    month_table = {a.name: (a.posts, a.answers) for a in month.members}
    assert month_table["Ayu"] == (3, 2) and month_table["Sam"] == (3, 1)
    assert [t.title for t in month.unanswered] == ["old"]  # "new" has an accepted answer
    assert [t.title for t in month.waiting_long] == ["old"]
    assert "1 question waits for an answer" in month.nudges
    assert "2 members have not posted yet — try a quiz" in month.nudges


def test_members_see_only_their_own_line_unless_the_board_is_shared():
    circle = Circle()
    ayu, budi = circle.member("Ayu"), circle.member("Budi")
    now = circle.clock + DAY_MS
    full = report(circle.state, now, 7)
    mine = visible_to(full, circle.state, ayu)
    assert [a.name for a in mine.members] == ["Ayu"] and mine.nudges == []
    assert len(visible_to(full, circle.state, circle.lead).members) == 3
    circle.do(budi, "circle.update", shared_board=True)  # a member cannot turn it on
    assert not circle.state.shared_board
    circle.do(circle.lead, "circle.update", shared_board=True)
    assert len(visible_to(full, circle.state, ayu).members) == 3


# --- schedule ----------------------------------------------------------------------------


def test_next_session_is_found_in_its_own_zone():
    wednesday_jakarta = Session(title="Book", weekday=2, time="19:00", tz="Asia/Jakarta")
    now = ms("2026-11-28T12:00:00+00:00")  # a Saturday
    upcoming = next_occurrence([wednesday_jakarta], now)
    assert datetime.fromtimestamp(upcoming.start_ms / 1000, UTC) == datetime(
        2026, 12, 2, 12, 0, tzinfo=UTC
    )
    during = next_occurrence([wednesday_jakarta], ms("2026-12-02T12:30:00+00:00"))
    assert during.start_ms == upcoming.start_ms  # a running session is still "the next"


def test_schedule_exports_as_ical_that_a_standard_parser_reads():
    sessions = [
        Session(title="Book discussion", weekday=2, time="19:00", tz="Asia/Jakarta", minutes=90),
        Session(title="Quiz night", weekday=4, time="20:30", tz="Europe/Amsterdam"),
    ]
    data = to_ics("Klub Buku", "C1", sessions, ms("2026-11-28T12:00:00+00:00"))
    calendar = icalendar.Calendar.from_ical(data)
    events = list(calendar.walk("VEVENT"))
    assert [str(e["summary"]) for e in events] == [
        "Klub Buku: Book discussion",
        "Klub Buku: Quiz night",
    ]
    first = events[0]
    assert first["rrule"]["FREQ"] == ["WEEKLY"] and first["rrule"]["BYDAY"] == ["WE"]
    start = first.decoded("dtstart")
    assert (start.hour, start.minute, str(start.tzinfo)) == (19, 0, "Asia/Jakarta")
    assert first.decoded("duration").total_seconds() == 90 * 60
    assert {str(tz["tzid"]) for tz in calendar.walk("VTIMEZONE")} == {
        "Asia/Jakarta",
        "Europe/Amsterdam",
    }
