"""Pure slot arithmetic: weekly wall-clock rules to UTC intervals, overlap filtering.

Nothing here touches the database or the clock, so every function can be tested (and
property-tested) with plain values.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

MINUTES_PER_DAY = 24 * 60


@dataclass(frozen=True, order=True)
class Rule:
    """A weekly window: `weekday` (Monday = 0), minutes after local midnight [start, end)."""

    weekday: int
    start_minute: int
    end_minute: int


@dataclass(frozen=True, order=True)
class Interval:
    """A half-open UTC interval [start, end)."""

    start: dt.datetime
    end: dt.datetime

    def overlaps(self, other: Interval) -> bool:
        return self.start < other.end and other.start < self.end


@cache
def zone_names() -> frozenset[str]:
    """Every IANA zone name known to this machine."""
    return frozenset(available_timezones())


def is_valid_timezone(name: str) -> bool:
    """True when `name` is an IANA zone name known to this machine."""
    return isinstance(name, str) and name in zone_names()


def zone(name: str) -> dt.tzinfo:
    """The zone called `name`; UTC for a name that is not a known IANA zone."""
    if not is_valid_timezone(name):
        return dt.UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def minutes_to_hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def hhmm_to_minutes(value: str) -> int:
    """Minutes after midnight of "HH:MM" (00:00 to 24:00); ValueError otherwise."""
    if not isinstance(value, str) or len(value) != 5 or value[2] != ":":
        raise ValueError("Use the 24-hour form HH:MM.")
    hours, minutes = value[:2], value[3:]
    if not (hours.isdigit() and minutes.isdigit()):
        raise ValueError("Use the 24-hour form HH:MM.")
    total = int(hours) * 60 + int(minutes)
    if int(minutes) > 59 or total > MINUTES_PER_DAY:
        raise ValueError("Use a time between 00:00 and 24:00.")
    return total


def overlapping_rules(rules: Iterable[Rule]) -> list[tuple[Rule, Rule]]:
    """Pairs of rules on the same weekday whose windows overlap (touching is fine)."""
    pairs = []
    ordered = sorted(rules)
    for previous, current in itertools.pairwise(ordered):
        if previous.weekday == current.weekday and current.start_minute < previous.end_minute:
            pairs.append((previous, current))
    return pairs


def local_to_utc(day: dt.date, minute: int, tz: dt.tzinfo) -> dt.datetime | None:
    """The UTC instant of wall-clock `minute` on `day` in `tz`, or None if it never occurs.

    A wall-clock time skipped by a DST change (e.g. 01:30 in London on the last Sunday of
    March) does not exist; a repeated one (the autumn change) takes its first occurrence.
    """
    naive = dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=minute)
    local = naive.replace(tzinfo=tz, fold=0)
    as_utc = local.astimezone(dt.UTC)
    # A non-existent time does not survive the round trip to UTC and back.
    if as_utc.astimezone(tz).replace(tzinfo=None) != naive:
        return None
    return as_utc


def wall_clock_reaches(day: dt.date, minute: int, tz: dt.tzinfo) -> dt.datetime:
    """The first UTC instant at which the wall clock in `tz` shows `minute` of `day` or later.

    For a time that exists, its (first) occurrence. For one a DST change skips, the
    change itself: at 01:00 UTC on 2027-03-28 London's clocks go from 00:59 to 02:00,
    which is when "01:30" is reached.
    """
    exact = local_to_utc(day, minute, tz)
    if exact is not None:
        return exact
    # The first wall-clock minute after the gap is the moment of the change. Gaps are
    # whole minutes and at most a day long (Pacific/Apia skipped 2011-12-30).
    for later in range(minute + 1, minute + 2 * MINUTES_PER_DAY):
        reached = local_to_utc(day, later, tz)
        if reached is not None:
            return reached
    raise ValueError(f"No wall-clock time after minute {minute} of {day} exists.")


def today_in(tz: dt.tzinfo, now: dt.datetime) -> dt.date:
    """The local calendar date in `tz` at instant `now`."""
    return now.astimezone(tz).date()


def day_bounds_utc(day: dt.date, days: int, tz: dt.tzinfo) -> Interval:
    """UTC bounds of `days` local calendar days starting at `day` in `tz`."""
    start = dt.datetime.combine(day, dt.time(), tzinfo=tz).astimezone(dt.UTC)
    end_day = day + dt.timedelta(days=days)
    end = dt.datetime.combine(end_day, dt.time(), tzinfo=tz).astimezone(dt.UTC)
    return Interval(start, end)


def candidate_slots(
    rules: Iterable[Rule],
    *,
    tz: dt.tzinfo,
    slot_minutes: int,
    first_day: dt.date,
    days: int,
) -> list[Interval]:
    """Slots the rules describe on `days` local days from `first_day`, soonest first.

    Slot starts step through the rule in wall-clock time, so a 09:00 rule gives 09:00
    local on both sides of a DST change. A slot lasts `slot_minutes` of real time and must
    end, in wall-clock time, within its rule: it is over before the wall clock shows the
    rule's end, even when the clocks jump forward during it. Starts that do not exist
    locally are skipped.
    """
    if slot_minutes <= 0:
        raise ValueError("slot_minutes must be positive.")
    by_weekday: dict[int, list[Rule]] = {}
    for rule in rules:
        by_weekday.setdefault(rule.weekday, []).append(rule)
    length = dt.timedelta(minutes=slot_minutes)
    out: list[Interval] = []
    for offset in range(days):
        day = first_day + dt.timedelta(days=offset)
        for rule in sorted(by_weekday.get(day.weekday(), [])):
            closes = wall_clock_reaches(day, rule.end_minute, tz)
            minute = rule.start_minute
            while minute + slot_minutes <= rule.end_minute:
                start = local_to_utc(day, minute, tz)
                # Adding up wall-clock minutes is not enough: a slot that spans a spring
                # change (00:45 + 45 min in London on 2027-03-28) ends an hour later on
                # the wall clock (02:30) than the arithmetic says (01:30).
                if start is not None and start + length <= closes:
                    out.append(Interval(start, start + length))
                minute += slot_minutes
    return without_self_overlaps(out)


def without_self_overlaps(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted `intervals`, dropping any that overlaps one kept before it."""
    kept: list[Interval] = []
    for interval in sorted(intervals):
        if kept and interval.start < kept[-1].end:
            continue
        kept.append(interval)
    return kept


def without_overlaps_of(
    candidates: Sequence[Interval], existing: Iterable[Interval]
) -> list[Interval]:
    """The sorted `candidates` that overlap none of `existing`."""
    taken = sorted(existing)
    out: list[Interval] = []
    index = 0
    for candidate in sorted(candidates):
        # Existing intervals that end before this candidate starts cannot overlap it or
        # any later candidate, so the sweep never looks at them again.
        while index < len(taken) and taken[index].end <= candidate.start:
            index += 1
        clash = False
        probe = index
        while probe < len(taken) and taken[probe].start < candidate.end:
            if taken[probe].overlaps(candidate):
                clash = True
                break
            probe += 1
        if not clash:
            out.append(candidate)
    return out


def first_overlap(intervals: Iterable[Interval]) -> tuple[Interval, Interval] | None:
    """The first pair of overlapping intervals in start order, or None."""
    ordered = sorted(intervals)
    for previous, current in itertools.pairwise(ordered):
        if current.start < previous.end:
            return previous, current
    return None
