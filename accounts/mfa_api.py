"""MFA endpoints: TOTP enrolment, removal, and the login's second step."""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import Throttled
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import mfa_openapi as doc
from accounts import ratelimits
from accounts.errors import InvalidMFACode, InvalidMFALogin, PasswordIncorrect
from accounts.mfa import SecondFactor, mfa_enrolment_confirm, mfa_remove, mfa_setup
from accounts.mfa_login import TooManyTries, mfa_login_complete, mfa_token_user
from accounts.selectors import patient_profile_get_recorded
from accounts.serializers import (
    MFAConfirmInputSerializer,
    MFARemoveInputSerializer,
    MFAVerifyInputSerializer,
    user_data,
)
from amrutam.common.contract.envelope import success
from amrutam.common.drf.validation import validated
from amrutam.common.metrics import LOGIN_FAILURES


def _factor(data: dict[str, Any]) -> SecondFactor:
    return SecondFactor(code=data.get("code"), recovery_code=data.get("recoveryCode"))


class MFASetupApi(APIView):
    mfa_enrollment_exempt = True

    @doc.setup
    def post(self, request: Request) -> Response:
        enrolment = mfa_setup(user=request.user)
        return success({"secret": enrolment.secret, "otpauthUri": enrolment.otpauth_uri})


class MFAConfirmApi(APIView):
    mfa_enrollment_exempt = True

    @doc.confirm
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
    schema = doc.BodyOnDeleteSchema()

    @doc.remove
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

    @doc.verify
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
                    user, patient_profile_get_recorded(user=user, viewer=user), mfa_enabled=True
                ),
            }
        )
