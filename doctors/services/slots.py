"""Slots a doctor creates or deletes by hand."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from amrutam.common.exceptions import InvalidState, NotFound, ValidationFailed
from amrutam.common.typing import Actor
from audit import services as audit_services

from ..cache import invalidate_availability
from ..errors import SlotOverlap
from ..models import AvailabilitySlot, DoctorProfile, SlotStatus
from ..scheduling import Interval, first_overlap, without_overlaps_of
from ._base import MAX_SLOT, MAX_SLOTS_PER_REQUEST, MIN_SLOT, insert_slots, lock_doctor


def _validate_ranges(
    ranges: Sequence[tuple[dt.datetime, dt.datetime]], *, now: dt.datetime
) -> None:
    if not ranges:
        raise ValidationFailed(errors={"slots": ["Give at least one slot."]})
    if len(ranges) > MAX_SLOTS_PER_REQUEST:
        raise ValidationFailed(
            errors={"slots": [f"At most {MAX_SLOTS_PER_REQUEST} slots per request."]}
        )
    errors: dict[str, list[str]] = {}
    for index, (start, end) in enumerate(ranges):
        if start.tzinfo is None or end.tzinfo is None:
            errors[f"slots[{index}].startTime"] = ["Timestamps must include a UTC offset."]
        elif end <= start:
            errors[f"slots[{index}].endTime"] = ["Must be after startTime."]
        elif end - start < MIN_SLOT:
            errors[f"slots[{index}].endTime"] = ["A slot lasts at least 5 minutes."]
        elif end - start > MAX_SLOT:
            errors[f"slots[{index}].endTime"] = ["A slot lasts at most 4 hours."]
        elif start <= now:
            errors[f"slots[{index}].startTime"] = ["Must be in the future."]
    if errors:
        raise ValidationFailed(errors=errors)


def slots_create(
    *,
    doctor: DoctorProfile,
    ranges: Sequence[tuple[dt.datetime, dt.datetime]],
    created_by: Actor,
    now: dt.datetime | None = None,
) -> list[AvailabilitySlot]:
    """Create all the slots or none. Raise ValidationFailed, or SlotOverlap (409)."""
    now = now or timezone.now()
    _validate_ranges(ranges, now=now)
    wanted = [Interval(start, end) for start, end in ranges]
    clash = first_overlap(wanted)
    if clash:
        raise SlotOverlap(
            f"Two slots in the request overlap (starting {clash[0].start.isoformat()} "
            f"and {clash[1].start.isoformat()})."
        )
    with transaction.atomic():
        locked = lock_doctor(doctor.pk)
        existing = AvailabilitySlot.objects.filter(
            doctor=locked,
            start_time__lt=max(i.end for i in wanted),
            end_time__gt=min(i.start for i in wanted),
        ).values_list("start_time", "end_time")
        free = without_overlaps_of(wanted, [Interval(s, e) for s, e in existing])
        if len(free) != len(wanted):
            raise SlotOverlap("A slot overlaps one the doctor already has.")
        slots = [
            AvailabilitySlot(doctor=locked, start_time=i.start, end_time=i.end)
            for i in sorted(wanted)
        ]
        created = insert_slots(slots)
        # bulk_create sends no signals, so the event is recorded here.
        audit_services.audit_event(
            action="slots.created",
            object_type="doctor",
            object_id=locked.pk,
            changes={"count": len(created)},
            actor=created_by,
        )
        invalidate_availability(locked.pk)
    return created


@transaction.atomic
def slot_delete(*, doctor: DoctorProfile, slot_id: Any, deleted_by: Actor) -> None:
    """Remove a slot of `doctor` that is not booked.

    A slot that once held a (since cancelled) consultation is kept for that history and
    blocked instead. Raise NotFound (not this doctor's) or InvalidState (booked).
    """
    # The row lock makes a concurrent booking of this slot either finish first (and be
    # seen as BOOKED here) or wait until the slot is gone.
    slot = AvailabilitySlot.objects.select_for_update().filter(pk=slot_id, doctor=doctor).first()
    if slot is None:
        raise NotFound("No such slot.")
    if slot.status == SlotStatus.BOOKED:
        raise InvalidState("A booked slot cannot be deleted; cancel the consultation first.")
    if slot.consultations.exists():
        slot.status = SlotStatus.BLOCKED
        slot.save(update_fields=["status", "updated_at"])
        outcome = "blocked"
    else:
        slot.delete()
        outcome = "deleted"
    audit_services.audit_event(
        action="slot.deleted",
        object_type="availability_slot",
        object_id=slot_id,
        changes={"outcome": outcome},
        actor=deleted_by,
    )
    invalidate_availability(doctor.pk)
