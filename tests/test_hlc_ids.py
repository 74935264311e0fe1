"""Clock and ids: the two things every op's place in a file circle's order rests on."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from studycircle_tui.core import hlc, ids
from studycircle_tui.core.hlc import Clock

MAX_MS = 2**48 - 1
wall_ms = st.integers(min_value=0, max_value=2**45)
stamps = st.builds(
    hlc.encode, st.integers(min_value=0, max_value=2**45), st.integers(0, hlc._MAX_COUNTER)
)
# --- the end of the range ----------------------------------------------------------------
# A stamp is 16 hex digits. A hostile or broken writer can put the largest one in a file;
# whatever the clock observes and whatever the wall clock says, the clock never issues a
# stamp that does not fit (it once overflowed to 17 digits and the op no longer decoded).
LAST = hlc.encode(hlc.MAX_MS, hlc._MAX_COUNTER)
any_stamp = st.builds(hlc.encode, st.integers(0, hlc.MAX_MS), st.integers(0, hlc._MAX_COUNTER))
near_the_end = st.builds(
    hlc.encode, st.integers(hlc.MAX_MS - 3, hlc.MAX_MS), st.integers(0, hlc._MAX_COUNTER)
)
any_wall = st.integers(min_value=-(2**40), max_value=2**60)  # before 1970 to far past 10889

# A clock's life: ticks at wall times that jump about (NTP corrections, a laptop lid,
# a wrong time zone fixed by hand, a clock set to nonsense) and stamps observed on
# incoming ops, everyday ones and ones at the very end of the range.
events = st.lists(
    st.one_of(
        st.tuples(st.just("tick"), st.one_of(wall_ms, any_wall)),
        st.tuples(st.just("observe"), st.one_of(stamps, any_stamp, near_the_end, st.just(LAST))),
    ),
    max_size=60,
)


@given(events)
def test_stamps_only_go_forward_and_always_fit_whatever_the_wall_clock_does(history):
    clock = Clock()
    latest = ""  # the greatest stamp issued or seen so far
    for kind, value in history:
        if kind == "observe":
            clock.observe(value)
            latest = max(latest, value)
            continue
        stamp = clock.tick(value)
        assert re.search(hlc.HLC_PATTERN, stamp), stamp
        # Strictly after everything before it: a reply sorts after what it answers
        # (at the very last stamp, the same again: see core/hlc.py).
        assert stamp > latest or stamp == latest == LAST
        # ...and never behind the wall clock, so stamps stay close to real time.
        assert hlc.physical_ms(stamp) >= min(max(value, 0), hlc.MAX_MS)
        latest = stamp


@given(st.lists(wall_ms, min_size=1, max_size=50))
def test_a_clock_that_goes_backwards_keeps_the_last_time_and_counts(walls):
    clock = Clock()
    stamps_issued = [clock.tick(ms) for ms in walls]
    assert stamps_issued == sorted(set(stamps_issued))
    for stamp, seen_max in zip(stamps_issued, _running_max(walls), strict=True):
        ms, _counter = hlc.decode(stamp)
        # The physical part is the greatest wall time so far, unless a full counter
        # pushed it on (impossible in 50 ticks).
        assert ms == seen_max


def _running_max(values):
    best = -1
    for value in values:
        best = max(best, value)
        yield best


def test_backwards_wall_clock_example():
    clock = Clock()
    first = clock.tick(10_000)
    second = clock.tick(9_000)  # the wall clock was set back a second
    third = clock.tick(9_500)
    assert first < second < third
    assert [hlc.decode(s) for s in (first, second, third)] == [
        (10_000, 0),
        (10_000, 1),
        (10_000, 2),
    ]
    assert clock.tick(10_001) == hlc.encode(10_001, 0)  # real time catches up: counter resets


@given(stamps, wall_ms)
def test_observe_moves_past_a_remote_stamp(remote, local_wall):
    clock = Clock()
    clock.tick(local_wall)
    clock.observe(remote)
    # A clock running behind the remote writer still stamps its next op after it.
    assert clock.tick(local_wall) > remote


def test_observe_of_an_older_stamp_changes_nothing():
    clock = Clock()
    clock.tick(5_000)
    clock.observe(hlc.encode(4_000, 7))
    assert clock.tick(5_000) == hlc.encode(5_000, 1)


def test_a_full_counter_carries_into_the_milliseconds():
    clock = Clock(ms=5, counter=hlc._MAX_COUNTER)
    stamp = clock.tick(0)
    assert stamp == hlc.encode(6, 0)
    assert stamp > hlc.encode(5, hlc._MAX_COUNTER)


@given(
    st.tuples(st.integers(0, MAX_MS), st.integers(0, hlc._MAX_COUNTER)),
    st.tuples(st.integers(0, MAX_MS), st.integers(0, hlc._MAX_COUNTER)),
)
def test_string_order_is_stamp_order(a, b):
    left, right = hlc.encode(*a), hlc.encode(*b)
    assert len(left) == len(right) == 16
    assert (left < right) == (a < b)
    assert (left == right) == (a == b)
    assert hlc.decode(left) == a


random80 = st.binary(min_size=10, max_size=10)


@given(st.integers(0, MAX_MS), random80)
def test_ulid_is_26_crockford_characters_carrying_its_time(ms, noise):
    value = ids.ulid(ms, noise)
    assert len(value) == 26
    assert set(value) <= set(ids.ALPHABET)
    assert not set(value) & set("ILOU")  # Crockford leaves out the look-alikes
    assert re.search(ids.ULID_PATTERN, value)
    assert ids.ulid_ms(value) == ms


@given(st.integers(0, MAX_MS), st.integers(0, MAX_MS), random80, random80)
def test_ulids_sort_by_time(ms_a, ms_b, noise_a, noise_b):
    a, b = ids.ulid(ms_a, noise_a), ids.ulid(ms_b, noise_b)
    if ms_a < ms_b:
        assert a < b
    elif ms_a > ms_b:
        assert a > b
    else:
        # The same millisecond: the random part decides, as bytes compare.
        assert (a < b) == (noise_a < noise_b)


def test_ulid_known_value():
    # The spec's shape: the first 10 characters are the time, the last 16 the randomness.
    value = ids.ulid(1_469_918_176_385, bytes(10))
    assert value == "01ARYZ6S41" + "0" * 16
    assert ids.ulid(0, b"\xff" * 10) == "0" * 10 + "Z" * 16


def test_ulid_needs_ten_random_bytes():
    with pytest.raises(ValueError, match="10 random bytes"):
        ids.ulid(0, bytes(9))


def test_at_the_last_stamp_the_clock_issues_it_again():
    clock = Clock()
    clock.observe(LAST)
    assert clock.tick(1_800_000_000_000) == LAST
    assert clock.tick(2**62) == LAST
    clock = Clock(ms=hlc.MAX_MS, counter=hlc._MAX_COUNTER - 1)
    assert clock.tick(0) == LAST


def test_a_day_ahead_is_the_limit():
    now = 1_800_000_000_000
    assert not hlc.too_far_ahead(hlc.encode(now + hlc.FUTURE_SLACK_MS, 99), now)
    assert hlc.too_far_ahead(hlc.encode(now + hlc.FUTURE_SLACK_MS + 1, 0), now)
    assert hlc.describe_ahead(hlc.encode(now + 3 * 86_400_000 + 5, 0), now) == "3 days"
    assert hlc.describe_ahead(LAST, now) == "8,868 years"


@given(any_stamp, st.integers(0, hlc.MAX_MS))
def test_the_horizon_is_a_day_ahead_of_the_wall_clock_for_every_stamp(stamp, now):
    # The replica compares strings against the horizon; that is the day's rule exactly.
    assert hlc.too_far_ahead(stamp, now) == (hlc.physical_ms(stamp) > now + hlc.FUTURE_SLACK_MS)
