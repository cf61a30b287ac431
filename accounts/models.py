"""The custom user (email login, UUID id, role) and the encrypted patient profile."""

from __future__ import annotations

import re
import uuid
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from amrutam.common.fields import EncryptedDateField, EncryptedTextField, blind_index_values
from amrutam.common.models import BaseModel
from amrutam.common.roles import Role as Role  # the enum every app imports from here


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("role", Role.PATIENT)
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        # `createsuperuser --noinput` passes only the email and password.
        extra.setdefault("name", (email or "").split("@")[0][:150] or "Administrator")
        extra["role"] = Role.ADMIN
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(max_length=254, unique=True)
    name = models.CharField(max_length=150)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.PATIENT)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    # Every token carries the version it was issued under; bumping it (password
    # change, deactivation, role change) ends all of the user's tokens at once.
    token_version = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    # The name defaults from the email, so `createsuperuser --noinput` needs only
    # DJANGO_SUPERUSER_EMAIL and DJANGO_SUPERUSER_PASSWORD.
    REQUIRED_FIELDS: ClassVar[list[str]] = []
    # Mirrored by the authentication cache: saving any of them republishes the
    # cached state (accounts.auth_state, connected in AccountsConfig.ready).
    AUTH_STATE_FIELDS = frozenset({"is_active", "role", "token_version"})

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="accounts_user_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def is_patient(self) -> bool:
        return self.role == Role.PATIENT

    @property
    def is_doctor(self) -> bool:
        return self.role == Role.DOCTOR

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


PHONE_NOISE = re.compile(r"[\s().-]")


class PatientProfile(BaseModel):
    """A patient's health profile. Every value is PHI and stored encrypted."""

    # Keyed-hash column -> the encrypted field it indexes (read by key rotation too).
    BLIND_INDEXES: ClassVar[dict[str, str]] = {"phone_hash": "phone"}
    PHI_FIELDS = (
        "phone",
        "date_of_birth",
        "gender",
        "blood_group",
        "allergies",
        "medical_history",
    )

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="patient_profile")
    phone = EncryptedTextField(null=True, blank=True)
    # Keyed hash of the normalised phone number, so staff can find a patient by
    # phone without the number being stored in clear.
    phone_hash = models.CharField(max_length=64, null=True, blank=True, db_index=True)  # noqa: DJ001
    date_of_birth = EncryptedDateField(null=True, blank=True)
    gender = EncryptedTextField(null=True, blank=True)
    blood_group = EncryptedTextField(null=True, blank=True)
    allergies = EncryptedTextField(null=True, blank=True)
    medical_history = EncryptedTextField(null=True, blank=True)

    class Meta:
        permissions = [("view_phi", "Can view patients' health information")]

    def __str__(self) -> str:
        return f"Profile of {self.user_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The hash columns are derived from the encrypted values they index; they are
        # recomputed whenever their source is written, whoever writes it.
        update_fields = kwargs.get("update_fields")
        hashes = {
            h: s
            for h, s in self.BLIND_INDEXES.items()
            if update_fields is None or s in update_fields
        }
        for hash_field, value in blind_index_values(self).items():
            if hash_field in hashes:
                setattr(self, hash_field, value)
        if update_fields is not None and hashes:
            kwargs["update_fields"] = {*update_fields, *hashes}
        super().save(*args, **kwargs)

    @classmethod
    def blind_index_input(cls, source: str, value: Any) -> str:
        """Normalise a value before hashing: a phone number is compared digits-only."""
        text = str(value).strip()
        if source == "phone":
            return PHONE_NOISE.sub("", text)
        return text
