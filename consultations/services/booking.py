"""Booking a slot and moving a booking to another slot."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import Role
from amrutam.common.exceptions import InvalidState, NotFound, PermissionDenied
from amrutam.common.metrics import BOOKINGS
from amrutam.common.typing import Actor
from audit.services import audit_event
from consent.services import consent_for_booking
from doctors.cache import invalidate_availability
from doctors.models import DoctorProfile, SlotStatus
from notifications import outbox

from .. import signals
from ..models import Consultation, ConsultationStatus
from ._base import (
    field_checks,
    lock_visible,
    require_bookable,
    require_role,
    save_on_slot,
    set_slot_status,
    unavailable,
)
from .limits import booking_limits_enforce
from .slot_lock import lock_slots


def _meeting_token() -> str:
    # 128 random bits: the link itself is the invitation, so it must not be guessable.
    return secrets.token_urlsafe(16)


def consultation_book(
    *, patient: Actor, doctor_id: Any, slot_id: Any, reason: str | None = None
) -> Consultation:
    """Book slot `slot_id` of doctor `doctor_id` for `patient`.

    Raise PermissionDenied (not a patient), ConsentWithdrawn (telemedicine consent
    withdrawn), NotFound (unknown slot or doctor), SlotUnavailable (taken, blocked,
    started, another doctor's, doctor not bookable) or BookingLimitReached (the patient
    holds the most upcoming consultations allowed).
    """
    if patient.role != Role.PATIENT:
        raise PermissionDenied("Only patients can book consultations.")
    with transaction.atomic():
        # The row lock makes concurrent bookings of this slot queue here; each one
        # then sees the winner's BOOKED status and is refused.
        locked = lock_slots([slot_id]).get(slot_id)
        if locked is None:
            raise NotFound("No such slot.")
        slot = locked.slot
        if slot.doctor_id != doctor_id:
            if not DoctorProfile.objects.filter(pk=doctor_id).exists():
                raise NotFound("No such doctor.")
            raise unavailable("This slot belongs to another doctor.")
        if slot.status == SlotStatus.BOOKED:
            # An unpaid hold past its time never blocks a booking, job or no job.
            signals.slot_taken.send(sender=Consultation, slot=slot, actor=patient)
        # The clock is read after the lock: a wait behind other bookings counts.
        now = timezone.now()
        require_bookable(locked, now=now)
        # After the slot is known bookable: a refused booking (most of them, when many
        # patients race for one slot) records no implied consent only to roll it back.
        # The implied consent a first booking records commits or rolls back with it.
        consent_id = consent_for_booking(patient_id=patient.pk)
        booking_limits_enforce(patient_id=patient.pk, doctor_id=slot.doctor_id, now=now)

        consultation = Consultation(
            # The id, not the object: the caller's user may be a lazy one without its row.
            patient_id=patient.pk,
            doctor_id=slot.doctor_id,
            slot=slot,
            status=ConsultationStatus.PENDING,
            reason=reason or None,
            meeting_token=_meeting_token(),
            consent_id=consent_id,
        )
        field_checks(consultation)
        save_on_slot(consultation, force_insert=True)
        set_slot_status(slot, SlotStatus.BOOKED)
        signals.consultation_booked.send(
            sender=Consultation, consultation=consultation, fee=locked.fee, actor=patient
        )
        audit_event(
            action="consultation.booked",
            object_type="consultation",
            object_id=consultation.pk,
            changes={"status": [None, ConsultationStatus.PENDING], "slotId": [None, str(slot.pk)]},
            actor=patient,
        )
        outbox.record("consultation.booked", consultation)
        invalidate_availability(slot.doctor_id)
        transaction.on_commit(BOOKINGS.inc)
    return consultation


def consultation_reschedule(
    *, consultation_id: Any, new_slot_id: Any, rescheduled_by: Actor
) -> Consultation:
    """Move a PENDING consultation (same id) to another free slot of the same doctor, until
    the cancellation cutoff: the new slot is booked and the old one freed, or nothing
    changes. Raise NotFound, PermissionDenied, InvalidState or SlotUnavailable."""
    require_role(rescheduled_by, (Role.PATIENT,), "Only the patient can reschedule.")
    with transaction.atomic():
        consultation = lock_visible(
            consultation_id=consultation_id, user=rescheduled_by, with_slot=False
        )
        if consultation.status != ConsultationStatus.PENDING:
            raise InvalidState("Only a pending consultation can be rescheduled.")
        slots = lock_slots([consultation.slot_id, new_slot_id])
        locked_new = slots.get(new_slot_id)
        if locked_new is None:
            raise NotFound("No such slot.")
        old_slot, new_slot = slots[consultation.slot_id].slot, locked_new.slot
        now = timezone.now()
        cutoff = settings.CANCELLATION_CUTOFF_MINUTES
        if now > old_slot.start_time - dt.timedelta(minutes=cutoff):
            raise InvalidState(f"Consultations can be rescheduled until {cutoff} minutes before.")
        if new_slot.doctor_id != consultation.doctor_id:
            raise unavailable("A consultation can only move to a slot of the same doctor.")
        require_bookable(locked_new, now=now)

        # Free the old slot first: the consultation leaves it in the same transaction.
        set_slot_status(old_slot, SlotStatus.AVAILABLE)
        consultation.slot = new_slot
        save_on_slot(consultation)
        set_slot_status(new_slot, SlotStatus.BOOKED)
        audit_event(
            action="consultation.rescheduled",
            object_type="consultation",
            object_id=consultation.pk,
            changes={"slotId": [str(old_slot.pk), str(new_slot.pk)]},
            actor=rescheduled_by,
        )
        outbox.record("consultation.rescheduled", consultation)
        invalidate_availability(consultation.doctor_id)
    return consultation
