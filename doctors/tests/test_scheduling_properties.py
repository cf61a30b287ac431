"""Properties of the slot arithmetic, checked against brute force in many time zones.

The zones include DST changes at night (London, New York), at midnight (Santiago,
Havana, Beirut), by half an hour (Lord Howe), backwards for Ramadan (Casablanca) and
odd offsets (Chatham, St John's, Kathmandu); start days cluster around their changes.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
from functools import cache
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from doctors.scheduling import (
    Interval,
    Rule,
    candidate_slots,
    day_bounds_utc,
    first_overlap,
    hhmm_to_minutes,
    local_to_utc,
    minutes_to_hhmm,
    overlapping_rules,
    without_overlaps_of,
)

DST_ZONES = (
    "Europe/London",
    "America/New_York",
    "America/Santiago",
    "America/Havana",
    "Asia/Beirut",
    "Australia/Lord_Howe",
    "Africa/Casablanca",
    "Pacific/Chatham",
    "America/St_Johns",
)
FIXED_ZONES = ("UTC", "Asia/Kolkata", "Asia/Kathmandu", "Asia/Tokyo")
FIRST = dt.date(2026, 1, 1)
LAST = dt.date(2028, 12, 31)
MINUTE = dt.timedelta(minutes=1)

# Deterministic in `make test`; `make fuzz` raises the count (PROPERTY_MAX_EXAMPLES).
PROPERTY_SETTINGS = settings(
    max_examples=int(os.environ.get("PROPERTY_MAX_EXAMPLES", "200")),
    derandomize=True,
    deadline=None,
)


@cache
def change_days(zone_name: str) -> tuple[dt.date, ...]:
    """Local days whose length is not 24 h, or whose midnight offset differs from the next."""
    tz = ZoneInfo(zone_name)
    days = []
    day = FIRST
    while day < LAST:
        today = dt.datetime.combine(day, dt.time(), tzinfo=tz)
        tomorrow = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=tz)
        if today.utcoffset() != tomorrow.utcoffset():
            days.append(day)
        day += dt.timedelta(days=1)
    return tuple(days)


@st.composite
def zone_and_first_day(draw: st.DrawFn, zones: tuple[str, ...] = DST_ZONES) -> tuple[str, dt.date]:
    name = draw(st.sampled_from(zones))
    changes = change_days(name)
    if changes and draw(st.booleans()):
        # A few days before a change, so the window straddles it.
        day = draw(st.sampled_from(changes)) - dt.timedelta(days=draw(st.integers(0, 3)))
    else:
        day = draw(st.dates(FIRST, LAST))
    return name, day


@cache
def changes(zone_name: str) -> tuple[tuple[dt.date, int], ...]:
    """(local day, wall-clock minute just before the clocks change) of every change."""
    tz = ZoneInfo(zone_name)
    found = []
    for day in change_days(zone_name):
        instant = dt.datetime.combine(day, dt.time(), tzinfo=tz).astimezone(dt.UTC)
        instant -= dt.timedelta(hours=2)
        offset = instant.astimezone(tz).utcoffset()
        for _ in range(30 * 60):
            instant += MINUTE
            if instant.astimezone(tz).utcoffset() != offset:
                before = (instant - MINUTE).astimezone(tz)
                minute = before.hour * 60 + before.minute + 1
                found.append((before.date(), minute))
                break
    return tuple(found)


@st.composite
def schedules(
    draw: st.DrawFn, zones: tuple[str, ...] = DST_ZONES + FIXED_ZONES
) -> tuple[str, dt.date, list[Rule]]:
    """A zone, a first day and rules; often a rule straddles one of the zone's changes."""
    name, first_day = draw(zone_and_first_day(zones))
    rules = draw(weekly_rules())
    points = changes(name)
    if points and draw(st.booleans()):
        day, minute = draw(st.sampled_from(points))
        start = max(0, minute - draw(st.integers(0, 240)))
        end = min(24 * 60, minute + draw(st.integers(0, 240)))
        if start < end:
            # It replaces that weekday's other rules, so no two overlap.
            rules = [r for r in rules if r.weekday != day.weekday()]
            rules.append(Rule(day.weekday(), start, end))
            first_day = day - dt.timedelta(days=draw(st.integers(0, 2)))
    return name, first_day, rules


@st.composite
def weekly_rules(draw: st.DrawFn) -> list[Rule]:
    """Rules as the service accepts them: no two overlap on one weekday."""
    # Half the bounds fall in the small hours, when most clocks change.
    minute = st.one_of(st.integers(0, 24 * 60), st.integers(0, 4 * 60), st.just(24 * 60))
    rules = []
    for weekday in range(7):
        bounds = sorted(draw(st.sets(minute, max_size=4)))
        rules += [Rule(weekday, a, b) for a, b in zip(bounds[::2], bounds[1::2], strict=False)]
    return rules


def wall(instant: dt.datetime, tz: ZoneInfo) -> tuple[dt.date, int]:
    """(local date, minute of the local day) the wall clock shows at `instant`."""
    local = instant.astimezone(tz)
    return local.date(), local.hour * 60 + local.minute


def rule_of(slot: Interval, rules: list[Rule], tz: ZoneInfo, slot_minutes: int) -> Rule:
    """The rule on whose grid `slot` starts (rules never overlap, so there is one)."""
    day, minute = wall(slot.start, tz)
    (rule,) = [
        r
        for r in rules
        if r.weekday == day.weekday()
        and r.start_minute <= minute < r.end_minute
        and (minute - r.start_minute) % slot_minutes == 0
    ]
    return rule


def runs_past_its_rule(slot: Interval, rule: Rule, day: dt.date, tz: ZoneInfo) -> bool:
    """True when the wall clock reaches the rule's end before the slot is over."""
    limit = (day + dt.timedelta(days=rule.end_minute // (24 * 60)), rule.end_minute % (24 * 60))
    instant = slot.start
    while instant < slot.end:
        if wall(instant, tz) >= limit:
            return True
        instant += MINUTE
    return False


def grid(rules: list[Rule], tz: ZoneInfo, slot_minutes: int, first_day: dt.date, days: int):
    """Every (day, rule, UTC start) the rules describe whose wall-clock start exists."""
    length = dt.timedelta(minutes=slot_minutes)
    for offset in range(days):
        day = first_day + dt.timedelta(days=offset)
        for rule in (r for r in rules if r.weekday == day.weekday()):
            for minute in range(
                rule.start_minute, rule.end_minute - slot_minutes + 1, slot_minutes
            ):
                naive = dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=minute)
                start = naive.replace(tzinfo=tz).astimezone(dt.UTC)
                if start.astimezone(tz).replace(tzinfo=None) == naive:
                    yield day, rule, Interval(start, start + length)


@PROPERTY_SETTINGS
@given(schedule=schedules(), slot_minutes=st.integers(5, 240), days=st.integers(1, 5))
def test_generated_slots_are_disjoint_sorted_and_inside_their_rules_on_the_wall_clock(
    schedule, slot_minutes, days
):
    zone_name, first_day, rules = schedule
    tz = ZoneInfo(zone_name)

    slots = candidate_slots(rules, tz=tz, slot_minutes=slot_minutes, first_day=first_day, days=days)

    assert slots == sorted(slots)
    assert all(a.end <= b.start for a, b in itertools.pairwise(slots))
    for slot in slots:
        day, _ = wall(slot.start, tz)
        rule = rule_of(slot, rules, tz, slot_minutes)
        assert first_day <= day < first_day + dt.timedelta(days=days)
        assert slot.end - slot.start == dt.timedelta(minutes=slot_minutes)
        assert not runs_past_its_rule(slot, rule, day, tz), (slot, rule)


@PROPERTY_SETTINGS
@given(schedule=schedules(), slot_minutes=st.integers(5, 240), days=st.integers(1, 5))
def test_no_slot_of_the_rules_is_lost_unless_it_would_clash_or_overrun(
    schedule, slot_minutes, days
):
    zone_name, first_day, rules = schedule
    tz = ZoneInfo(zone_name)

    slots = candidate_slots(rules, tz=tz, slot_minutes=slot_minutes, first_day=first_day, days=days)

    produced = set(slots)
    for day, rule, wanted in grid(rules, tz, slot_minutes, first_day, days):
        if wanted in produced or runs_past_its_rule(wanted, rule, day, tz):
            continue
        assert any(wanted.overlaps(s) for s in slots), wanted


@PROPERTY_SETTINGS
@given(
    where=zone_and_first_day(FIXED_ZONES),
    rules=weekly_rules(),
    slot_minutes=st.integers(5, 240),
    days=st.integers(1, 14),
)
def test_without_dst_the_slots_are_exactly_the_rule_grid(where, rules, slot_minutes, days):
    zone_name, first_day = where
    tz = ZoneInfo(zone_name)
    offset = dt.datetime.combine(first_day, dt.time(), tzinfo=tz).utcoffset()
    expected = []
    for n in range(days):
        day = first_day + dt.timedelta(days=n)
        for rule in sorted(r for r in rules if r.weekday == day.weekday()):
            count = (rule.end_minute - rule.start_minute) // slot_minutes
            for k in range(count):
                start = (
                    dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
                    + dt.timedelta(minutes=rule.start_minute + k * slot_minutes)
                    - offset
                )
                expected.append(Interval(start, start + dt.timedelta(minutes=slot_minutes)))

    slots = candidate_slots(rules, tz=tz, slot_minutes=slot_minutes, first_day=first_day, days=days)

    assert slots == expected


@PROPERTY_SETTINGS
@given(where=zone_and_first_day(), rules=weekly_rules(), days=st.integers(1, 5))
def test_a_rule_starts_at_the_same_wall_clock_time_on_every_day_it_exists(where, rules, days):
    zone_name, first_day = where
    tz = ZoneInfo(zone_name)
    starts_only = [Rule(r.weekday, r.start_minute, r.start_minute + 5) for r in rules]
    starts_only = [r for r in starts_only if r.end_minute <= 24 * 60]

    slots = candidate_slots(starts_only, tz=tz, slot_minutes=5, first_day=first_day, days=days)

    expected = sorted(
        (day, rule.start_minute)
        for day, rule, slot in grid(starts_only, tz, 5, first_day, days)
        if not runs_past_its_rule(slot, rule, day, tz)
    )
    assert sorted(wall(s.start, tz) for s in slots) == expected


intervals = st.builds(
    lambda start, minutes: Interval(
        dt.datetime(2027, 1, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=start),
        dt.datetime(2027, 1, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=start + minutes),
    ),
    st.integers(0, 2000),
    st.integers(1, 300),
)


@PROPERTY_SETTINGS
@given(candidates=st.lists(intervals, max_size=30), existing=st.lists(intervals, max_size=30))
def test_without_overlaps_of_drops_exactly_the_candidates_that_clash(candidates, existing):
    kept = without_overlaps_of(candidates, existing)

    assert kept == sorted(c for c in candidates if not any(c.overlaps(e) for e in existing))


@PROPERTY_SETTINGS
@given(st.lists(intervals, max_size=30))
def test_first_overlap_finds_a_clash_whenever_two_intervals_overlap(items):
    clashing = any(a.overlaps(b) for a, b in itertools.combinations(items, 2))

    found = first_overlap(items)

    assert (found is not None) == clashing
    if found is not None:
        assert found[0].overlaps(found[1])


rules_any = st.lists(
    st.builds(
        lambda weekday, start, length: Rule(weekday, start, min(start + length, 24 * 60)),
        st.integers(0, 6),
        st.integers(0, 24 * 60 - 1),
        st.integers(1, 600),
    ),
    max_size=8,
)


@PROPERTY_SETTINGS
@given(rules_any)
def test_overlapping_rules_is_empty_exactly_when_no_two_rules_of_a_day_overlap(rules):
    clashing = any(
        a.weekday == b.weekday and a.start_minute < b.end_minute and b.start_minute < a.end_minute
        for a, b in itertools.combinations(rules, 2)
    )

    pairs = overlapping_rules(rules)

    assert bool(pairs) == clashing
    for a, b in pairs:
        assert a.weekday == b.weekday and b.start_minute < a.end_minute


@PROPERTY_SETTINGS
@given(where=zone_and_first_day(DST_ZONES + FIXED_ZONES), minute=st.integers(0, 24 * 60 - 1))
def test_local_to_utc_gives_the_first_instant_showing_that_wall_time_or_none(where, minute):
    zone_name, day = where
    tz = ZoneInfo(zone_name)
    naive = dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=minute)
    # Every instant within 15 h either side (offsets stay within that), minute by minute.
    around = naive.replace(tzinfo=dt.UTC)
    showing = [
        instant
        for instant in (around + dt.timedelta(minutes=m) for m in range(-15 * 60, 15 * 60 + 1))
        if instant.astimezone(tz).replace(tzinfo=None) == naive
    ]

    result = local_to_utc(day, minute, tz)

    assert result == (showing[0] if showing else None)


@PROPERTY_SETTINGS
@given(
    where=zone_and_first_day(DST_ZONES + FIXED_ZONES), a=st.integers(1, 20), b=st.integers(1, 20)
)
def test_day_bounds_are_local_midnights_and_add_up(where, a, b):
    zone_name, day = where
    tz = ZoneInfo(zone_name)

    whole = day_bounds_utc(day, a + b, tz)
    first = day_bounds_utc(day, a, tz)
    second = day_bounds_utc(day + dt.timedelta(days=a), b, tz)

    assert (first.start, first.end, second.end) == (whole.start, second.start, whole.end)
    assert whole.start.astimezone(tz).date() == day
    assert (whole.start - MINUTE).astimezone(tz).date() < day
    assert whole.end.astimezone(tz).date() == day + dt.timedelta(days=a + b)
    assert (whole.end - MINUTE).astimezone(tz).date() < day + dt.timedelta(days=a + b)


@given(st.integers(0, 24 * 60))
def test_hhmm_round_trips_every_minute_of_the_day(minutes):
    assert hhmm_to_minutes(minutes_to_hhmm(minutes)) == minutes


def test_a_slot_spanning_the_spring_change_still_ends_by_the_rules_end():
    # London, Sunday 2027-03-28: the clocks go from 00:59 to 02:00. 00:45 + 45 minutes of
    # real time ends at 02:30 on the wall clock, after the rule's 02:00.
    london = ZoneInfo("Europe/London")

    slots = candidate_slots(
        [Rule(6, 0, 2 * 60)], tz=london, slot_minutes=45, first_day=dt.date(2027, 3, 28), days=1
    )

    assert [(s.start.astimezone(london).strftime("%H:%M"), s.end) for s in slots] == [
        ("00:00", dt.datetime(2027, 3, 28, 0, 45, tzinfo=dt.UTC))
    ]


def test_a_slot_may_end_exactly_when_the_clocks_skip_the_rules_end():
    # Rule 00:00-01:00 on the same day: 01:00 never shows; the window closes at the jump.
    london = ZoneInfo("Europe/London")

    slots = candidate_slots(
        [Rule(6, 0, 60)], tz=london, slot_minutes=30, first_day=dt.date(2027, 3, 28), days=1
    )

    assert [s.end for s in slots] == [
        dt.datetime(2027, 3, 28, 0, 30, tzinfo=dt.UTC),
        dt.datetime(2027, 3, 28, 1, 0, tzinfo=dt.UTC),
    ]
