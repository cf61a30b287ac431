"""Factories for users of every role.

Users of a role in MFA_REQUIRED_ROLES (doctors and admins by default) get a confirmed
authenticator, as they would in production; pass `mfa=False` for one who has not
enrolled. `totp_code(user)` gives the current code of a user's authenticator.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import factory
import pyotp
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from accounts.models import TOTPDevice, User

DEFAULT_PASSWORD = "Correct-Horse-42!"


def totp_enrol(user: User, *, secret: str | None = None) -> TOTPDevice:
    """Give `user` a confirmed authenticator (no code used yet)."""
    device, _ = TOTPDevice.objects.update_or_create(
        user=user,
        defaults={
            "secret": secret or pyotp.random_base32(),
            "confirmed_at": timezone.now(),
            "last_step": None,
        },
    )
    return device


def totp_code(user_or_secret: Any, at: dt.datetime | None = None) -> str:
    """The code of `user`'s authenticator (or of a secret) at `at` (default: now)."""
    secret = user_or_secret
    if not isinstance(user_or_secret, str):
        secret = TOTPDevice.objects.get(user_id=user_or_secret.pk).secret
    return pyotp.TOTP(secret).at(at or timezone.now())


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    name = factory.Sequence(lambda n: f"User {n}")
    role = "PATIENT"
    is_active = True
    password = factory.LazyFunction(lambda: make_password(DEFAULT_PASSWORD))

    @factory.post_generation
    def mfa(self, create: bool, extracted: bool | None, **kwargs: Any) -> None:
        wanted = extracted if extracted is not None else self.role in settings.MFA_REQUIRED_ROLES
        if create and wanted:
            totp_enrol(self)
