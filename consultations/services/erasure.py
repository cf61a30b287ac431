"""A patient's erasure seen from consultations: upcoming bookings cancelled, health
information of cancelled bookings erased at once, clinical records after retention."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Max
from django.utils import timezone

from amrutam.common.exceptions import InvalidState
from amrutam.common.typing import Actor
from audit.services import audit_event
from doctors.cache import invalidate_availability
from doctors.models import SlotStatus
from notifications import outbox

from .. import signals
from ..models import (
    ClinicalNotes,
    Consultation,
    ConsultationStatus,
    IdempotencyRecord,
    Prescription,
)
from ._base import lock_visible, set_slot_status

# Consultations that took place or were due: medical records kept until retention ends.
RECORD_STATUSES = (ConsultationStatus.COMPLETED, ConsultationStatus.NO_SHOW)
PHI_COLUMNS = ["reason", "cancellation_reason"]


def consultations_release_for_erasure(*, patient_id: Any, erased_by: Actor | None) -> list[Any]:
    """Cancel every PENDING consultation of the patient (slots freed) and erase the
    health information of the ones that never took place; forget stored answers.

    Runs in the caller's transaction. Returns the ids cancelled. Raises InvalidState
    when a consultation is in progress (ACTIVE): it must end first.
    """
    if Consultation.objects.filter(
        patient_id=patient_id, status=ConsultationStatus.ACTIVE
    ).exists():
        raise InvalidState("A consultation is in progress; erasure is possible once it ends.")
    pending = Consultation.objects.filter(
        patient_id=patient_id, status=ConsultationStatus.PENDING
    ).order_by("pk")
    cancelled = []
    now = timezone.now()
    for consultation_id in pending.values_list("pk", flat=True):
        consultation = lock_visible(consultation_id=consultation_id, user=None)
        if consultation.status != ConsultationStatus.PENDING:
            continue
        consultation.status = ConsultationStatus.CANCELLED
        consultation.cancelled_by_id = patient_id
        consultation.cancelled_at = now
        consultation.save(update_fields=["status", "cancelled_by", "cancelled_at", "updated_at"])
        set_slot_status(consultation.slot, SlotStatus.AVAILABLE)
        audit_event(
            action="consultation.cancelled",
            object_type="consultation",
            object_id=consultation.pk,
            changes={"status": [ConsultationStatus.PENDING, ConsultationStatus.CANCELLED]},
            actor=erased_by,
        )
        # The doctor is told as of any cancel (email, webhooks), in this transaction.
        outbox.record("consultation.cancelled", consultation)
        # Payments listen for cancels: a paid consultation is refunded like any cancel.
        signals.consultation_cancelled.send(
            sender=Consultation, consultation=consultation, actor=erased_by
        )
        invalidate_availability(consultation.doctor_id)
        cancelled.append(consultation.pk)
    _erase_phi(Consultation.objects.exclude(status__in=RECORD_STATUSES), patient_id)
    # Stored idempotent answers repeat a booking's reason: a cache, not a record.
    IdempotencyRecord.objects.filter(user_id=patient_id).delete()
    return cancelled


def consultation_records_retained_until(*, patient_id: Any, years: int) -> dt.datetime | None:
    """When the patient's medical records may be erased: `years` after the start of the
    last consultation that took place or was due; None when there is none."""
    last = Consultation.objects.filter(patient_id=patient_id, status__in=RECORD_STATUSES).aggregate(
        last=Max("slot__start_time")
    )["last"]
    return None if last is None else _add_years(last, years)


def consultation_records_erase(*, patient_id: Any) -> int:
    """Erase the health information of every consultation of the patient: reasons
    cleared, notes and prescriptions deleted. The consultation rows (ids, times,
    statuses) stay for the clinic's statistics. Returns how many consultations."""
    count = _erase_phi(Consultation.objects.all(), patient_id)
    ClinicalNotes.objects.filter(consultation__patient_id=patient_id).delete()
    Prescription.objects.filter(consultation__patient_id=patient_id).delete()
    return count


def _erase_phi(queryset: Any, patient_id: Any) -> int:
    # Saved one by one, not with update(): django-auditlog records each change (masked).
    count = 0
    for consultation in queryset.filter(patient_id=patient_id).order_by("pk").iterator():
        if consultation.reason is None and consultation.cancellation_reason is None:
            continue
        consultation.reason = None
        consultation.cancellation_reason = None
        consultation.save(update_fields=[*PHI_COLUMNS, "updated_at"])
        count += 1
    return count


def _add_years(when: dt.datetime, years: int) -> dt.datetime:
    try:
        return when.replace(year=when.year + years)
    except ValueError:  # 29 February into a year without one
        return when.replace(year=when.year + years, day=28)
