"""Profile changes by the doctor and verification by clinic staff."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from amrutam.common.exceptions import ValidationFailed
from amrutam.common.typing import Actor
from audit import services as audit_services

from ..cache import invalidate_availability
from ..models import DoctorProfile
from ..scheduling import is_valid_timezone
from ._base import PROFILE_FIELDS, WIRE_NAMES, full_clean_for_api, lock_doctor


@transaction.atomic
def doctor_profile_update(
    *, doctor: DoctorProfile, data: dict[str, Any], updated_by: Actor
) -> DoctorProfile:
    """Change the named profile fields. Raise ValidationFailed for a refused change."""
    if "is_verified" in data:
        raise ValidationFailed(
            errors={"isVerified": ["Verification is set by clinic staff, not by the doctor."]}
        )
    unknown = set(data) - PROFILE_FIELDS
    if unknown:
        raise ValueError(f"Not profile fields: {sorted(unknown)}")
    if "timezone" in data and not is_valid_timezone(data["timezone"]):
        raise ValidationFailed(errors={"timezone": ["Unknown IANA time zone."]})

    locked = lock_doctor(doctor.pk)
    if (
        locked.is_verified
        and "registration_number" in data
        and data["registration_number"] != locked.registration_number
    ):
        raise ValidationFailed(
            errors={
                "registrationNumber": [
                    "A verified doctor's registration number is changed by clinic staff."
                ]
            }
        )
    changed = sorted(f for f, v in data.items() if getattr(locked, f) != v)
    if not changed:
        return locked
    for field in changed:
        setattr(locked, field, data[field])
    full_clean_for_api(locked, exclude=["user", "verified_by"])
    locked.save(update_fields=[*changed, "updated_at"])
    audit_services.audit_event(
        action="doctor.profile_updated",
        object_type="doctor",
        object_id=locked.pk,
        changes={"fields": [WIRE_NAMES[f] for f in changed]},
        actor=updated_by,
    )
    # The availability answer names the doctor's time zone.
    invalidate_availability(locked.pk)
    return locked


@transaction.atomic
def doctor_verify(*, doctor_id: Any, verified_by: Actor | None) -> DoctorProfile:
    """Verify a doctor, so it is listed and bookable; a no-op if already verified.

    Raise NotFound for an unknown doctor, ValidationFailed if it has no registration number.
    """
    doctor = lock_doctor(doctor_id)
    if not doctor.registration_number.strip():
        raise ValidationFailed(
            "A registration number is required before verification.",
            errors={"registrationNumber": ["Required before the doctor can be verified."]},
        )
    if doctor.is_verified:
        return doctor
    doctor.is_verified = True
    doctor.verified_at = timezone.now()
    doctor.verified_by_id = verified_by.pk if verified_by is not None else None
    doctor.save(update_fields=["is_verified", "verified_at", "verified_by", "updated_at"])
    audit_services.audit_event(
        action="doctor.verified",
        object_type="doctor",
        object_id=doctor.pk,
        changes={"isVerified": [False, True]},
        actor=verified_by,
    )
    invalidate_availability(doctor.pk)
    return doctor
