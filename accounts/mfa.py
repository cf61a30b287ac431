"""TOTP devices and recovery codes: enrolment, removal, reset and checking a code.

Codes are RFC 6238 (pyotp): 30 s steps, 6 digits, SHA-1, one step of clock drift
either way. A code is accepted once: the device keeps the newest accepted time step
and a conditional UPDATE refuses that step or an older one, so two requests racing
with the same code cannot both pass. Recovery codes are kept as keyed hashes
(HMAC-SHA256 under the Django secret key) and spent by a conditional UPDATE too.
"""

from __future__ import annotations

import datetime as dt
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Any

import pyotp
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac

from accounts.auth_state import auth_state_changed
from accounts.errors import InvalidMFACode, PasswordIncorrect
from accounts.models import RecoveryCode, TOTPDevice, User
from accounts.tokens import tokens_revoke_all
from amrutam.common.exceptions import InvalidState
from audit.services import audit_event

STEP_SECONDS = 30
DIGITS = 6
DRIFT_STEPS = 1
RECOVERY_CODES = 10
# 10 characters of an alphabet without look-alikes (no i, l, o, 0, 1): 49 bits each.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_LENGTH = 10
TOTP_CODE_RE = re.compile(r"^[0-9]{6}$")
RECOVERY_CODE_RE = re.compile(r"^[a-z0-9]{10}$")
_RECOVERY_NOISE = re.compile(r"[\s-]")
_HASH_SALT = "amrutam.accounts.mfa.recovery-code"


def now() -> dt.datetime:
    """The clock codes are checked against (tests step it)."""
    return timezone.now()


@dataclass(frozen=True)
class Enrolment:
    secret: str
    otpauth_uri: str


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS, issuer=settings.MFA_ISSUER)


def otpauth_uri(secret: str, email: str) -> str:
    return _totp(secret).provisioning_uri(name=email, issuer_name=settings.MFA_ISSUER)


def _matching_step(secret: str, code: str) -> int | None:
    """The time step (within the drift window) whose code is `code`, else None."""
    totp = _totp(secret)
    current = totp.timecode(now())
    for step in (current, current - DRIFT_STEPS, current + DRIFT_STEPS):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def normalise_recovery_code(code: str) -> str:
    return _RECOVERY_NOISE.sub("", code).lower()


def _recovery_hashes(user_id: Any, code: str) -> list[str]:
    """The code's keyed hash under the secret key and each fallback key."""
    value = f"{user_id}:{normalise_recovery_code(code)}"
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return [
        salted_hmac(_HASH_SALT, value, secret=key, algorithm="sha256").hexdigest() for key in keys
    ]


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def mfa_enabled(*, user: Any) -> bool:
    return TOTPDevice.objects.filter(user_id=user.pk, confirmed_at__isnull=False).exists()


def mfa_setup(*, user: Any) -> Enrolment:
    """Start (or restart) an enrolment with a new secret. Raises InvalidState if MFA is on."""
    secret = pyotp.random_base32()
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        device = TOTPDevice.objects.filter(user=locked).first()
        if device is not None and device.is_confirmed:
            raise InvalidState("Multi-factor authentication is already on.")
        if device is None:
            device = TOTPDevice(user=locked)
        device.secret = secret
        device.last_step = None
        device.full_clean(exclude=["user"])
        device.save()
    return Enrolment(secret=secret, otpauth_uri=otpauth_uri(secret, locked.email))


def _spend_step(device: TOTPDevice, step: int, *, confirm: bool) -> bool:
    """Record `step` as used; False if it (or a newer one) was used already."""
    rows = TOTPDevice.objects.filter(pk=device.pk).filter(
        Q(last_step__isnull=True) | Q(last_step__lt=step)
    )
    if confirm:
        rows = rows.filter(confirmed_at__isnull=True)
        return rows.update(last_step=step, confirmed_at=now(), updated_at=now()) == 1
    rows = rows.filter(confirmed_at__isnull=False)
    return rows.update(last_step=step, updated_at=now()) == 1


def mfa_enrolment_confirm(*, user: Any, code: str) -> list[str]:
    """Turn MFA on with the first code of the pending enrolment; return 10 recovery codes.

    Raises InvalidState when there is no pending enrolment (or MFA is on already) and
    InvalidMFACode for a wrong code.
    """
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user_id=user.pk).first()
        if device is None or device.is_confirmed:
            raise InvalidState("Start an enrolment with POST /auth/mfa/totp/setup first.")
        step = _matching_step(device.secret, code)
        if step is None or not _spend_step(device, step, confirm=True):
            raise InvalidMFACode()
        codes = [_new_recovery_code() for _ in range(RECOVERY_CODES)]
        RecoveryCode.objects.filter(user_id=user.pk).delete()
        RecoveryCode.objects.bulk_create(
            [
                RecoveryCode(user_id=user.pk, code_hash=_recovery_hashes(user.pk, c)[0])
                for c in codes
            ]
        )
        audit_event(action="mfa.enrolled", object_type=User, object_id=user.pk, actor=user)
        auth_state_changed(user.pk)
    return codes


@dataclass(frozen=True)
class SecondFactor:
    code: str | None = None
    recovery_code: str | None = None


def mfa_check(*, user: Any, factor: SecondFactor) -> str:
    """Accept a TOTP code or a recovery code of `user` once; return which kind passed.

    Raises InvalidMFACode (after recording the failure in the audit trail) when the
    code is wrong, replayed, or the recovery code is unknown or spent.
    """
    kind = _check(user, factor)
    if kind is None:
        with transaction.atomic():
            audit_event(
                action="mfa.code_failed",
                object_type=User,
                object_id=user.pk,
                changes={"kind": "recovery_code" if factor.recovery_code else "totp"},
                actor=user,
            )
        raise InvalidMFACode()
    if kind == "recovery_code":
        with transaction.atomic():
            remaining = RecoveryCode.objects.filter(user_id=user.pk, used_at__isnull=True).count()
            audit_event(
                action="mfa.recovery_code_used",
                object_type=User,
                object_id=user.pk,
                changes={"remaining": remaining},
                actor=user,
            )
    return kind


def _check(user: Any, factor: SecondFactor) -> str | None:
    device = TOTPDevice.objects.filter(user_id=user.pk, confirmed_at__isnull=False).first()
    if device is None:
        return None
    if factor.code is not None:
        step = _matching_step(device.secret, factor.code)
        if step is not None and _spend_step(device, step, confirm=False):
            return "totp"
        return None
    if factor.recovery_code is not None:
        spent = RecoveryCode.objects.filter(
            user_id=user.pk,
            code_hash__in=_recovery_hashes(user.pk, factor.recovery_code),
            used_at__isnull=True,
        ).update(used_at=now(), updated_at=now())
        return "recovery_code" if spent == 1 else None
    return None


def _remove(user: User) -> bool:
    deleted, _ = TOTPDevice.objects.filter(user_id=user.pk).delete()
    RecoveryCode.objects.filter(user_id=user.pk).delete()
    return deleted > 0


def mfa_remove(*, user: Any, password: str, factor: SecondFactor) -> None:
    """Turn MFA off after the password and a code; every refresh token of the user is revoked.

    Raises PasswordIncorrect, InvalidMFACode, or InvalidState when MFA is not on.
    """
    if not mfa_enabled(user=user):
        raise InvalidState("Multi-factor authentication is not on.")
    locked_user = User.objects.get(pk=user.pk)
    if not locked_user.check_password(password):
        raise PasswordIncorrect()
    mfa_check(user=locked_user, factor=factor)
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        _remove(locked)
        # A new token version ends the access tokens and back-office sessions that
        # were opened with the second factor too, not only the refresh tokens.
        locked.token_version += 1
        tokens_revoke_all(user=locked)
        locked.save(update_fields=["token_version", "updated_at"])
        audit_event(action="mfa.removed", object_type=User, object_id=locked.pk, actor=user)


def mfa_reset(*, user: User, reason: str, reset_by: Any) -> bool:
    """A clinic admin removes `user`'s authenticator (lost phone); the user must enrol again.

    Every token of the user is ended. Returns False when the user had no device.
    """
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        had_device = _remove(locked)
        locked.token_version += 1
        tokens_revoke_all(user=locked)
        locked.save(update_fields=["token_version", "updated_at"])
        audit_event(
            action="mfa.reset",
            object_type=User,
            object_id=locked.pk,
            changes={"reason": reason, "hadDevice": had_device},
            actor=reset_by,
        )
    return had_device


def mfa_demo_provision(*, user: User) -> str:
    """Give a demo account a confirmed authenticator (once) and return its secret.

    For the trial data of `manage.py seed` only: a real user's secret is never shown
    again after enrolment.
    """
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user_id=user.pk).first()
        if device is not None and device.is_confirmed:
            return str(device.secret)
        if device is None:
            device = TOTPDevice(user=user)
        device.secret = pyotp.random_base32()
        device.confirmed_at = now()
        device.last_step = None
        device.full_clean(exclude=["user"])
        device.save()
        audit_event(
            action="mfa.enrolled",
            object_type=User,
            object_id=user.pk,
            changes={"by": "seed"},
            actor=None,
        )
        auth_state_changed(user.pk)
    return str(device.secret)


def mfa_pending_enrolment(*, user: Any) -> Enrolment:
    """The unconfirmed enrolment of `user`, started now if there is none.

    Raises InvalidState if MFA is on already.
    """
    device = TOTPDevice.objects.filter(user_id=user.pk).first()
    if device is not None and device.is_confirmed:
        raise InvalidState("Multi-factor authentication is already on.")
    if device is None:
        return mfa_setup(user=user)
    return Enrolment(secret=device.secret, otpauth_uri=otpauth_uri(device.secret, user.email))


def mfa_enrollment_required(*, role: str, enabled: bool) -> bool:
    return role in settings.MFA_REQUIRED_ROLES and not enabled
