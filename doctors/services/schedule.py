"""The weekly schedule and the slots it materialises, DST-correct."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from amrutam.common.exceptions import ValidationFailed
from amrutam.common.typing import Actor
from audit import services as audit_services

from ..cache import invalidate_availability
from ..models import AvailabilitySlot, DoctorProfile, ScheduleRule
from ..scheduling import (
    Interval,
    Rule,
    candidate_slots,
    is_valid_timezone,
    minutes_to_hhmm,
    overlapping_rules,
    today_in,
    without_overlaps_of,
    zone,
)
from ._base import MAX_GENERATE_DAYS, MAX_RULES, full_clean_for_api, insert_slots, lock_doctor


@dataclass(frozen=True)
class ScheduleOutcome:
    doctor: DoctorProfile
    rules: list[ScheduleRule]
    slots_created: int


def _validate_schedule(*, timezone_name: str, slot_minutes: int, rules: Sequence[Rule]) -> None:
    errors: dict[str, list[str]] = {}
    if not is_valid_timezone(timezone_name):
        errors["timezone"] = ["Unknown IANA time zone."]
    if not 5 <= slot_minutes <= 240:
        errors["slotMinutes"] = ["Must be between 5 and 240."]
    if len(rules) > MAX_RULES:
        errors["rules"] = [f"At most {MAX_RULES} rules."]
    for index, rule in enumerate(rules):
        if not 0 <= rule.weekday <= 6:
            errors[f"rules[{index}].weekday"] = ["Must be 0 (Monday) to 6 (Sunday)."]
        elif not 0 <= rule.start_minute < rule.end_minute <= 24 * 60:
            errors[f"rules[{index}].end"] = ["Must be after start."]
        elif rule.end_minute - rule.start_minute < slot_minutes:
            errors[f"rules[{index}].end"] = ["The window is shorter than one slot."]
    if not errors:
        for first, second in overlapping_rules(rules):
            errors.setdefault("rules", []).append(
                f"Rules overlap on weekday {first.weekday}: "
                f"{minutes_to_hhmm(first.start_minute)}-{minutes_to_hhmm(first.end_minute)} and "
                f"{minutes_to_hhmm(second.start_minute)}-{minutes_to_hhmm(second.end_minute)}."
            )
    if errors:
        raise ValidationFailed(errors=errors)


def schedule_update(
    *,
    doctor: DoctorProfile,
    timezone_name: str,
    slot_minutes: int,
    rules: Sequence[Rule],
    updated_by: Actor,
    now: dt.datetime | None = None,
) -> ScheduleOutcome:
    """Replace the weekly rules and create their slots up to the booking horizon.

    Existing slots are never changed; candidates overlapping one are skipped.
    Raise ValidationFailed for a bad zone, slot length, weekday or overlapping rules.
    """
    _validate_schedule(timezone_name=timezone_name, slot_minutes=slot_minutes, rules=rules)
    with transaction.atomic():
        locked = lock_doctor(doctor.pk)
        locked.timezone = timezone_name
        locked.slot_minutes = slot_minutes
        full_clean_for_api(locked, exclude=["user", "verified_by"])
        locked.save(update_fields=["timezone", "slot_minutes", "updated_at"])
        ScheduleRule.objects.filter(doctor=locked).delete()
        saved = ScheduleRule.objects.bulk_create(
            [
                ScheduleRule(
                    doctor=locked,
                    weekday=r.weekday,
                    start_minute=r.start_minute,
                    end_minute=r.end_minute,
                )
                for r in sorted(set(rules))
            ]
        )
        audit_services.audit_event(
            action="schedule.updated",
            object_type="doctor",
            object_id=locked.pk,
            changes={"timezone": timezone_name, "slotMinutes": slot_minutes, "rules": len(saved)},
            actor=updated_by,
        )
        created = _materialise(
            doctor=locked, days=settings.BOOKING_HORIZON_DAYS, now=now, actor=updated_by
        )
        invalidate_availability(locked.pk)
    return ScheduleOutcome(doctor=locked, rules=saved, slots_created=len(created))


def slots_generate(
    *,
    doctor_id: Any,
    days: int,
    generated_by: Actor | str | None = None,
    now: dt.datetime | None = None,
) -> list[AvailabilitySlot]:
    """Create the doctor's scheduled slots for `days` local days from today; idempotent.

    Raise NotFound for an unknown doctor, ValidationFailed for `days` outside 1..366.
    """
    if not 1 <= days <= MAX_GENERATE_DAYS:
        raise ValidationFailed(errors={"days": [f"Must be between 1 and {MAX_GENERATE_DAYS}."]})
    with transaction.atomic():
        locked = lock_doctor(doctor_id)
        return _materialise(doctor=locked, days=days, now=now, actor=generated_by)


def _materialise(
    *, doctor: DoctorProfile, days: int, now: dt.datetime | None, actor: Actor | str | None
) -> list[AvailabilitySlot]:
    """Insert the future slots the doctor's rules describe that overlap no existing slot.

    The caller holds the doctor's row lock, so no other service adds slots meanwhile.
    """
    now = now or timezone.now()
    tz = zone(doctor.timezone)
    rules = [
        Rule(r.weekday, r.start_minute, r.end_minute)
        for r in ScheduleRule.objects.filter(doctor=doctor)
    ]
    candidates = [
        c
        for c in candidate_slots(
            rules,
            tz=tz,
            slot_minutes=doctor.slot_minutes,
            first_day=today_in(tz, now),
            days=days,
        )
        if c.start > now
    ]
    if not candidates:
        return []
    existing = AvailabilitySlot.objects.filter(
        doctor=doctor,
        start_time__lt=candidates[-1].end,
        end_time__gt=candidates[0].start,
    ).values_list("start_time", "end_time")
    fresh = without_overlaps_of(candidates, [Interval(s, e) for s, e in existing])
    created = insert_slots(
        [AvailabilitySlot(doctor=doctor, start_time=i.start, end_time=i.end) for i in fresh]
    )
    if created:
        audit_services.audit_event(
            action="slots.generated",
            object_type="doctor",
            object_id=doctor.pk,
            changes={"count": len(created), "days": days},
            actor=actor,
        )
        invalidate_availability(doctor.pk)
    return created
