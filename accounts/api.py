"""Authentication and identity endpoints: register, login, tokens, me, password."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import openapi as doc
from accounts import ratelimits
from accounts.errors import CurrentPasswordIncorrect, InvalidCredentials
from accounts.selectors import patient_profile_get_recorded, user_get_with_profile
from accounts.serializers import (
    LoginInputSerializer,
    MeUpdateInputSerializer,
    PasswordChangeInputSerializer,
    RefreshTokenInputSerializer,
    RegisterInputSerializer,
    user_data,
)
from accounts.services import (
    UNSET,
    user_login,
    user_logout,
    user_password_change,
    user_register,
    user_update_me,
)
from accounts.tokens import token_refresh
from amrutam.common.contract.envelope import success
from amrutam.common.drf.validation import validated


def _me(user_id: Any, viewer: Any) -> dict[str, Any]:
    user = user_get_with_profile(pk=user_id)
    return user_data(user, patient_profile_get_recorded(user=user, viewer=viewer))


class RegisterApi(APIView):
    # Open endpoints ignore any Authorization header: a stale token is never a 401 here.
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    @doc.register
    def post(self, request: Request) -> Response:
        ratelimits.limit_attempts(request, ratelimits.register_limit(request))
        data = validated(RegisterInputSerializer, request.data)
        user = user_register(**data)
        return success({"user": user_data(user)}, status=201)


class LoginApi(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    @doc.login
    def post(self, request: Request) -> Response:
        data = validated(LoginInputSerializer, request.data)
        limits = ratelimits.login_limits(request, data["email"])
        ratelimits.check_failures(request, limits)
        try:
            result = user_login(email=data["email"], password=data["password"])
        except InvalidCredentials:
            ratelimits.count_failure(request, limits)
            raise
        user = result.user
        return success(
            {
                "token": result.tokens.access,
                "refreshToken": result.tokens.refresh,
                "user": user_data(user, patient_profile_get_recorded(user=user, viewer=user)),
            }
        )


class TokenRefreshApi(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    @doc.token_refresh
    def post(self, request: Request) -> Response:
        ratelimits.limit_attempts(request, ratelimits.refresh_limit(request))
        data = validated(RefreshTokenInputSerializer, request.data)
        tokens = token_refresh(raw=data["refreshToken"])
        return success({"token": tokens.access, "refreshToken": tokens.refresh})


class LogoutApi(APIView):
    @doc.logout
    def post(self, request: Request) -> Response:
        data = validated(RefreshTokenInputSerializer, request.data)
        user_logout(user=request.user, refresh_token=data["refreshToken"])
        return Response(status=204)


class MeApi(APIView):
    @doc.me_get
    def get(self, request: Request) -> Response:
        return success({"user": _me(request.user.pk, request.user)})

    @doc.me_update
    def patch(self, request: Request) -> Response:
        data = validated(MeUpdateInputSerializer, request.data)
        user_update_me(user=request.user, name=data.get("name", UNSET), profile=data.get("profile"))
        return success({"user": _me(request.user.pk, request.user)})


class PasswordChangeApi(APIView):
    @doc.password_change
    def post(self, request: Request) -> Response:
        data = validated(PasswordChangeInputSerializer, request.data)
        limits = ratelimits.password_limits(request, request.user.pk)
        ratelimits.check_failures(request, limits)
        try:
            user_password_change(
                user=request.user,
                current_password=data["currentPassword"],
                new_password=data["newPassword"],
            )
        except CurrentPasswordIncorrect:
            ratelimits.count_failure(request, limits)
            raise
        return Response(status=204)
