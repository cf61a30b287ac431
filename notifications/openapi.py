"""OpenAPI pieces of the webhook admin API: envelopes and error answers."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers

from .serializers import (
    DeliveryOutputSerializer,
    WebhookCreatedOutputSerializer,
    WebhookOutputSerializer,
)

ERROR_DESCRIPTIONS = {
    400: "validation_error: an invalid URL (not https, private or loopback address, "
    "unresolvable host) or an unknown event (see `errors`).",
    401: "not_authenticated / token_invalid.",
    403: "permission_denied: not an ADMIN.",
    404: "not_found.",
}

ErrorSerializer = inline_serializer(
    name="WebhooksErrorEnvelope",
    fields={
        "status": serializers.ChoiceField(choices=["fail", "error"]),
        "code": serializers.CharField(),
        "message": serializers.CharField(),
        "errors": serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()), required=False
        ),
        "requestId": serializers.CharField(),
    },
)


def errors(*statuses: int) -> dict[int, OpenApiResponse]:
    return {
        status: OpenApiResponse(response=ErrorSerializer, description=ERROR_DESCRIPTIONS[status])
        for status in statuses
    }


def envelope(name: str, data_fields: dict[str, Any]) -> Any:
    return inline_serializer(
        name=name,
        fields={
            "status": serializers.ChoiceField(choices=["success"]),
            "data": inline_serializer(name=f"{name}Data", fields=data_fields),
        },
    )


PAGINATION = inline_serializer(
    name="WebhooksPagination",
    fields={
        "page": serializers.IntegerField(),
        "pageSize": serializers.IntegerField(),
        "total": serializers.IntegerField(),
        "totalPages": serializers.IntegerField(),
    },
)
PAGE_PARAMETERS = [
    OpenApiParameter("page", int, description="1-based page number (default 1)."),
    OpenApiParameter("pageSize", int, description="Items per page, 1-100 (default 20)."),
]

WEBHOOK_PAGE = envelope(
    "WebhookPageEnvelope",
    {"webhooks": WebhookOutputSerializer(many=True), "pagination": PAGINATION},
)
WEBHOOK = envelope("WebhookEnvelope", {"webhook": WebhookOutputSerializer()})
WEBHOOK_CREATED = envelope("WebhookCreatedEnvelope", {"webhook": WebhookCreatedOutputSerializer()})
DELIVERY_PAGE = envelope(
    "WebhookDeliveryPageEnvelope",
    {"deliveries": DeliveryOutputSerializer(many=True), "pagination": PAGINATION},
)
DELIVERY_HELP = (
    "A delivery is `POST url` with `{id, event, createdAt, data}` and the headers "
    "X-Amrutam-Event, X-Amrutam-Delivery (unique, for the receiver's dedup), "
    "X-Amrutam-Timestamp and X-Amrutam-Signature: `sha256=` + hex HMAC-SHA256 of "
    '"<timestamp>.<body>" (the raw body bytes) with the secret. A 2xx ends it; anything '
    "else, a redirect included (never followed), is retried after 1 min, 5 min, 30 min, "
    "2 h and 12 h (each up to 10% later), then the delivery is FAILED."
)
