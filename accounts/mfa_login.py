"""The second step of login: the `mfaToken` and its server-side record of tries.

An `mfaToken` is a signed JWT of its own type (`token_type` "mfa"): the API's
authentication accepts only "access" tokens and refresh only "refresh" ones, so it
opens nothing else. Its tries and its use are counted in a database row
(MFAChallenge), not in Redis, so a lost or flushed Redis can never reset them: the
limit holds (or the request fails) whatever the cache does. Each try is a
conditional UPDATE, so concurrent tries cannot exceed the allowance.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import Token
from rest_framework_simplejwt.utils import datetime_from_epoch

from accounts.errors import InvalidMFACode, InvalidMFALogin, MFATokenInvalid
from accounts.mfa import SecondFactor, mfa_check
from accounts.models import MFAChallenge, User
from accounts.tokens import VERSION_CLAIM, TokenPair, token_pair_for
from audit.services import audit_event


class MFAToken(Token):
    token_type = "mfa"  # noqa: S105 - a token kind, not a secret  # nosec B105
    lifetime = timedelta(seconds=300)


@dataclass(frozen=True)
class MFALoginResult:
    user: User
    tokens: TokenPair


class TooManyTries(Exception):
    """The mfaToken's tries are spent; `retry_after` is the seconds until it expires."""

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__("too many tries")


def mfa_token_issue(*, user: User) -> str:
    """A new mfaToken for `user`, who has just given the right password."""
    token = MFAToken()
    token.set_exp(lifetime=timedelta(seconds=settings.MFA_TOKEN_SECONDS))
    token["sub"] = str(user.pk)
    token[VERSION_CLAIM] = user.token_version
    # Tokens of this user that expired a day ago are of no use even to an audit.
    MFAChallenge.objects.filter(
        user_id=user.pk, expires_at__lt=timezone.now() - timedelta(days=1)
    ).delete()
    MFAChallenge.objects.create(
        jti=token["jti"], user_id=user.pk, expires_at=datetime_from_epoch(token["exp"])
    )
    return str(token)


def _decode(raw: str) -> Any:
    try:
        return MFAToken(raw)  # type: ignore[arg-type]
    except TokenError as exc:
        raise MFATokenInvalid() from exc


def mfa_token_user(*, raw: str) -> User:
    """The user an unexpired, unused mfaToken was issued to. Raises MFATokenInvalid."""
    token = _decode(raw)
    user = User.objects.filter(pk=token.get("sub")).first()
    if user is None or not user.is_active or user.token_version != token.get(VERSION_CLAIM):
        raise MFATokenInvalid()
    return user


def _take_try(jti: str) -> None:
    """Count one try of the token; raise if it is used, expired or out of tries."""
    now = timezone.now()
    taken = MFAChallenge.objects.filter(
        jti=jti, used_at__isnull=True, expires_at__gt=now, attempts__lt=settings.MFA_TOKEN_TRIES
    ).update(attempts=F("attempts") + 1)
    if taken == 1:
        return
    challenge = MFAChallenge.objects.filter(jti=jti).first()
    if challenge is None or challenge.used_at is not None or challenge.expires_at <= now:
        raise MFATokenInvalid()
    raise TooManyTries(max(1, int((challenge.expires_at - now).total_seconds())))


def mfa_login_complete(*, raw: str, factor: SecondFactor) -> MFALoginResult:
    """Finish a login with the second factor; the mfaToken is spent on success.

    Raises MFATokenInvalid (forged, expired, used, user changed), TooManyTries, or
    InvalidMFALogin (wrong or replayed code; the try is counted and audited).
    """
    user = mfa_token_user(raw=raw)
    jti = _decode(raw)["jti"]
    _take_try(jti)
    try:
        kind = mfa_check(user=user, factor=factor)
    except InvalidMFACode:
        raise InvalidMFALogin() from None
    with transaction.atomic():
        spent = MFAChallenge.objects.filter(jti=jti, used_at__isnull=True).update(
            used_at=timezone.now()
        )
        if spent != 1:
            # A concurrent request finished this login first.
            raise MFATokenInvalid()
        tokens = token_pair_for(user)
        audit_event(
            action="auth.login",
            object_type=User,
            object_id=user.pk,
            changes={"mfa": kind},
            actor=user,
        )
    return MFALoginResult(user=user, tokens=tokens)
