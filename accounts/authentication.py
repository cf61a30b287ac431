"""JWT authentication: a bad, expired or revoked token, or an inactive user, is a 401."""

from __future__ import annotations

from typing import Any

from rest_framework_simplejwt.authentication import JWTAuthentication as BaseJWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken


class JWTAuthentication(BaseJWTAuthentication):
    def get_user(self, validated_token: Any) -> Any:
        try:
            user = super().get_user(validated_token)
        except AuthenticationFailed as exc:
            raise InvalidToken("Token is invalid or revoked.") from exc
        if user.role != validated_token.get("role"):
            raise InvalidToken("Token role no longer matches the user.")
        return user
