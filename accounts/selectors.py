"""Reads of users and patient profiles."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet
from django.db.models.functions import Lower

from accounts.models import PatientProfile, Role, TOTPDevice, User
from amrutam.common.exceptions import NotFound
from amrutam.common.fields import blind_index_lookup
from audit.services import phi_access_record


def user_get(*, pk: Any) -> User:
    """The user with id `pk`. Raises NotFound."""
    user = User.objects.filter(pk=pk).first()
    if user is None:
        raise NotFound()
    return user


def user_ids_inactive(*, ids: Iterable[Any]) -> set[Any]:
    """Those of `ids` whose accounts are deactivated (or erased)."""
    wanted = set(ids)
    if not wanted:
        return set()
    return set(User.objects.filter(pk__in=wanted, is_active=False).values_list("pk", flat=True))


def user_get_by_email(*, email: str) -> User | None:
    """The user whose email equals `email` in any case, or None."""
    # Filtering on lower(email) uses the case-insensitive unique index.
    return User.objects.alias(email_lower=Lower("email")).filter(email_lower=email.lower()).first()


def user_get_with_profile(*, pk: Any) -> User:
    """The user with id `pk`, its patient profile and MFA state in one query. Raises NotFound."""
    confirmed = TOTPDevice.objects.filter(user_id=OuterRef("pk"), confirmed_at__isnull=False)
    user = (
        User.objects.select_related("patient_profile")
        .annotate(mfa_on=Exists(confirmed))
        .filter(pk=pk)
        .first()
    )
    if user is None:
        raise NotFound()
    return user


def patient_profile_get_recorded(*, user: User, viewer: Any) -> PatientProfile | None:
    """`user`'s health profile (None for non-patients or none yet); records the PHI read."""
    if user.role != Role.PATIENT:
        return None
    try:
        profile: PatientProfile | None = user.patient_profile
    except PatientProfile.DoesNotExist:
        profile = None
    phi_access_record(
        action="patient_profile.viewed",
        object_type=PatientProfile,
        object_id=profile.pk if profile else user.pk,
        subject_id=user.pk,
        actor=viewer,
    )
    return profile


def patient_profile_list_by_phone(*, phone: str) -> QuerySet[PatientProfile]:
    """Profiles whose phone equals `phone` (compared digits-only, via the keyed hash)."""
    hashes = blind_index_lookup(PatientProfile, "phone", phone)
    return PatientProfile.objects.filter(phone_hash__in=hashes).select_related("user")
