"""OpenAPI pieces for the API's envelopes: success wrappers, the error body, Retry-After."""

from __future__ import annotations

from typing import Any

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    inline_serializer,
)
from rest_framework import serializers

ERROR_DESCRIPTIONS = {
    400: "Validation failed (`validation_error`); `errors` lists the fields.",
    401: "Missing, invalid, expired or revoked credentials.",
    403: "The caller's role may not do this (`permission_denied`).",
    404: "No such object, or the caller may not see it (`not_found`).",
    409: "Conflict with the current state.",
    413: "Body too large (`payload_too_large`).",
    429: "Too many requests (`rate_limited`); see Retry-After.",
    503: "A dependency is unavailable (`service_unavailable`).",
}


ERROR_ENVELOPE = inline_serializer(
    name="ErrorEnvelope",
    fields={
        "status": serializers.ChoiceField(choices=["fail", "error"]),
        "code": serializers.CharField(),
        "message": serializers.CharField(),
        "errors": serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()), required=False
        ),
        "requestId": serializers.CharField(allow_null=True),
    },
)

RETRY_AFTER = OpenApiParameter(
    name="Retry-After",
    type=int,
    location=OpenApiParameter.HEADER,
    response=[429],
    description="Seconds until the rate-limit window ends.",
)


def envelope(name: str, data_fields: dict[str, Any]) -> Any:
    """`{"status": "success", "data": {...data_fields}}` as a named schema component."""
    return inline_serializer(
        name=name,
        fields={
            "status": serializers.ChoiceField(choices=["success"]),
            "data": inline_serializer(name=f"{name}Data", fields=data_fields),
        },
    )


def error_responses(*statuses: int, **descriptions: str) -> dict[int, OpenApiResponse]:
    """Error responses for `statuses`; `descriptions` overrides by ``s<status>=...``."""
    return {
        status: OpenApiResponse(
            response=ERROR_ENVELOPE,
            description=descriptions.get(f"s{status}", ERROR_DESCRIPTIONS[status]),
        )
        for status in statuses
    }


class BearerJWTScheme(SimpleJWTScheme):
    """Documents the project's JWT authentication as the bearer scheme `jwtAuth`."""

    target_class = "accounts.authentication.JWTAuthentication"
    name = "jwtAuth"


def login_envelope() -> Any:
    """Login's 200: tokens, or (MFA on) `mfaRequired` + `mfaToken` and no token, as a oneOf."""
    from accounts.serializers import UserOutputSerializer

    tokens = envelope(
        "LoginTokensEnvelope",
        {
            "token": serializers.CharField(help_text="Access JWT."),
            "refreshToken": serializers.CharField(),
            "user": UserOutputSerializer(),
        },
    )
    mfa = envelope(
        "LoginMFARequiredEnvelope",
        {
            "mfaRequired": serializers.ChoiceField(choices=[True]),
            "mfaToken": serializers.CharField(
                help_text=(
                    "For POST /auth/mfa/verify only: 5 minutes, 5 tries, single use. It is "
                    "not an access token and is refused everywhere else."
                )
            ),
        },
    )
    return PolymorphicProxySerializer(
        component_name="LoginEnvelope", serializers=[tokens, mfa], resource_type_field_name=None
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
    """Document 403 `mfa_enrollment_required` on every operation that needs a token."""
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
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/ApiError"}}
                    },
                }
    return result
