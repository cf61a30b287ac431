"""Receivers of the accounts app's signals."""

from __future__ import annotations

from typing import Any

from accounts.models import Role, User

from .models import DoctorProfile


def doctor_profile_ensure(sender: Any, user: User, **kwargs: Any) -> None:
    """A user who becomes a doctor gets an unverified profile, once."""
    if user.role != Role.DOCTOR:
        return
    if not DoctorProfile.objects.filter(user=user).exists():
        profile = DoctorProfile(user=user, is_verified=False)
        profile.full_clean()
        profile.save()
