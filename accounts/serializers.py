"""Input and output shapes of the accounts endpoints (camelCase on the wire)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import PatientProfile, Role, User
from amrutam.common.openapi_rules import date_schema

PHONE_RE = re.compile(r"^\+?[0-9][0-9 ().-]{5,30}$")
BLOOD_GROUPS = ("A+", "A-", "B+", "B-", "AB+", "AB-", "O+", "O-")
TEXT_MAX = 5000


class StrictCharField(serializers.CharField):
    """A string field that refuses numbers and booleans instead of turning them into text."""

    default_error_messages = {"invalid": "Must be a string."}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictEmailField(serializers.EmailField):
    default_error_messages = {"invalid": "Enter a valid email address."}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data).strip().lower()


class StrictChoiceField(serializers.ChoiceField):
    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str):
            self.fail("invalid_choice", input=data)
        return super().to_internal_value(data)


# --- Input ------------------------------------------------------------------------


@extend_schema_field(
    {
        "type": "string",
        "minLength": 8,
        "maxLength": 128,
        # At least one letter (so not entirely numeric), no NUL character. The pattern
        # repeats the length, so a value generated from the pattern alone is also valid.
        "pattern": "^(?=[^\\x00]*[A-Za-z])[^\\x00]{8,128}$",
        "description": (
            "8 to 128 characters with at least one letter; not a commonly used password "
            "and not too similar to the email or name (Django's password validators)."
        ),
    }
)
class NewPasswordField(StrictCharField):
    """A password being set: Django's validators run on it in the service."""


class RegisterInputSerializer(serializers.Serializer):
    email = StrictEmailField(max_length=254)
    password = NewPasswordField(max_length=128, trim_whitespace=False)
    name = StrictCharField(max_length=150)
    role = StrictChoiceField(choices=Role.choices, default=Role.PATIENT)


class LoginInputSerializer(serializers.Serializer):
    email = StrictEmailField(max_length=254)
    password = StrictCharField(max_length=128, trim_whitespace=False)


@extend_schema_field({"type": "string", "pattern": "^[0-9]{6}$", "maxLength": 16})
class TOTPCodeField(StrictCharField):
    """Six digits, as an authenticator app shows them (spaces around are ignored)."""

    default_error_messages = {
        "invalid": "Must be a string.",
        "format": "Enter the 6-digit code from the authenticator app.",
    }

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        if not re.fullmatch(r"[0-9]{6}", value):
            self.fail("format")
        return value


@extend_schema_field(
    {"type": "string", "pattern": "^[A-Za-z0-9]{5}-?[A-Za-z0-9]{5}$", "maxLength": 32}
)
class RecoveryCodeField(StrictCharField):
    """A recovery code as issued (`abcde-fghjk`); case, spaces and dashes are ignored."""

    default_error_messages = {
        "invalid": "Must be a string.",
        "format": "Enter a recovery code: 10 letters and digits, e.g. abcde-fghjk.",
    }

    def to_internal_value(self, data: Any) -> str:
        value = re.sub(r"[\s-]", "", super().to_internal_value(data)).lower()
        if not re.fullmatch(r"[a-z0-9]{10}", value):
            self.fail("format")
        return value


class SecondFactorInputMixin:
    """Exactly one of `code` and `recoveryCode`."""

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        given = [k for k in ("code", "recoveryCode") if attrs.get(k) is not None]
        if len(given) != 1:
            message = ["Give either `code` or `recoveryCode`, not both."]
            if not given:
                message = ["Give `code` (from the authenticator app) or `recoveryCode`."]
            raise serializers.ValidationError({"code": message})
        return attrs


class MFAConfirmInputSerializer(serializers.Serializer):
    code = TOTPCodeField(max_length=16)


class MFAVerifyInputSerializer(SecondFactorInputMixin, serializers.Serializer):
    mfaToken = StrictCharField(max_length=4096)
    code = TOTPCodeField(max_length=16, required=False)
    recoveryCode = RecoveryCodeField(max_length=32, required=False)


class MFARemoveInputSerializer(SecondFactorInputMixin, serializers.Serializer):
    password = StrictCharField(max_length=128, trim_whitespace=False)
    code = TOTPCodeField(max_length=16, required=False)
    recoveryCode = RecoveryCodeField(max_length=32, required=False)


class RefreshTokenInputSerializer(serializers.Serializer):
    refreshToken = StrictCharField(max_length=4096)


class PasswordChangeInputSerializer(serializers.Serializer):
    currentPassword = StrictCharField(max_length=128, trim_whitespace=False)
    newPassword = NewPasswordField(max_length=128, trim_whitespace=False)


class StrictDateField(serializers.DateField):
    """YYYY-MM-DD only (no datetimes, numbers or other formats)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", input_formats=["%Y-%m-%d"], **kwargs)

    def to_internal_value(self, value: Any) -> dt.date:
        if not isinstance(value, str):
            self.fail("invalid", format="YYYY-MM-DD")
        return super().to_internal_value(value)


class NoUnknownFieldsMixin:
    """Refuse keys the serializer does not know (400), instead of ignoring them.

    A client that sends `email`, `role` or a misspelt field to PATCH /auth/me learns
    that nothing was changed, rather than believing it was.
    """

    # The schema says so (additionalProperties: false; amrutam/common/openapi_rules.py).
    refuses_unknown_fields = True

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, Mapping):
            # A list error is reported under the field's own name ("profile").
            raise serializers.ValidationError(["Expected a JSON object."])
        unknown = sorted(set(data) - set(self.fields))  # type: ignore[attr-defined]
        if unknown:
            raise serializers.ValidationError({key: ["Unknown field."] for key in unknown})
        return super().to_internal_value(data)  # type: ignore[misc]


@extend_schema_field(
    {
        "type": "string",
        "maxLength": 32,
        # PHONE_RE on a value with nothing to trim at either end.
        "pattern": r"^\+?[0-9][0-9 ().-]{4,29}[0-9().-]$",
        "description": "Digits, optionally a leading + and spaces, dashes, dots or brackets.",
    }
)
class PhoneField(StrictCharField):
    pass


@extend_schema_field(
    date_schema(
        dt.date(1900, 1, 1),
        # The service accepts birth dates up to today; the schema, up to the end of last
        # year, which it can state as a fixed pattern.
        dt.date.today().year - 1,
        "YYYY-MM-DD, from 1900-01-01 to today.",
    )
)
class BirthDateField(StrictDateField):
    pass


class ProfileInputSerializer(NoUnknownFieldsMixin, serializers.Serializer):
    """Any subset of the profile; `null` clears a value."""

    phone = PhoneField(max_length=32, allow_null=True, required=False)
    dateOfBirth = BirthDateField(source="date_of_birth", allow_null=True, required=False)
    gender = StrictCharField(max_length=32, allow_null=True, required=False)
    bloodGroup = StrictChoiceField(
        source="blood_group", choices=BLOOD_GROUPS, allow_null=True, required=False
    )
    allergies = StrictCharField(max_length=TEXT_MAX, allow_null=True, required=False)
    medicalHistory = StrictCharField(
        source="medical_history", max_length=TEXT_MAX, allow_null=True, required=False
    )

    def validate_phone(self, value: str | None) -> str | None:
        if value is not None and not PHONE_RE.match(value):
            raise serializers.ValidationError(
                "Enter a phone number: digits, optionally with a leading + and spaces or dashes."
            )
        return value

    def validate_dateOfBirth(self, value: dt.date | None) -> dt.date | None:
        if value is not None and not (dt.date(1900, 1, 1) <= value <= timezone.localdate()):
            raise serializers.ValidationError("Enter a date between 1900-01-01 and today.")
        return value


class MeUpdateInputSerializer(NoUnknownFieldsMixin, serializers.Serializer):
    name = StrictCharField(max_length=150, required=False)
    profile = ProfileInputSerializer(required=False)


# --- Output -----------------------------------------------------------------------


class ProfileOutputSerializer(serializers.Serializer):
    phone = serializers.CharField(allow_null=True)
    dateOfBirth = serializers.DateField(source="date_of_birth", allow_null=True, format="%Y-%m-%d")
    gender = serializers.CharField(allow_null=True)
    bloodGroup = serializers.CharField(source="blood_group", allow_null=True)
    allergies = serializers.CharField(allow_null=True)
    medicalHistory = serializers.CharField(source="medical_history", allow_null=True)


EMPTY_PROFILE = dict.fromkeys(ProfileOutputSerializer().fields)


class UserBaseOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    email = serializers.EmailField()
    name = serializers.CharField()
    role = serializers.ChoiceField(choices=Role.choices)
    createdAt = serializers.DateTimeField(source="created_at")


class UserOutputSerializer(UserBaseOutputSerializer):
    mfaEnabled = serializers.BooleanField(help_text="A confirmed authenticator is enrolled.")
    mfaEnrollmentRequired = serializers.BooleanField(
        help_text=(
            "The role must use MFA (MFA_REQUIRED_ROLES) and none is enrolled: every endpoint "
            "but /auth/me, /auth/mfa/*, /auth/logout and /auth/token/refresh answers 403 "
            "`mfa_enrollment_required` until it is."
        )
    )
    profile = ProfileOutputSerializer(required=False, help_text="Patients only.")


def user_data(
    user: User, profile: PatientProfile | None = None, *, mfa_enabled: bool | None = None
) -> dict[str, Any]:
    """The API's User object; patients carry their profile (nulls until set)."""
    from accounts.mfa import mfa_enabled as enabled_of
    from accounts.mfa import mfa_enrollment_required

    data = dict(UserBaseOutputSerializer(user).data)
    if mfa_enabled is None:
        mfa_enabled = getattr(user, "mfa_on", None)
    if mfa_enabled is None:
        mfa_enabled = enabled_of(user=user)
    data["mfaEnabled"] = mfa_enabled
    data["mfaEnrollmentRequired"] = mfa_enrollment_required(role=user.role, enabled=mfa_enabled)
    if user.role == Role.PATIENT:
        data["profile"] = (
            dict(ProfileOutputSerializer(profile).data) if profile else dict(EMPTY_PROFILE)
        )
    return data
