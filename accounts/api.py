"""Authentication and identity endpoints: register, login, tokens, me, password."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import ratelimits
from accounts.errors import CurrentPasswordIncorrect, InvalidCredentials
from accounts.openapi import RETRY_AFTER, envelope, error_responses, login_envelope
from accounts.selectors import patient_profile_read, user_get_with_profile
from accounts.serializers import (
    LoginInputSerializer,
    MeUpdateInputSerializer,
    PasswordChangeInputSerializer,
    RefreshTokenInputSerializer,
    RegisterInputSerializer,
    UserOutputSerializer,
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
from amrutam.common.drf import success, validated

TAGS = ["auth"]
USER_NOTE = "`profile` is present for patients only."
UserEnvelope = envelope("UserEnvelope", {"user": UserOutputSerializer()})


def _me(user_id: Any, viewer: Any) -> dict[str, Any]:
    user = user_get_with_profile(pk=user_id)
    return user_data(user, patient_profile_read(user=user, viewer=viewer))


class RegisterApi(APIView):
    # Open endpoints ignore any Authorization header: a stale token is never a 401 here.
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    @extend_schema(
        tags=TAGS,
        operation_id="auth_register",
        summary="Register a patient or doctor",
        description=(
            "`role` is PATIENT (default) or DOCTOR; ADMIN is refused with 403. A doctor's "
            f"profile starts unverified. {USER_NOTE}"
        ),
        request=RegisterInputSerializer,
        responses={
            201: UserEnvelope,
            **error_responses(
                400, 403, 409, 413, 429, 503, s409="Email already registered (`email_taken`)."
            ),
        },
        parameters=[RETRY_AFTER],
    )
    def post(self, request: Request) -> Response:
        ratelimits.limit_attempts(request, ratelimits.register_limit(request))
        data = validated(RegisterInputSerializer, request.data)
        user = user_register(**data)
        return success({"user": user_data(user)}, status=201)


class LoginApi(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    @extend_schema(
        tags=TAGS,
        operation_id="auth_login",
        summary="Log in with email and password",
        description=(
            "Returns an access token (`token`) and a refresh token; for a user with MFA on, "
            "`mfaRequired: true` and an `mfaToken` instead (no token): finish with POST "
            "/auth/mfa/verify. Unknown email, wrong password and inactive account all "
            "answer 401 `invalid_credentials`. Failed attempts are rate limited per email "
            f"and per client IP. {USER_NOTE}"
        ),
        request=LoginInputSerializer,
        responses={
            200: login_envelope(),
            **error_responses(
                400, 401, 413, 429, 503, s401="Wrong credentials (`invalid_credentials`)."
            ),
        },
        parameters=[RETRY_AFTER],
    )
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
        if result.tokens is None:
            return success({"mfaRequired": True, "mfaToken": result.mfa_token})
        return success(
            {
                "token": result.tokens.access,
                "refreshToken": result.tokens.refresh,
                "user": user_data(user, patient_profile_read(user=user, viewer=user)),
            }
        )


class TokenRefreshApi(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    @extend_schema(
        tags=TAGS,
        operation_id="auth_token_refresh",
        summary="Exchange a refresh token for a new pair",
        description="The refresh token is single-use: it is revoked, and reusing it is a 401.",
        request=RefreshTokenInputSerializer,
        responses={
            200: envelope(
                "TokenPairEnvelope",
                {
                    "token": serializers.CharField(),
                    "refreshToken": serializers.CharField(),
                },
            ),
            **error_responses(
                400,
                401,
                413,
                429,
                s401="Refresh token invalid, expired or revoked (`token_invalid`).",
            ),
        },
        parameters=[RETRY_AFTER],
    )
    def post(self, request: Request) -> Response:
        ratelimits.limit_attempts(request, ratelimits.refresh_limit(request))
        data = validated(RefreshTokenInputSerializer, request.data)
        tokens = token_refresh(raw=data["refreshToken"])
        return success({"token": tokens.access, "refreshToken": tokens.refresh})


class LogoutApi(APIView):
    mfa_enrollment_exempt = True

    @extend_schema(
        tags=TAGS,
        operation_id="auth_logout",
        summary="Revoke a refresh token",
        description=(
            "Revokes the caller's refresh token (again is fine). The access token stays "
            "valid until it expires."
        ),
        request=RefreshTokenInputSerializer,
        responses={
            204: OpenApiResponse(description="Revoked."),
            **error_responses(400, 401, 413),
        },
    )
    def post(self, request: Request) -> Response:
        data = validated(RefreshTokenInputSerializer, request.data)
        user_logout(user=request.user, refresh_token=data["refreshToken"])
        return Response(status=204)


class MeApi(APIView):
    mfa_enrollment_exempt = True

    @extend_schema(
        tags=TAGS,
        operation_id="auth_me_get",
        summary="The caller's account",
        description=f"{USER_NOTE} Reading it is recorded in the patient's access log.",
        responses={200: UserEnvelope, **error_responses(401)},
    )
    def get(self, request: Request) -> Response:
        return success({"user": _me(request.user.pk, request.user)})

    @extend_schema(
        tags=TAGS,
        operation_id="auth_me_update",
        summary="Change the caller's name or health profile",
        description=(
            "Changes only the fields named; `null` clears a profile value. Only patients "
            "may send `profile`. Unknown fields are refused."
        ),
        request=MeUpdateInputSerializer,
        responses={200: UserEnvelope, **error_responses(400, 401, 413)},
    )
    def patch(self, request: Request) -> Response:
        data = validated(MeUpdateInputSerializer, request.data)
        user_update_me(user=request.user, name=data.get("name", UNSET), profile=data.get("profile"))
        return success({"user": _me(request.user.pk, request.user)})


class PasswordChangeApi(APIView):
    @extend_schema(
        tags=TAGS,
        operation_id="auth_password_change",
        summary="Change the caller's password",
        description=(
            "Revokes every token of the caller, this access token included: log in again. "
            "Wrong current passwords are rate limited like failed logins."
        ),
        request=PasswordChangeInputSerializer,
        responses={
            204: OpenApiResponse(description="Changed; all tokens revoked."),
            **error_responses(400, 401, 413, 429, 503),
        },
        parameters=[RETRY_AFTER],
    )
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
