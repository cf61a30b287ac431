"""The consultation's transitions after booking: cancel, start, complete, no-show."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import Role
from amrutam.common.exceptions import InvalidState
from amrutam.common.typing import Actor
from audit.services import audit_event
from doctors.cache import invalidate_availability
from doctors.models import SlotStatus
from notifications import outbox

from .. import signals
from ..models import Consultation, ConsultationStatus
from ._base import field_checks, lock_visible, require_role, require_transition, set_slot_status


def _status_event(
    consultation: Consultation, *, action: str, old: str, actor: Actor | None
) -> None:
    audit_event(
        action=action,
        object_type="consultation",
        object_id=consultation.pk,
        changes={"status": [old, consultation.status]},
        actor=actor,
    )


def consultation_cancel(
    *, consultation_id: Any, cancelled_by: Actor, reason: str | None = None
) -> Consultation:
    """Cancel a PENDING consultation. The patient may until CANCELLATION_CUTOFF_MINUTES
    before the start (the slot is freed); its doctor or an admin until the start (the slot
    is blocked: the doctor is not available then). Raise NotFound or InvalidState."""
    with transaction.atomic():
        consultation = lock_visible(consultation_id=consultation_id, user=cancelled_by)
        require_transition(consultation, ConsultationStatus.CANCELLED)
        slot = consultation.slot
        now = timezone.now()
        if cancelled_by.role == Role.PATIENT:
            cutoff = settings.CANCELLATION_CUTOFF_MINUTES
            if now > slot.start_time - dt.timedelta(minutes=cutoff):
                raise InvalidState(f"Patients can cancel until {cutoff} minutes before the start.")
            freed = SlotStatus.AVAILABLE
        else:
            if now >= slot.start_time:
                raise InvalidState("A consultation can only be cancelled before it starts.")
            freed = SlotStatus.BLOCKED

        old = consultation.status
        consultation.status = ConsultationStatus.CANCELLED
        # The id, not the object: the caller's user may be a lazy one without its row.
        consultation.cancelled_by_id = cancelled_by.pk
        consultation.cancelled_at = now
        consultation.cancellation_reason = reason or None
        field_checks(consultation)
        consultation.save()
        set_slot_status(slot, freed)
        _status_event(consultation, action="consultation.cancelled", old=old, actor=cancelled_by)
        outbox.record("consultation.cancelled", consultation)
        signals.consultation_cancelled.send(
            sender=Consultation, consultation=consultation, actor=cancelled_by
        )
        invalidate_availability(consultation.doctor_id)
    return consultation


def consultation_start(*, consultation_id: Any, started_by: Actor) -> Consultation:
    """PENDING -> ACTIVE by the consultation's doctor, from START_EARLY_MINUTES before the
    start. Raise NotFound, PermissionDenied or InvalidState."""
    require_role(started_by, (Role.DOCTOR,), "Only the consultation's doctor can start it.")
    with transaction.atomic():
        consultation = lock_visible(consultation_id=consultation_id, user=started_by)
        require_transition(consultation, ConsultationStatus.ACTIVE)
        now = timezone.now()
        early = settings.START_EARLY_MINUTES
        if now < consultation.slot.start_time - dt.timedelta(minutes=early):
            raise InvalidState(f"A consultation can be started from {early} minutes before.")
        old = consultation.status
        consultation.status = ConsultationStatus.ACTIVE
        consultation.started_at = now
        consultation.save(update_fields=["status", "started_at", "updated_at"])
        _status_event(consultation, action="consultation.started", old=old, actor=started_by)
        outbox.record("consultation.started", consultation)
    return consultation


def consultation_complete(*, consultation_id: Any, completed_by: Actor) -> Consultation:
    """ACTIVE -> COMPLETED by the consultation's doctor. Raise NotFound, PermissionDenied or
    InvalidState."""
    require_role(completed_by, (Role.DOCTOR,), "Only the consultation's doctor can complete it.")
    with transaction.atomic():
        consultation = lock_visible(consultation_id=consultation_id, user=completed_by)
        require_transition(consultation, ConsultationStatus.COMPLETED)
        old = consultation.status
        consultation.status = ConsultationStatus.COMPLETED
        consultation.completed_at = timezone.now()
        consultation.save(update_fields=["status", "completed_at", "updated_at"])
        _status_event(consultation, action="consultation.completed", old=old, actor=completed_by)
        outbox.record("consultation.completed", consultation)
    return consultation


def consultation_mark_no_show(*, consultation_id: Any, marked_by: Actor | None) -> Consultation:
    """PENDING -> NO_SHOW by its doctor, an admin, or the system (`marked_by=None`), once
    NO_SHOW_GRACE_MINUTES have passed since the start. Raise NotFound, PermissionDenied or
    InvalidState."""
    require_role(
        marked_by, (Role.DOCTOR, Role.ADMIN), "Only the doctor or an admin can mark a no-show."
    )
    with transaction.atomic():
        consultation = lock_visible(consultation_id=consultation_id, user=marked_by)
        require_transition(consultation, ConsultationStatus.NO_SHOW)
        grace = settings.NO_SHOW_GRACE_MINUTES
        if timezone.now() < consultation.slot.start_time + dt.timedelta(minutes=grace):
            raise InvalidState(f"A no-show can be recorded from {grace} minutes after the start.")
        old = consultation.status
        consultation.status = ConsultationStatus.NO_SHOW
        consultation.save(update_fields=["status", "updated_at"])
        _status_event(consultation, action="consultation.no_show", old=old, actor=marked_by)
        outbox.record("consultation.no_show", consultation)
    return consultation
