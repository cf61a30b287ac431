"""Writes of patients' data rights: erasure, retention enforcement and legal holds."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import Role, User
from accounts.services import user_erase_identity
from amrutam.common.exceptions import InvalidState, PermissionDenied, ValidationFailed
from amrutam.common.typing import Actor
from audit.services import audit_event
from consent.services import consents_withdraw_all
from consultations.services.erasure import (
    consultation_records_erase,
    consultation_records_retained_until,
    consultations_release_for_erasure,
)

from .models import ErasureRequest, ErasureStatus, LegalHold


class ErasurePasswordIncorrect(ValidationFailed):
    def __init__(self) -> None:
        super().__init__(errors={"password": ["The password is incorrect."]})


def erasure_request(*, user: Actor, password: str) -> ErasureRequest:
    """Erase the calling patient: upcoming consultations cancelled, the account
    deactivated (tokens fail at once), identity and profile erased; clinical records kept,
    encrypted, until MEDICAL_RECORD_RETENTION_YEARS after the last consultation.

    Raises PermissionDenied (not a patient), ErasurePasswordIncorrect, InvalidState
    (already erased, or a consultation in progress). Nothing changes when it raises.
    """
    if user.role != Role.PATIENT:
        raise PermissionDenied("Only patients can erase their account here.")
    with transaction.atomic():
        # The user row lock serialises two erasures (and an erasure and a booking's
        # consent) of one patient.
        locked = User.objects.select_for_update().get(pk=user.pk)
        if ErasureRequest.objects.filter(patient_id=locked.pk).exists():
            raise InvalidState("This account has already been erased.")
        if not locked.check_password(password):
            raise ErasurePasswordIncorrect()
        # Withdrawn first: from its commit on, a booking of this patient is refused.
        consents_withdraw_all(user_id=locked.pk, withdrawn_by=user)
        cancelled = consultations_release_for_erasure(patient_id=locked.pk, erased_by=user)
        retained_until = consultation_records_retained_until(
            patient_id=locked.pk, years=settings.MEDICAL_RECORD_RETENTION_YEARS
        )
        now = timezone.now()
        if retained_until is None:
            # No medical record to keep: whatever health information is left goes now.
            consultation_records_erase(patient_id=locked.pk)
        request = ErasureRequest.objects.create(
            patient=locked,
            status=ErasureStatus.COMPLETED if retained_until is None else ErasureStatus.RETAINED,
            requested_at=now,
            retained_until=retained_until,
            completed_at=now if retained_until is None else None,
            cancelled_consultations=len(cancelled),
        )
        user_erase_identity(user=locked, erased_by=user)
        audit_event(
            action="privacy.erasure_requested",
            object_type=ErasureRequest,
            object_id=request.pk,
            changes={"status": request.status, "cancelledConsultations": len(cancelled)},
            actor=user,
        )
    return request


@dataclass
class RetentionReport:
    erased: list[Any] = field(default_factory=list)
    held: list[Any] = field(default_factory=list)


def retention_enforce(
    *, now: Any = None, actor: str = "command:enforce_retention"
) -> RetentionReport:
    """Erase the clinical records of erased patients whose retention date has passed,
    except those under an active legal hold. Each patient in its own transaction."""
    now = now or timezone.now()
    report = RetentionReport()
    due = ErasureRequest.objects.filter(
        status=ErasureStatus.RETAINED, retained_until__lte=now
    ).order_by("retained_until", "pk")
    for request_id in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            request = ErasureRequest.objects.select_for_update().get(pk=request_id)
            if request.status != ErasureStatus.RETAINED:
                continue
            if LegalHold.objects.filter(patient_id=request.patient_id, is_active=True).exists():
                report.held.append(request.patient_id)
                continue
            consultation_records_erase(patient_id=request.patient_id)
            request.status = ErasureStatus.COMPLETED
            request.completed_at = now
            request.save(update_fields=["status", "completed_at", "updated_at"])
            audit_event(
                action="privacy.retention_erased",
                object_type=ErasureRequest,
                object_id=request.pk,
                changes={"status": [ErasureStatus.RETAINED, ErasureStatus.COMPLETED]},
                actor=actor,
            )
            report.erased.append(request.patient_id)
    return report


def legal_hold_set(*, patient: User, reason: str, set_by: Actor | None) -> LegalHold:
    """Put (or put again) a legal hold on `patient`'s records, with a reason.

    Raises ValidationFailed for a non-patient or an empty reason.
    """
    if patient.role != Role.PATIENT:
        raise ValidationFailed(errors={"patient": ["Only a patient's records can be held."]})
    if not (reason or "").strip():
        raise ValidationFailed(errors={"reason": ["A legal hold needs a reason."]})
    with transaction.atomic():
        hold = LegalHold.objects.select_for_update().filter(patient_id=patient.pk).first()
        if hold is None:
            hold = LegalHold(patient=patient)
        hold.is_active = True
        hold.reason = reason.strip()
        hold.set_by_id = getattr(set_by, "pk", None)
        hold.released_at = None
        hold.save()
        # The reason may be sensitive: the trail says that a hold was set, and by whom.
        audit_event(
            action="privacy.legal_hold_set",
            object_type=LegalHold,
            object_id=hold.pk,
            changes={"patientId": str(patient.pk)},
            actor=set_by,
        )
    return hold


def legal_hold_release(*, hold: LegalHold, released_by: Actor | None) -> LegalHold:
    """End a legal hold: retention applies to the patient's records again."""
    with transaction.atomic():
        locked = LegalHold.objects.select_for_update().get(pk=hold.pk)
        if not locked.is_active:
            return locked
        locked.is_active = False
        locked.released_at = timezone.now()
        locked.save(update_fields=["is_active", "released_at", "updated_at"])
        audit_event(
            action="privacy.legal_hold_released",
            object_type=LegalHold,
            object_id=locked.pk,
            changes={"patientId": str(locked.patient_id)},
            actor=released_by,
        )
    return locked
