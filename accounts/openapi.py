"""The OpenAPI declarations of the authentication and identity endpoints (accounts/api.py)."""

from __future__ import annotations

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers

from amrutam.common.contract.openapi import RETRY_AFTER, envelope, error_responses

from .serializers import (
    LoginInputSerializer,
    MeUpdateInputSerializer,
    PasswordChangeInputSerializer,
    RefreshTokenInputSerializer,
    RegisterInputSerializer,
    UserOutputSerializer,
)

TAGS = ["auth"]
USER_NOTE = "`profile` is present for patients only."
UserEnvelope = envelope("UserEnvelope", {"user": UserOutputSerializer()})


class BearerJWTScheme(SimpleJWTScheme):
    """Documents the project's JWT authentication as the bearer scheme `jwtAuth`."""

    target_class = "accounts.authentication.JWTAuthentication"
    name = "jwtAuth"


register = extend_schema(
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

login = extend_schema(
    tags=TAGS,
    operation_id="auth_login",
    summary="Log in with email and password",
    description=(
        "Returns an access token (`token`) and a refresh token. Unknown email, wrong "
        "password and inactive account all answer 401 `invalid_credentials`. Failed "
        f"attempts are rate limited per email and per client IP. {USER_NOTE}"
    ),
    request=LoginInputSerializer,
    responses={
        200: envelope(
            "LoginEnvelope",
            {
                "token": serializers.CharField(),
                "refreshToken": serializers.CharField(),
                "user": UserOutputSerializer(),
            },
        ),
        **error_responses(
            400, 401, 413, 429, 503, s401="Wrong credentials (`invalid_credentials`)."
        ),
    },
    parameters=[RETRY_AFTER],
)

token_refresh = extend_schema(
    tags=TAGS,
    operation_id="auth_token_refresh",
    summary="Exchange a refresh token for a new pair",
    description="The refresh token is single-use: it is revoked, and reusing it is a 401.",
    request=RefreshTokenInputSerializer,
    responses={
        200: envelope(
            "TokenPairEnvelope",
            {"token": serializers.CharField(), "refreshToken": serializers.CharField()},
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

logout = extend_schema(
    tags=TAGS,
    operation_id="auth_logout",
    summary="Revoke a refresh token",
    description=(
        "Revokes the caller's refresh token (again is fine). The access token stays "
        "valid until it expires."
    ),
    request=RefreshTokenInputSerializer,
    responses={204: OpenApiResponse(description="Revoked."), **error_responses(400, 401, 413)},
)

me_get = extend_schema(
    tags=TAGS,
    operation_id="auth_me_get",
    summary="The caller's account",
    description=f"{USER_NOTE} Reading it is recorded in the patient's access log.",
    responses={200: UserEnvelope, **error_responses(401)},
)

me_update = extend_schema(
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

password_change = extend_schema(
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
