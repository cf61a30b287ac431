"""Clinical records of a consultation, by its doctor: notes and the prescription."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from accounts.models import Role
from amrutam.common.exceptions import InvalidState
from amrutam.common.typing import Actor
from audit.services import audit_event

from ..errors import PrescriptionExists
from ..models import CLINICAL_STATUSES, ClinicalNotes, Consultation, Prescription
from ._base import field_checks, lock_visible, require_role


@dataclass(frozen=True)
class NotesWrite:
    notes: ClinicalNotes
    created: bool


def _lock_for_clinical_write(*, consultation_id: Any, doctor_user: Actor) -> Consultation:
    require_role(
        doctor_user, (Role.DOCTOR,), "Only the consultation's doctor can write clinical records."
    )
    consultation = lock_visible(consultation_id=consultation_id, user=doctor_user, with_slot=False)
    if consultation.status not in CLINICAL_STATUSES:
        raise InvalidState("Clinical records belong to an active or completed consultation.")
    return consultation


def consultation_notes_write(
    *,
    consultation_id: Any,
    written_by: Actor,
    symptoms: str,
    diagnosis: str,
    advice: str,
    follow_up_in_days: int | None = None,
) -> NotesWrite:
    """Create or replace the notes of an ACTIVE or COMPLETED consultation, by its doctor.
    Raise NotFound, PermissionDenied or InvalidState."""
    with transaction.atomic():
        consultation = _lock_for_clinical_write(
            consultation_id=consultation_id, doctor_user=written_by
        )
        # The consultation lock makes "read, then create or update" safe: two first
        # writes of the same notes run one after the other.
        notes = ClinicalNotes.objects.filter(consultation=consultation).first()
        created = notes is None
        if notes is None:
            notes = ClinicalNotes(consultation=consultation, author=consultation.doctor)
        notes.symptoms = symptoms
        notes.diagnosis = diagnosis
        notes.advice = advice
        notes.follow_up_in_days = follow_up_in_days
        field_checks(notes)
        notes.save()
        audit_event(
            action="consultation.notes_written",
            object_type="consultation",
            object_id=consultation.pk,
            # Names of what was written, never its content.
            changes={"fields": ["symptoms", "diagnosis", "advice", "followUpInDays"]},
            actor=written_by,
        )
    return NotesWrite(notes=notes, created=created)


def consultation_prescription_issue(
    *,
    consultation_id: Any,
    issued_by: Actor,
    items: list[dict[str, Any]],
    notes: str | None = None,
) -> Prescription:
    """Issue the one prescription of an ACTIVE or COMPLETED consultation, by its doctor,
    signed with the doctor's name and registration number. Raise NotFound,
    PermissionDenied, InvalidState, PrescriptionExists or ValidationError (no items)."""
    with transaction.atomic():
        consultation = _lock_for_clinical_write(
            consultation_id=consultation_id, doctor_user=issued_by
        )
        if Prescription.objects.filter(consultation=consultation).exists():
            raise PrescriptionExists()
        doctor = consultation.doctor
        prescription = Prescription(
            consultation=consultation,
            doctor=doctor,
            doctor_name=doctor.user.name,
            registration_number=doctor.registration_number,
            items=items,
            notes=notes or None,
            item_count=len(items),
        )
        field_checks(prescription)
        try:
            prescription.save(force_insert=True)
        except IntegrityError as exc:
            # The one-to-one column is unique: a write that skipped the lock lost.
            raise PrescriptionExists() from exc
        audit_event(
            action="consultation.prescription_issued",
            object_type="consultation",
            object_id=consultation.pk,
            changes={"prescription": [None, str(prescription.pk)], "itemCount": len(items)},
            actor=issued_by,
        )
    return prescription
