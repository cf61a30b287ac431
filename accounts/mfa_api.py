"""MFA endpoints: TOTP enrolment, removal, and the login's second step."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import Throttled
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import ratelimits
from accounts.errors import InvalidMFACode, InvalidMFALogin, PasswordIncorrect
from accounts.mfa import SecondFactor, mfa_enrolment_confirm, mfa_remove, mfa_setup
from accounts.mfa_login import TooManyTries, mfa_login_complete, mfa_token_user
from accounts.openapi import RETRY_AFTER, envelope, error_responses, login_envelope
from accounts.selectors import patient_profile_read
from accounts.serializers import (
    MFAConfirmInputSerializer,
    MFARemoveInputSerializer,
    MFAVerifyInputSerializer,
    user_data,
)
from amrutam.common.drf import success, validated
from amrutam.common.metrics import LOGIN_FAILURES

TAGS = ["auth"]
CODE_FORMAT = (
    "A malformed `code` (not 6 digits) or `recoveryCode` (not 10 letters and digits) is "
    "400 `validation_error` and uses no try."
)


class BodyOnDeleteSchema(AutoSchema):
    """Documents the JSON body API.md gives this DELETE (OpenAPI 3.0 leaves it undefined)."""

    def _get_request_body(self, direction: str = "request") -> Any:
        if self.method != "DELETE":
            return super()._get_request_body(direction)
        self.method = "POST"
        try:
            return super()._get_request_body(direction)
        finally:
            self.method = "DELETE"


def _factor(data: dict[str, Any]) -> SecondFactor:
    return SecondFactor(code=data.get("code"), recovery_code=data.get("recoveryCode"))


class MFASetupApi(APIView):
    mfa_enrollment_exempt = True

    @extend_schema(
        tags=TAGS,
        operation_id="auth_mfa_totp_setup",
        summary="Start enrolling a TOTP authenticator",
        description=(
            "Returns a new secret and its `otpauth://` URI (issuer `Amrutam`, 30 s steps, "
            "6 digits, SHA-1) for an authenticator app. MFA is on only after "
            "POST /auth/mfa/totp/confirm; a second setup replaces an unconfirmed one. "
            "409 `invalid_state` while MFA is on."
        ),
        request=None,
        responses={
            200: envelope(
                "MFASetupEnvelope",
                {"secret": serializers.CharField(), "otpauthUri": serializers.CharField()},
            ),
            **error_responses(401, 409, s409="MFA is already on (`invalid_state`)."),
        },
    )
    def post(self, request: Request) -> Response:
        enrolment = mfa_setup(user=request.user)
        return success({"secret": enrolment.secret, "otpauthUri": enrolment.otpauth_uri})


class MFAConfirmApi(APIView):
    mfa_enrollment_exempt = True

    @extend_schema(
        tags=TAGS,
        operation_id="auth_mfa_totp_confirm",
        summary="Confirm the enrolment with a first code; MFA is then on",
        description=(
            "Returns ten single-use recovery codes, shown only this once. The confirming "
            f"code cannot be used again. {CODE_FORMAT} Wrong codes are rate limited like "
            "wrong passwords."
        ),
        request=MFAConfirmInputSerializer,
        responses={
            200: envelope(
                "MFARecoveryCodesEnvelope",
                {
                    "recoveryCodes": serializers.ListField(
                        child=serializers.CharField(), min_length=10, max_length=10
                    )
                },
            ),
            **error_responses(
                400,
                401,
                409,
                429,
                503,
                s400=(
                    "`invalid_mfa_code`: wrong or already used code; `validation_error`: "
                    "malformed code."
                ),
                s409="No enrolment pending, or MFA already on (`invalid_state`).",
            ),
        },
        parameters=[RETRY_AFTER],
    )
    def post(self, request: Request) -> Response:
        data = validated(MFAConfirmInputSerializer, request.data)
        limits = ratelimits.password_limits(request, request.user.pk)
        ratelimits.check_failures(request, limits)
        try:
            codes = mfa_enrolment_confirm(user=request.user, code=data["code"])
        except InvalidMFACode:
            ratelimits.count_failure(request, limits)
            raise
        return success({"recoveryCodes": codes})


class MFARemoveApi(APIView):
    mfa_enrollment_exempt = True
    schema = BodyOnDeleteSchema()

    @extend_schema(
        tags=TAGS,
        operation_id="auth_mfa_totp_remove",
        summary="Turn MFA off",
        description=(
            "Needs the password and a current `code` or a `recoveryCode`. Revokes every "
            "refresh token of the caller. A role in MFA_REQUIRED_ROLES must enrol again "
            f"before using the API. {CODE_FORMAT}"
        ),
        request=MFARemoveInputSerializer,
        responses={
            204: OpenApiResponse(description="MFA is off; refresh tokens revoked."),
            **error_responses(
                400,
                401,
                409,
                429,
                503,
                s400=(
                    "`validation_error` (missing or wrong password, malformed code) or "
                    "`invalid_mfa_code` (wrong or used code)."
                ),
                s409="MFA is not on (`invalid_state`).",
            ),
        },
        parameters=[RETRY_AFTER],
    )
    def delete(self, request: Request) -> Response:
        data = validated(MFARemoveInputSerializer, request.data)
        limits = ratelimits.password_limits(request, request.user.pk)
        ratelimits.check_failures(request, limits)
        try:
            mfa_remove(user=request.user, password=data["password"], factor=_factor(data))
        except (InvalidMFACode, PasswordIncorrect):
            ratelimits.count_failure(request, limits)
            raise
        return Response(status=204)


class MFAVerifyApi(APIView):
    # The mfaToken in the body is the credential; any Authorization header is ignored.
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    @extend_schema(
        tags=TAGS,
        operation_id="auth_mfa_verify",
        summary="Second step of login: the code for an mfaToken",
        description=(
            "Send the `mfaToken` from login with a TOTP `code` or a `recoveryCode`; answers "
            "as a login without MFA. An mfaToken lives 5 minutes, allows 5 tries and is "
            "spent by its first success. A code is accepted once; a recovery code once "
            "ever. Wrong codes also count against the login's per-email and per-IP limits. "
            f"{CODE_FORMAT}"
        ),
        request=MFAVerifyInputSerializer,
        responses={
            200: login_envelope(),
            **error_responses(
                400,
                401,
                429,
                503,
                s401=(
                    "`invalid_mfa_code`: wrong or replayed code; `token_invalid`: the "
                    "mfaToken is forged, expired or already used."
                ),
                s429=(
                    "`rate_limited`: the mfaToken's 5 tries are spent, or the login limits "
                    "of the email or client IP are; see Retry-After."
                ),
            ),
        },
        parameters=[RETRY_AFTER],
    )
    def post(self, request: Request) -> Response:
        data = validated(MFAVerifyInputSerializer, request.data)
        user = mfa_token_user(raw=data["mfaToken"])
        limits = ratelimits.login_limits(request, user.email)
        ratelimits.check_failures(request, limits)
        try:
            result = mfa_login_complete(raw=data["mfaToken"], factor=_factor(data))
        except TooManyTries as exc:
            raise Throttled(wait=exc.retry_after, detail=ratelimits.MESSAGE) from None
        except InvalidMFALogin:
            LOGIN_FAILURES.inc()
            ratelimits.count_failure(request, limits)
            raise
        user = result.user
        return success(
            {
                "token": result.tokens.access,
                "refreshToken": result.tokens.refresh,
                "user": user_data(
                    user, patient_profile_read(user=user, viewer=user), mfa_enabled=True
                ),
            }
        )
