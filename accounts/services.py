"""Writes of the accounts app: registration, login, profile, password and deactivation."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction

from accounts.errors import CurrentPasswordIncorrect, EmailTaken, InvalidCredentials
from accounts.mfa import mfa_enabled
from accounts.mfa_login import mfa_token_issue
from accounts.models import PatientProfile, Role, User
from accounts.selectors import user_get_by_email
from accounts.signals import role_assigned
from accounts.tokens import TokenPair, token_pair_for, token_revoke, tokens_revoke_all
from amrutam.common.exceptions import PermissionDenied, ValidationFailed
from amrutam.common.metrics import LOGIN_FAILURES
from amrutam.common.typing import Actor
from audit.services import audit_event

UNSET: Any = object()


@dataclass(frozen=True)
class LoginResult:
    """Tokens, or (for a user with MFA on) an mfaToken for the second step."""

    user: User
    tokens: TokenPair | None = None
    mfa_token: str | None = None


@lru_cache(maxsize=4)
def _dummy_hash(hasher_config: tuple[str, ...]) -> str:
    return make_password(secrets.token_urlsafe(16))


def _check_password_of_nobody(password: str) -> None:
    # An unknown email costs the same hashing work as a wrong password, so response
    # time does not tell which emails have accounts.
    check_password(password, _dummy_hash(tuple(settings.PASSWORD_HASHERS)))


def _password_errors(password: str, user: User, field: str) -> None:
    try:
        validate_password(password, user=user)
    except DjangoValidationError as exc:
        raise ValidationFailed(errors={field: list(exc.messages)}) from exc


def _ensure_role_profile(user: User) -> None:
    if user.role == Role.PATIENT:
        PatientProfile.objects.get_or_create(user=user)
    # Other roles' profiles belong to the apps above accounts, which listen for this
    # (doctors creates the DoctorProfile); it runs in the caller's transaction.
    role_assigned.send(sender=User, user=user)


def user_register(*, email: str, password: str, name: str, role: str = Role.PATIENT) -> User:
    """Create a patient or (unverified) doctor account.

    Raises PermissionDenied for ADMIN, ValidationFailed for a weak password and
    EmailTaken when the email is in use in any letter case.
    """
    if role == Role.ADMIN:
        raise PermissionDenied(
            "Administrator accounts are created by operators, not by registration."
        )
    user = User(email=email.strip().lower(), name=name.strip(), role=role)
    _password_errors(password, user, "password")
    if user_get_by_email(email=user.email) is not None:
        raise EmailTaken()
    user.set_password(password)
    # Uniqueness is left to the database: a concurrent registration of the same
    # email fails on the case-insensitive unique index and is answered 409.
    user.full_clean(exclude=["password"], validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            user.save()
            _ensure_role_profile(user)
            audit_event(
                action="auth.registered",
                object_type=User,
                object_id=user.pk,
                changes={"role": user.role},
                actor=user,
            )
    except IntegrityError:
        if user_get_by_email(email=user.email) is not None:
            raise EmailTaken() from None
        raise
    return user


def user_login(*, email: str, password: str) -> LoginResult:
    """Check the credentials and issue a token pair.

    Raises InvalidCredentials, the same for an unknown email, a wrong password and
    an inactive account.
    """
    user = user_get_by_email(email=email.strip())
    if user is None:
        _check_password_of_nobody(password)
    # The password is checked even for an inactive account, so that timing does not
    # tell inactive accounts apart either.
    if user is None or not user.check_password(password) or not user.is_active:
        LOGIN_FAILURES.inc()
        # The attempted email is not recorded for unknown accounts: it may be a
        # mistyped password pasted into the email field.
        audit_event(
            action="auth.login_failed",
            object_type=User,
            object_id=user.pk if user else None,
            actor=None,
        )
        raise InvalidCredentials()
    if mfa_enabled(user=user):
        # The password alone opens nothing: the login ends at POST /auth/mfa/verify.
        with transaction.atomic():
            mfa_token = mfa_token_issue(user=user)
            audit_event(
                action="auth.password_accepted", object_type=User, object_id=user.pk, actor=user
            )
        return LoginResult(user=user, mfa_token=mfa_token)
    with transaction.atomic():
        tokens = token_pair_for(user)
        audit_event(action="auth.login", object_type=User, object_id=user.pk, actor=user)
    return LoginResult(user=user, tokens=tokens)


def user_logout(*, user: User, refresh_token: str) -> None:
    """Revoke the caller's refresh token. Raises ValidationFailed if it is not theirs."""
    with transaction.atomic():
        token_revoke(raw=refresh_token, user=user)
        audit_event(action="auth.logout", object_type=User, object_id=user.pk, actor=user)


def _revoke_everything(user: User) -> None:
    """End every token of `user` (the caller holds the row lock)."""
    user.token_version += 1
    tokens_revoke_all(user=user)


def user_password_change(*, user: User, current_password: str, new_password: str) -> None:
    """Set a new password after checking the current one; revoke every token of the user.

    Raises CurrentPasswordIncorrect, or ValidationFailed for a weak new password.
    """
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if not locked.check_password(current_password):
            raise CurrentPasswordIncorrect()
        _password_errors(new_password, locked, "newPassword")
        locked.set_password(new_password)
        _revoke_everything(locked)
        locked.save(update_fields=["password", "token_version", "updated_at"])
        audit_event(
            action="auth.password_changed", object_type=User, object_id=locked.pk, actor=user
        )


def user_password_set(*, user: User, password: str | None, changed_by: Actor | None) -> User:
    """Set (or, with None, disable) `user`'s password on an operator's behalf; revoke tokens."""
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if password is None:
            locked.set_unusable_password()
        else:
            locked.set_password(password)
        _revoke_everything(locked)
        locked.save(update_fields=["password", "token_version", "updated_at"])
        audit_event(
            action="auth.password_changed",
            object_type=User,
            object_id=locked.pk,
            actor=changed_by,
        )
    return locked


def user_deactivate(*, user: User, deactivated_by: Actor | None) -> User:
    """Deactivate `user`: every token they hold fails from the next request on."""
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if not locked.is_active:
            return locked
        locked.is_active = False
        _revoke_everything(locked)
        locked.save(update_fields=["is_active", "token_version", "updated_at"])
        audit_event(
            action="user.deactivated", object_type=User, object_id=locked.pk, actor=deactivated_by
        )
    return locked


def user_reactivate(*, user: User, reactivated_by: Actor | None) -> User:
    """Let a deactivated user log in again (tokens from before stay revoked)."""
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if locked.is_active:
            return locked
        locked.is_active = True
        locked.save(update_fields=["is_active", "updated_at"])
        audit_event(
            action="user.reactivated", object_type=User, object_id=locked.pk, actor=reactivated_by
        )
    return locked


def user_admin_save(*, user: User, changed_fields: list[str], changed_by: Actor | None) -> User:
    """Save a user created or edited in the back office.

    A new user gets its role's profile; deactivation or a role change ends the
    user's tokens.
    """
    with transaction.atomic():
        if user._state.adding:
            user.email = user.email.strip().lower()
            user.save()
            _ensure_role_profile(user)
            audit_event(
                action="user.created",
                object_type=User,
                object_id=user.pk,
                changes={"role": user.role},
                actor=changed_by,
            )
            return user
        before = User.objects.select_for_update().get(pk=user.pk)
        user.token_version = before.token_version
        deactivated = before.is_active and not user.is_active
        if deactivated or before.role != user.role:
            _revoke_everything(user)
        if before.role != user.role:
            _ensure_role_profile(user)
        user.save()
        if deactivated:
            audit_event(
                action="user.deactivated", object_type=User, object_id=user.pk, actor=changed_by
            )
        elif user.is_active and not before.is_active:
            audit_event(
                action="user.reactivated", object_type=User, object_id=user.pk, actor=changed_by
            )
        if changed_fields:
            audit_event(
                action="user.updated",
                object_type=User,
                object_id=user.pk,
                changes={"fields": sorted(changed_fields)},
                actor=changed_by,
            )
    return user


def user_update_me(*, user: User, name: str = UNSET, profile: dict[str, Any] | None = None) -> User:
    """Change the caller's name and/or the fields of their health profile named in `profile`.

    Raises ValidationFailed if a non-patient sends a profile.
    """
    with transaction.atomic():
        # The user row lock serialises concurrent edits of one account, the creation
        # of a missing profile included.
        locked = User.objects.select_for_update().get(pk=user.pk)
        if name is not UNSET and name != locked.name:
            locked.name = name
            locked.full_clean(
                exclude=["password"], validate_unique=False, validate_constraints=False
            )
            locked.save(update_fields=["name", "updated_at"])
        if profile is not None:
            if locked.role != Role.PATIENT:
                raise ValidationFailed(errors={"profile": ["Only patients have a health profile."]})
            _profile_update(locked, profile, updated_by=user)
    return locked


def _profile_update(user: User, values: dict[str, Any], *, updated_by: Actor | None) -> None:
    profile, _ = PatientProfile.objects.get_or_create(user=user)
    changed = sorted(f for f, v in values.items() if getattr(profile, f) != v)
    if not changed:
        return
    for field in changed:
        setattr(profile, field, values[field])
    profile.full_clean(exclude=["user"])
    # Only the named columns are written: a concurrent edit of other fields is kept.
    profile.save(update_fields=[*changed, "updated_at"])
    audit_event(
        action="patient_profile.updated",
        object_type=PatientProfile,
        object_id=profile.pk,
        # Field names only: the values are PHI.
        changes={"fields": changed},
        actor=updated_by,
    )


def user_erase_identity(*, user: User, erased_by: Actor | None) -> User:
    """Deactivate `user` and erase their name, email, password and health profile (the
    keyed phone hash too); every token fails from the next request on. The caller holds
    the user's row lock. The audit trail keeps the id: names and emails are masked there.
    """
    user.is_active = False
    user.email = f"erased-{user.pk.hex}@erased.invalid"
    user.name = "Erased patient"
    user.set_unusable_password()
    _revoke_everything(user)
    user.save(
        update_fields=["is_active", "email", "name", "password", "token_version", "updated_at"]
    )
    profile = PatientProfile.objects.filter(user_id=user.pk).first()
    if profile is not None:
        for field in PatientProfile.PHI_FIELDS:
            setattr(profile, field, None)
        # Saving `phone` recomputes `phone_hash` from it: None.
        profile.save(update_fields=[*PatientProfile.PHI_FIELDS, "updated_at"])
    _admin_log_forget(user)
    audit_event(action="user.erased", object_type=User, object_id=user.pk, actor=erased_by)
    return user


def _admin_log_forget(user: User) -> None:
    # The back office's own history names an edited user by str(user), the email.
    from django.contrib.admin.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(User), object_id=str(user.pk)
    ).update(object_repr=str(user.pk))
