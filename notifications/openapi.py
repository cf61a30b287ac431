"""The OpenAPI declarations of the webhook admin API (notifications/api.py)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema

from amrutam.common.contract.openapi import (
    PAGE_PARAMETERS,
    envelope,
    error_responses,
    page_envelope,
)

from .serializers import (
    DeliveryOutputSerializer,
    WebhookCreatedOutputSerializer,
    WebhookCreateInputSerializer,
    WebhookOutputSerializer,
    WebhookUpdateInputSerializer,
)

TAGS = ["webhooks"]
BAD_INPUT = (
    "`validation_error`: an invalid URL (not https, a private, loopback or link-local "
    "address, an unresolvable host, credentials in it) or an unknown event (see `errors`)."
)
NOT_ADMIN = "`permission_denied`: not an ADMIN."
DELIVERY_HELP = (
    "A delivery is `POST url` with `{id, event, createdAt, data}` (`id` is the event's, "
    "`data` holds ids and statuses only) and the headers X-Amrutam-Event, "
    "X-Amrutam-Delivery (the delivery's id, unique: the receiver's dedup key), "
    "X-Amrutam-Timestamp (Unix seconds) and X-Amrutam-Signature: `sha256=` + hex "
    'HMAC-SHA256 of "<timestamp>.<raw body>" with the secret. A 2xx ends it; anything '
    "else, a redirect included (never followed), is retried after 1 min, 5 min, 30 min, "
    "2 h and 12 h (each up to 10% later), then the delivery is FAILED. Statuses: PENDING "
    "(not tried yet), SENDING, RETRYING, DELIVERED, FAILED."
)

WEBHOOK = envelope("WebhookEnvelope", {"webhook": WebhookOutputSerializer()})

webhook_list = extend_schema(
    operation_id="admin_webhooks_list",
    summary="Webhook endpoints, oldest first (without their secrets)",
    parameters=PAGE_PARAMETERS,
    responses={
        200: page_envelope("WebhookPageEnvelope", "webhooks", WebhookOutputSerializer(many=True)),
        **error_responses(400, 401, 403, s403=NOT_ADMIN),
    },
    tags=TAGS,
)

webhook_create = extend_schema(
    operation_id="admin_webhooks_create",
    summary="Register a webhook endpoint; its secret is in this answer only",
    description=DELIVERY_HELP,
    request=WebhookCreateInputSerializer,
    responses={
        201: envelope("WebhookCreatedEnvelope", {"webhook": WebhookCreatedOutputSerializer()}),
        **error_responses(400, 401, 403, s400=BAD_INPUT, s403=NOT_ADMIN),
    },
    tags=TAGS,
)

webhook_retrieve = extend_schema(
    operation_id="admin_webhooks_retrieve",
    summary="One webhook endpoint (without its secret)",
    responses={200: WEBHOOK, **error_responses(401, 403, 404, s403=NOT_ADMIN)},
    tags=TAGS,
)

webhook_update = extend_schema(
    operation_id="admin_webhooks_update",
    summary="Change a webhook endpoint's url, events or isActive",
    request=WebhookUpdateInputSerializer,
    responses={
        200: WEBHOOK,
        **error_responses(400, 401, 403, 404, s400=BAD_INPUT, s403=NOT_ADMIN),
    },
    tags=TAGS,
)

webhook_destroy = extend_schema(
    operation_id="admin_webhooks_destroy",
    summary="Remove a webhook endpoint and its delivery log",
    responses={204: None, **error_responses(401, 403, 404, s403=NOT_ADMIN)},
    tags=TAGS,
)

delivery_list = extend_schema(
    operation_id="admin_webhooks_deliveries_list",
    summary="A webhook endpoint's deliveries, newest first",
    description=DELIVERY_HELP,
    parameters=PAGE_PARAMETERS,
    responses={
        200: page_envelope(
            "WebhookDeliveryPageEnvelope", "deliveries", DeliveryOutputSerializer(many=True)
        ),
        **error_responses(400, 401, 403, 404, s403=NOT_ADMIN),
    },
    tags=TAGS,
)
