"""OpenAPI pieces for the API's envelopes: success wrappers, the error body, Retry-After."""

from __future__ import annotations

from typing import Any

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
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
