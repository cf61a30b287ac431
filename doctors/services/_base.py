"""Helpers shared by the doctors services: the doctor row lock, model validation, inserts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction

from amrutam.common.exceptions import NotFound, ValidationFailed

from ..errors import SlotOverlap
from ..models import AvailabilitySlot, DoctorProfile

MIN_SLOT = dt.timedelta(minutes=5)
MAX_SLOT = dt.timedelta(hours=4)
MAX_SLOTS_PER_REQUEST = 500
MAX_RULES = 100
MAX_GENERATE_DAYS = 366
MAX_TIME_OFF = dt.timedelta(days=366)
OVERLAP_CONSTRAINT = "doctors_slot_no_overlap"

# Model field -> name on the wire, for errors raised by model validation.
WIRE_NAMES = {
    "specialization": "specialization",
    "qualifications": "qualifications",
    "registration_number": "registrationNumber",
    "languages": "languages",
    "consultation_fee": "consultationFee",
    "experience_years": "experienceYears",
    "bio": "bio",
    "timezone": "timezone",
    "slot_minutes": "slotMinutes",
}
PROFILE_FIELDS = frozenset(WIRE_NAMES)


def lock_doctor(doctor_id: Any) -> DoctorProfile:
    doctor = DoctorProfile.objects.select_for_update(no_key=True).filter(pk=doctor_id).first()
    if doctor is None:
        raise NotFound("No such doctor.")
    return doctor


def full_clean_for_api(instance: Any, **kwargs: Any) -> None:
    """Model validation with errors named as on the wire."""
    try:
        instance.full_clean(**kwargs)
    except DjangoValidationError as exc:
        errors = {
            WIRE_NAMES.get(field, field): [str(m) for m in messages]
            for field, messages in exc.message_dict.items()
        }
        raise ValidationFailed(errors=errors) from exc


def _is_overlap_violation(exc: IntegrityError) -> bool:
    diag = getattr(exc.__cause__, "diag", None)
    return getattr(diag, "constraint_name", None) == OVERLAP_CONSTRAINT


def insert_slots(slots: list[AvailabilitySlot]) -> list[AvailabilitySlot]:
    """Insert `slots` in one savepoint; an overlap the constraint catches is a 409."""
    try:
        with transaction.atomic():
            return AvailabilitySlot.objects.bulk_create(slots, batch_size=500)
    except IntegrityError as exc:
        if _is_overlap_violation(exc):
            raise SlotOverlap() from exc
        raise
