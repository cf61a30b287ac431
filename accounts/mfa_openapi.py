"""The OpenAPI declarations of the MFA endpoints (accounts/mfa_api.py), and the hook that
documents 403 `mfa_enrollment_required` on every other operation that needs a token."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers

from amrutam.common.contract.openapi import ERROR_REF, RETRY_AFTER, envelope, error_responses

from .openapi import login_envelope
from .serializers import (
    MFAConfirmInputSerializer,
    MFARemoveInputSerializer,
    MFAVerifyInputSerializer,
)

TAGS = ["auth"]
CODE_FORMAT = (
    "A malformed `code` (not 6 digits) or `recoveryCode` (not 10 letters and digits) is "
    "400 `validation_error` and uses no try."
)


class BodyOnDeleteSchema(AutoSchema):
    """Documents the JSON body API.md gives DELETE /auth/mfa/totp (drf-spectacular
    documents request bodies of POST, PUT and PATCH only)."""

    def _get_request_body(self, direction: str = "request") -> Any:
        if self.method != "DELETE":
            return super()._get_request_body(direction)
        self.method = "POST"
        try:
            return super()._get_request_body(direction)
        finally:
            self.method = "DELETE"


setup = extend_schema(
    tags=TAGS,
    operation_id="auth_mfa_totp_setup",
    summary="Start enrolling a TOTP authenticator",
    description=(
        "Returns a new secret and its `otpauth://` URI (issuer `Amrutam`, 30 s steps, "
        "6 digits, SHA-1) for an authenticator app. MFA is on only after "
        "POST /auth/mfa/totp/confirm; a second setup replaces an unconfirmed one. "
        "409 `invalid_state` while MFA is on. No body."
    ),
    request=None,
    responses={
        200: envelope(
            "MFASetupEnvelope",
            {"secret": serializers.CharField(), "otpauthUri": serializers.CharField()},
        ),
        **error_responses(401, 409, s409="`invalid_state`: MFA is already on."),
    },
)

confirm = extend_schema(
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
            s409="`invalid_state`: no enrolment pending, or MFA already on.",
        ),
    },
    parameters=[RETRY_AFTER],
)

remove = extend_schema(
    tags=TAGS,
    operation_id="auth_mfa_totp_remove",
    summary="Turn MFA off",
    description=(
        "Needs the password and a current `code` or a `recoveryCode`. Revokes every "
        "token of the caller (refresh tokens, and access tokens through the token "
        "version, as a password change does). A role in MFA_REQUIRED_ROLES must enrol "
        f"again before using the API. {CODE_FORMAT}"
    ),
    request=MFARemoveInputSerializer,
    responses={
        204: OpenApiResponse(description="MFA is off; the caller's tokens are revoked."),
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
            s409="`invalid_state`: MFA is not on.",
        ),
    },
    parameters=[RETRY_AFTER],
)

verify = extend_schema(
    tags=TAGS,
    operation_id="auth_mfa_verify",
    summary="Second step of login: the code for an mfaToken",
    description=(
        "Send the `mfaToken` from login with a TOTP `code` or a `recoveryCode`; answers "
        "as a login without MFA. An mfaToken lives 5 minutes, allows 5 tries and is "
        "spent by its first success. A code is accepted once; a recovery code once "
        "ever. Wrong codes also count against the login's per-email and per-IP limits. "
        f"No bearer token is needed (any is ignored). {CODE_FORMAT}"
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

# Operations a user of MFA_REQUIRED_ROLES may call before enrolling (API.md, MFA).
MFA_EXEMPT_OPERATIONS = frozenset(
    {
        "auth_me_get",
        "auth_me_update",
        "auth_logout",
        "auth_mfa_totp_setup",
        "auth_mfa_totp_confirm",
        "auth_mfa_totp_remove",
    }
)
MFA_403 = "`mfa_enrollment_required`: the caller's role must use MFA and has not enrolled."


def postprocess_mfa(result: dict[str, Any], generator: Any, **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular hook: 403 `mfa_enrollment_required` on every operation needing a token."""
    for item in result.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            secured = any("jwtAuth" in s for s in operation.get("security", []))
            if not secured or operation.get("operationId") in MFA_EXEMPT_OPERATIONS:
                continue
            responses = operation["responses"]
            if "403" in responses:
                described = responses["403"].get("description", "")
                if "mfa_enrollment_required" not in described:
                    responses["403"]["description"] = f"{described} Or {MFA_403}".strip()
            else:
                responses["403"] = {
                    "description": MFA_403,
                    "content": {"application/json": {"schema": dict(ERROR_REF)}},
                }
    return result
