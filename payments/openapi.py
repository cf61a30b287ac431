"""The OpenAPI declarations of the payment endpoints (payments/api.py)."""

from __future__ import annotations

from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers

from amrutam.common.contract.openapi import (
    ERROR_REF,
    FROM_TO_PARAMETERS,
    envelope,
    error_responses,
    page_envelope,
)
from consultations.serializers import ConsultationOutputSerializer

from .models import PaymentStatus
from .serializers import ConfirmInputSerializer, PaymentOutputSerializer

TAG = ["payments"]

payment_confirm = extend_schema(
    tags=TAG,
    operation_id="consultations_payment_confirm",
    summary="Confirm a payment with Checkout's signature",
    description=(
        "The booking patient sends what Razorpay Checkout returned: `gatewayPaymentId` "
        "and `signature` = hex HMAC-SHA256 of `<gatewayOrderId>|<gatewayPaymentId>` with "
        "RAZORPAY_KEY_SECRET. With the `razorpay` gateway the payment is also fetched "
        "from Razorpay and its order, amount and currency must be ours. 200 with the "
        "payment PAID, again for a repeat (or after the webhook came first)."
    ),
    request=ConfirmInputSerializer,
    responses={
        200: envelope("PaymentConfirmEnvelope", {"consultation": ConsultationOutputSerializer()}),
        **error_responses(
            400,
            401,
            403,
            404,
            409,
            s400="`validation_error` or `payment_signature_invalid` (nothing changes)",
            s403="`permission_denied`: only the booking patient confirms",
            s404="`not_found`: no such consultation of the caller",
            s409=(
                "`payment_expired` (the hold ran out; a captured amount is refunded), "
                "`payment_mismatch` (the gateway's order, amount or currency differ from "
                "ours: refused and alerted) or `invalid_state` (a free consultation, or "
                "paid by another payment)"
            ),
        ),
        503: OpenApiResponse(
            response=ERROR_REF, description="`service_unavailable`: the gateway did not answer."
        ),
    },
)

payment_webhook = extend_schema(
    tags=TAG,
    operation_id="payments_webhook",
    summary="Razorpay webhook (payment.captured, payment.failed, refund.processed)",
    description=(
        "No token. `X-Razorpay-Signature` = hex HMAC-SHA256 of the raw body with "
        "RAZORPAY_WEBHOOK_SECRET; `X-Razorpay-Event-Id` is unique per event and each "
        "is handled once. 200 when handled, already handled, for an unknown order "
        "(logged) or an event this service does not use."
    ),
    auth=[],
    request={"application/json": {"type": "object", "additionalProperties": True}},
    parameters=[
        OpenApiParameter("X-Razorpay-Signature", str, OpenApiParameter.HEADER, required=True),
        OpenApiParameter("X-Razorpay-Event-Id", str, OpenApiParameter.HEADER, required=True),
    ],
    responses={
        200: envelope(
            "PaymentWebhookEnvelope",
            inline_serializer(
                name="PaymentWebhookOutcome", fields={"outcome": serializers.CharField()}
            ),
        ),
        **error_responses(
            400,
            s400="`webhook_signature_invalid` (nothing changes) or `validation_error`",
        ),
    },
)

payment_list = extend_schema(
    tags=TAG,
    operation_id="payments_list",
    summary="List payments",
    description=(
        "Patients see their own, admins all (doctors none: an empty list). Newest first; "
        "`from`/`to` bound the creation time."
    ),
    parameters=[
        OpenApiParameter("status", str, enum=PaymentStatus.values),
        *FROM_TO_PARAMETERS,
    ],
    responses={
        200: page_envelope(
            "PaymentPageEnvelope", "payments", PaymentOutputSerializer(many=True), bounded=True
        ),
        **error_responses(400, 401),
    },
)
