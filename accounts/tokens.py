"""JWT issuing, rotation and revocation: the only place that builds tokens.

Every token carries `sub` (the user id), `role` and `ver` (the user's token version),
so a password change, a deactivation or a role change ends existing tokens at once.
Refresh tokens are recorded (by a fingerprint, never the token itself) so that each
one can be used exactly once and revoked.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from rest_framework_simplejwt.exceptions import (
    TokenBackendError,
    TokenBackendExpiredToken,
    TokenError,
)
from rest_framework_simplejwt.state import token_backend
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

if TYPE_CHECKING:
    from accounts.models import User
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken
from rest_framework_simplejwt.utils import datetime_from_epoch

from accounts.errors import TokenInvalid
from amrutam.common.exceptions import ValidationFailed

ROLE_CLAIM = "role"
VERSION_CLAIM = "ver"


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str


def _fingerprint(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _claim_user(token: Any, user: User) -> None:
    token["sub"] = str(user.pk)
    token[ROLE_CLAIM] = user.role
    token[VERSION_CLAIM] = user.token_version


def access_token_for(user: User) -> str:
    """A signed access token for `user` (records nothing)."""
    token = AccessToken()
    _claim_user(token, user)
    return str(token)


def token_pair_for(user: User) -> TokenPair:
    """A new access + refresh token pair for `user`; the refresh token is recorded."""
    refresh = RefreshToken()
    _claim_user(refresh, user)
    raw = str(refresh)
    OutstandingToken.objects.create(
        user_id=user.pk,
        jti=refresh["jti"],
        token=_fingerprint(raw),
        created_at=refresh.current_time,
        expires_at=datetime_from_epoch(refresh["exp"]),
    )
    # The access token copies sub, role and ver and expires relative to the same time.
    return TokenPair(access=str(refresh.access_token), refresh=raw)


def _valid_claims(token: Any) -> tuple[str, str, int]:
    sub, role, version = token.get("sub"), token.get(ROLE_CLAIM), token.get(VERSION_CLAIM)
    if not isinstance(sub, str) or not isinstance(role, str) or type(version) is not int:
        raise TokenInvalid()
    return sub, role, version


def token_refresh(*, raw: str) -> TokenPair:
    """Rotate a refresh token: revoke it and return a new pair.

    Raises TokenInvalid if the token is forged, expired, already used or revoked, or
    its user is inactive or changed role, password or version since it was issued.
    """
    user_model = get_user_model()
    try:
        old = RefreshToken(raw)  # type: ignore[arg-type]
    except TokenError as exc:
        raise TokenInvalid() from exc
    sub, role, version = _valid_claims(old)
    with transaction.atomic():
        # The row lock serialises concurrent uses of one refresh token: the second
        # waits here and then finds the token revoked.
        # order_by("pk"): the model's default ordering joins the nullable user, and
        # FOR UPDATE cannot lock the nullable side of an outer join.
        outstanding = (
            OutstandingToken.objects.select_for_update()
            .filter(jti=old["jti"])
            .order_by("pk")
            .first()
        )
        if outstanding is None or str(outstanding.user_id) != sub:
            raise TokenInvalid()
        if BlacklistedToken.objects.filter(token=outstanding).exists():
            raise TokenInvalid()
        user = user_model.objects.filter(pk=sub).first()
        if user is None or not user.is_active or user.role != role or user.token_version != version:
            raise TokenInvalid()
        BlacklistedToken.objects.create(token=outstanding)
        return token_pair_for(user)


def token_revoke(*, raw: str, user: User) -> bool:
    """Revoke `user`'s refresh token `raw`; False if it had already expired or been revoked.

    Raises ValidationFailed if `raw` is not a refresh token this service issued to `user`.
    """
    invalid = ValidationFailed(errors={"refreshToken": ["Invalid refresh token."]})
    try:
        payload = token_backend.decode(raw, verify=True)  # type: ignore[arg-type]  # stubs: Token
    except TokenBackendExpiredToken:
        return False  # signed by us and already useless: nothing left to revoke
    except TokenBackendError as exc:
        raise invalid from exc
    if payload.get("token_type") != "refresh" or payload.get("sub") != str(user.pk):
        raise invalid
    outstanding = OutstandingToken.objects.filter(jti=payload.get("jti"), user_id=user.pk).first()
    if outstanding is None:
        raise invalid
    _, created = BlacklistedToken.objects.get_or_create(token=outstanding)
    return created


def tokens_revoke_all(*, user: User) -> int:
    """Revoke every unexpired refresh token of `user`; returns how many were live."""
    live = OutstandingToken.objects.filter(
        user_id=user.pk, expires_at__gt=timezone.now(), blacklistedtoken__isnull=True
    ).values_list("id", flat=True)
    ids = list(live)
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token_id=pk) for pk in ids], ignore_conflicts=True
    )
    return len(ids)
