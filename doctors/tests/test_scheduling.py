"""The pure slot arithmetic: wall-clock rules to UTC across DST, overlap filtering."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from doctors.scheduling import (
    Interval,
    Rule,
    candidate_slots,
    day_bounds_utc,
    first_overlap,
    hhmm_to_minutes,
    is_valid_timezone,
    local_to_utc,
    overlapping_rules,
    without_overlaps_of,
    zone,
)

LONDON = ZoneInfo("Europe/London")
KOLKATA = ZoneInfo("Asia/Kolkata")
UTC = dt.UTC
NINE_TO_NINE_THIRTY = [Rule(weekday, 9 * 60, 9 * 60 + 30) for weekday in range(7)]


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def test_a_0900_london_rule_is_0900_local_on_both_sides_of_the_spring_change():
    # Clocks go forward on Sunday 2027-03-28 (last Sunday of March).
    slots = candidate_slots(
        NINE_TO_NINE_THIRTY, tz=LONDON, slot_minutes=30, first_day=dt.date(2027, 3, 27), days=3
    )

    assert [s.start for s in slots] == [
        utc(2027, 3, 27, 9, 0),  # GMT
        utc(2027, 3, 28, 8, 0),  # BST from 01:00 UTC that day
        utc(2027, 3, 29, 8, 0),
    ]
    assert {s.start.astimezone(LONDON).strftime("%H:%M") for s in slots} == {"09:00"}
    assert all(s.end - s.start == dt.timedelta(minutes=30) for s in slots)


def test_a_0900_london_rule_is_0900_local_on_both_sides_of_the_autumn_change():
    # Clocks go back on Sunday 2027-10-31 (last Sunday of October).
    slots = candidate_slots(
        NINE_TO_NINE_THIRTY, tz=LONDON, slot_minutes=30, first_day=dt.date(2027, 10, 30), days=3
    )

    assert [s.start for s in slots] == [
        utc(2027, 10, 30, 8, 0),  # BST
        utc(2027, 10, 31, 9, 0),  # GMT
        utc(2027, 11, 1, 9, 0),
    ]
    assert {s.start.astimezone(LONDON).strftime("%H:%M") for s in slots} == {"09:00"}


def test_wall_clock_times_skipped_by_the_spring_change_give_no_slot():
    rules = [Rule(6, 0, 3 * 60)]  # Sunday 00:00-03:00

    slots = candidate_slots(
        rules, tz=LONDON, slot_minutes=30, first_day=dt.date(2027, 3, 28), days=1
    )

    local = [s.start.astimezone(LONDON).strftime("%H:%M") for s in slots]
    assert local == ["00:00", "00:30", "02:00", "02:30"]
    assert first_overlap(slots) is None


def test_the_repeated_autumn_hour_is_used_once_without_overlaps():
    rules = [Rule(6, 0, 3 * 60)]  # Sunday 00:00-03:00

    slots = candidate_slots(
        rules, tz=LONDON, slot_minutes=30, first_day=dt.date(2027, 10, 31), days=1
    )

    assert [s.start for s in slots] == [
        utc(2027, 10, 30, 23, 0),
        utc(2027, 10, 30, 23, 30),
        utc(2027, 10, 31, 0, 0),  # 01:00 BST, the first 01:00
        utc(2027, 10, 31, 0, 30),
        utc(2027, 10, 31, 2, 0),  # 02:00 GMT
        utc(2027, 10, 31, 2, 30),
    ]
    assert first_overlap(slots) is None


def test_local_to_utc_is_none_for_a_time_that_does_not_exist():
    assert local_to_utc(dt.date(2027, 3, 28), 60 + 30, LONDON) is None
    assert local_to_utc(dt.date(2027, 3, 28), 2 * 60, LONDON) == utc(2027, 3, 28, 1, 0)


def test_kolkata_has_no_dst_and_a_half_hour_offset():
    slots = candidate_slots(
        NINE_TO_NINE_THIRTY, tz=KOLKATA, slot_minutes=30, first_day=dt.date(2027, 3, 27), days=2
    )

    assert [s.start for s in slots] == [utc(2027, 3, 27, 3, 30), utc(2027, 3, 28, 3, 30)]


def test_a_slot_must_end_inside_its_rule():
    rules = [Rule(0, 9 * 60, 10 * 60)]  # Monday 09:00-10:00

    slots = candidate_slots(rules, tz=UTC, slot_minutes=25, first_day=dt.date(2027, 1, 4), days=1)

    assert [(s.start.time(), s.end.time()) for s in slots] == [
        (dt.time(9, 0), dt.time(9, 25)),
        (dt.time(9, 25), dt.time(9, 50)),
    ]


def test_a_rule_may_end_at_midnight():
    rules = [Rule(0, 23 * 60, 24 * 60)]

    slots = candidate_slots(rules, tz=UTC, slot_minutes=30, first_day=dt.date(2027, 1, 4), days=1)

    assert [s.start for s in slots] == [utc(2027, 1, 4, 23, 0), utc(2027, 1, 4, 23, 30)]
    assert slots[-1].end == utc(2027, 1, 5, 0, 0)


def test_rules_apply_only_on_their_weekday():
    rules = [Rule(2, 9 * 60, 9 * 60 + 30)]  # Wednesday

    slots = candidate_slots(rules, tz=UTC, slot_minutes=30, first_day=dt.date(2027, 1, 4), days=14)

    assert [s.start.date() for s in slots] == [dt.date(2027, 1, 6), dt.date(2027, 1, 13)]


def test_without_overlaps_of_keeps_only_candidates_clear_of_existing():
    candidates = [
        Interval(utc(2027, 1, 4, 9), utc(2027, 1, 4, 9, 30)),
        Interval(utc(2027, 1, 4, 9, 30), utc(2027, 1, 4, 10)),
        Interval(utc(2027, 1, 4, 10), utc(2027, 1, 4, 10, 30)),
    ]
    existing = [Interval(utc(2027, 1, 4, 9, 45), utc(2027, 1, 4, 9, 50))]

    kept = without_overlaps_of(candidates, existing)

    assert kept == [candidates[0], candidates[2]]


def test_touching_intervals_do_not_overlap():
    first = Interval(utc(2027, 1, 4, 9), utc(2027, 1, 4, 9, 30))
    second = Interval(utc(2027, 1, 4, 9, 30), utc(2027, 1, 4, 10))

    assert not first.overlaps(second)
    assert first_overlap([second, first]) is None
    assert without_overlaps_of([second], [first]) == [second]


def test_overlapping_rules_finds_clashes_on_one_weekday_only():
    rules = [Rule(0, 540, 780), Rule(0, 780, 900), Rule(1, 600, 700), Rule(0, 720, 800)]

    clashes = overlapping_rules(rules)

    assert clashes == [
        (Rule(0, 540, 780), Rule(0, 720, 800)),
        (Rule(0, 720, 800), Rule(0, 780, 900)),
    ]


@pytest.mark.parametrize(
    ("text", "minutes"), [("00:00", 0), ("09:30", 570), ("23:59", 1439), ("24:00", 1440)]
)
def test_hhmm_to_minutes_reads_24_hour_times(text, minutes):
    assert hhmm_to_minutes(text) == minutes


@pytest.mark.parametrize(
    "text", ["9:00", "24:01", "12:60", "ab:cd", "0900", "", "09:00:00", "-1:00"]
)
def test_hhmm_to_minutes_refuses_anything_else(text):
    with pytest.raises(ValueError):
        hhmm_to_minutes(text)


def test_timezone_names_are_checked_against_iana():
    assert is_valid_timezone("Europe/London")
    assert not is_valid_timezone("Mars/Olympus")
    assert not is_valid_timezone("../../etc/passwd")
    assert zone("Mars/Olympus") is UTC


def test_day_bounds_follow_the_local_day_length_across_dst():
    bounds = day_bounds_utc(dt.date(2027, 3, 28), 1, LONDON)

    assert bounds == Interval(utc(2027, 3, 28, 0, 0), utc(2027, 3, 28, 23, 0))


@given(
    rules=st.lists(
        st.builds(
            lambda weekday, start, length: Rule(weekday, start, min(start + length, 1440)),
            st.integers(0, 6),
            st.integers(0, 1439),
            st.integers(1, 600),
        ),
        max_size=6,
    ),
    slot_minutes=st.integers(5, 240),
    zone_name=st.sampled_from(["Europe/London", "America/New_York", "Asia/Kolkata", "UTC"]),
    first_day=st.dates(dt.date(2026, 1, 1), dt.date(2028, 12, 31)),
)
def test_candidates_never_overlap_and_start_on_the_rule_grid(
    rules, slot_minutes, zone_name, first_day
):
    tz = ZoneInfo(zone_name)

    slots = candidate_slots(rules, tz=tz, slot_minutes=slot_minutes, first_day=first_day, days=3)

    assert first_overlap(slots) is None
    for slot in slots:
        local = slot.start.astimezone(tz)
        minute = local.hour * 60 + local.minute
        assert slot.end - slot.start == dt.timedelta(minutes=slot_minutes)
        assert any(
            r.weekday == local.weekday()
            and r.start_minute <= minute
            and (minute - r.start_minute) % slot_minutes == 0
            and minute + slot_minutes <= r.end_minute
            for r in rules
        )
