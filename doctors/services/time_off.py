"""Time off: block a doctor's free slots in a range, list the booked ones."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from amrutam.common.exceptions import ValidationFailed
from amrutam.common.typing import Actor
from audit import services as audit_services

from ..cache import invalidate_availability
from ..models import AvailabilitySlot, DoctorProfile, SlotStatus, TimeOff
from ._base import MAX_TIME_OFF, full_clean_for_api, lock_doctor


@dataclass(frozen=True)
class TimeOffOutcome:
    time_off: TimeOff
    blocked_slots: list[AvailabilitySlot]
    booked_consultations: list[Any]


def _active_consultations_of(slots: Sequence[AvailabilitySlot]) -> list[Any]:
    """The live consultations booked on `slots`, through the reverse relation only.

    The consultations app sits above this one, so its model is reached from the slot's
    reverse relation rather than imported.
    """
    if not slots:
        return []
    consultation_model: Any = AvailabilitySlot._meta.get_field("consultations").related_model
    return list(
        consultation_model.objects.filter(slot__in=list(slots))
        .active()
        .select_related("slot")
        .order_by("slot__start_time")
    )


def time_off_create(
    *,
    doctor: DoctorProfile,
    start: dt.datetime,
    end: dt.datetime,
    reason: str | None,
    created_by: Actor,
    now: dt.datetime | None = None,
) -> TimeOffOutcome:
    """Block the doctor's free slots overlapping [start, end); list, never cancel, booked ones.

    Raise ValidationFailed for an empty, past or over-long range.
    """
    now = now or timezone.now()
    if end <= start:
        raise ValidationFailed(errors={"end": ["Must be after start."]})
    if end <= now:
        raise ValidationFailed(errors={"end": ["Time off must end in the future."]})
    if end - start > MAX_TIME_OFF:
        raise ValidationFailed(errors={"end": ["Time off spans at most 366 days."]})
    with transaction.atomic():
        locked = lock_doctor(doctor.pk)
        # Lock the affected slots in primary-key order, the order every locker uses,
        # so a concurrent booking of one of them either lands first or waits.
        slots = list(
            AvailabilitySlot.objects.select_for_update()
            .filter(doctor=locked, start_time__lt=end, end_time__gt=start)
            .order_by("pk")
        )
        free = sorted(
            (s for s in slots if s.status == SlotStatus.AVAILABLE), key=lambda s: s.start_time
        )
        AvailabilitySlot.objects.filter(pk__in=[s.pk for s in free]).update(
            status=SlotStatus.BLOCKED, updated_at=now
        )
        for slot in free:
            slot.status = SlotStatus.BLOCKED
        booked = _active_consultations_of([s for s in slots if s.status == SlotStatus.BOOKED])
        time_off = TimeOff(
            doctor=locked,
            start_time=start,
            end_time=end,
            reason=reason or None,
            # The id, not the object: the caller's user may be a lazy one.
            created_by_id=created_by.pk,
        )
        full_clean_for_api(time_off, exclude=["doctor", "created_by"])
        time_off.save()
        audit_services.audit_event(
            action="time_off.created",
            object_type="time_off",
            object_id=time_off.pk,
            # The slots are blocked with QuerySet.update, which sends no signal: the
            # event names them, so the trail still says who blocked each one.
            changes={
                "blockedSlots": len(free),
                "blockedSlotIds": [str(s.pk) for s in free],
                "bookedConsultations": len(booked),
            },
            actor=created_by,
        )
        invalidate_availability(locked.pk)
    return TimeOffOutcome(time_off=time_off, blocked_slots=free, booked_consultations=booked)
