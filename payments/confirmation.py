"""How captures reach us: Checkout's signed confirmation and the gateway's webhooks.

Both verify a signature first and change nothing when it is wrong; both end in
`payment_capture`, so whichever arrives first wins and the other is a no-op.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from amrutam.common.exceptions import InvalidState, NotFound, ServiceUnavailable, ValidationFailed
from consultations.integrity import is_violation_of

from .errors import (
    PaymentExpired,
    PaymentMismatch,
    PaymentSignatureInvalid,
    WebhookSignatureInvalid,
)
from .gateways import (
    SUCCESSFUL_STATUSES,
    GatewayRefused,
    GatewayUnavailable,
    gateway,
    signature_valid,
)
from .models import Payment, WebhookEvent
from .services import Capture, payment_capture, payment_mark_failed, payment_refund_processed

logger = logging.getLogger("amrutam.payments")

EVENT_UNIQUE = "payments_webhook_event_unique"


def payment_confirm(
    *, consultation_id: Any, patient: Any, gateway_payment_id: str, signature: str
) -> Capture:
    """Checkout's confirmation by the booking patient. Raise NotFound, InvalidState (no
    payment needed), PaymentSignatureInvalid, PaymentExpired, PaymentMismatch or
    ServiceUnavailable. Answers the same for a repeat of a successful confirmation."""
    payment = Payment.objects.filter(
        consultation_id=consultation_id, consultation__patient_id=patient.pk
    ).first()
    if payment is None:
        from consultations.models import Consultation

        if Consultation.objects.filter(pk=consultation_id, patient_id=patient.pk).exists():
            raise InvalidState("This consultation needs no payment.")
        raise NotFound("No such consultation.")
    message = f"{payment.gateway_order_id}|{gateway_payment_id}".encode()
    if not signature_valid(message, signature, settings.RAZORPAY_KEY_SECRET):
        raise PaymentSignatureInvalid()
    try:
        found = gateway().fetch_payment(gateway_payment_id)
    except GatewayRefused as exc:
        raise PaymentSignatureInvalid("The gateway knows no such payment.") from exc
    except GatewayUnavailable as exc:
        raise ServiceUnavailable("The payment gateway is unavailable. Try again shortly.") from exc
    facts: dict[str, Any] = {}
    if found is not None:
        if found.status not in SUCCESSFUL_STATUSES:
            raise InvalidState("The gateway has not captured this payment.")
        facts = {"order_id": found.order_id, "amount": found.amount, "currency": found.currency}
    capture = payment_capture(
        consultation_id=consultation_id,
        gateway_payment_id=gateway_payment_id,
        source="checkout",
        actor=patient,
        **facts,
    )
    if capture.outcome == "expired":
        raise PaymentExpired()
    if capture.outcome == "mismatch":
        raise PaymentMismatch()
    if capture.outcome == "conflict":
        raise InvalidState("This consultation was paid by another payment.")
    return capture


def _verified_event(raw_body: bytes, signature: str, event_id: str) -> dict[str, Any]:
    if not signature_valid(raw_body, signature, settings.RAZORPAY_WEBHOOK_SECRET):
        raise WebhookSignatureInvalid()
    if not 1 <= len(event_id) <= 128:
        raise ValidationFailed(errors={"X-Razorpay-Event-Id": ["Required, 1-128 characters."]})
    try:
        event = json.loads(raw_body)
    except ValueError as exc:
        raise ValidationFailed("The body is not JSON.") from exc
    if not isinstance(event, dict) or not isinstance(event.get("event"), str):
        raise ValidationFailed(errors={"event": ["Required."]})
    return event


def _entity(event: dict[str, Any], name: str) -> dict[str, Any]:
    try:
        entity = event["payload"][name]["entity"]
    except (KeyError, TypeError) as exc:
        raise ValidationFailed(errors={f"payload.{name}.entity": ["Required."]}) from exc
    if not isinstance(entity, dict):
        raise ValidationFailed(errors={f"payload.{name}.entity": ["Must be an object."]})
    return entity


def _payment_event(name: str, entity: dict[str, Any]) -> str:
    order_id = entity.get("order_id")
    consultation_id = (
        Payment.objects.filter(gateway_order_id=order_id)
        .values_list("consultation_id", flat=True)
        .first()
        if isinstance(order_id, str)
        else None
    )
    if consultation_id is None:
        logger.warning("payment_webhook_unknown_order", extra={"event": name})
        return "unknown_order"
    if name == "payment.failed":
        return (
            "failed"
            if payment_mark_failed(consultation_id=consultation_id, actor="gateway:webhook")
            else "ignored"
        )
    try:
        capture = payment_capture(
            consultation_id=consultation_id,
            gateway_payment_id=str(entity["id"]),
            order_id=order_id,
            amount=int(entity["amount"]),
            currency=str(entity["currency"]),
            source="webhook",
            actor="gateway:webhook",
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ValidationFailed(errors={"payload.payment.entity": ["Incomplete."]}) from exc
    return capture.outcome


def _refund_event(entity: dict[str, Any]) -> str:
    try:
        payment = payment_refund_processed(
            gateway_payment_id=str(entity["payment_id"]),
            refund_id=str(entity["id"]),
            amount=int(entity["amount"]),
            actor="gateway:webhook",
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ValidationFailed(errors={"payload.refund.entity": ["Incomplete."]}) from exc
    if payment is None:
        logger.warning("payment_webhook_unknown_payment", extra={"event": "refund.processed"})
        return "unknown_payment"
    return "refunded"


def webhook_handle(*, raw_body: bytes, signature: str, event_id: str) -> str:
    """Handle one gateway webhook once. Return its outcome ("duplicate" for an event id
    seen before). Raise WebhookSignatureInvalid or ValidationFailed, changing nothing."""
    event = _verified_event(raw_body, signature, event_id)
    name = event["event"]
    try:
        # The event's record commits with what it changed: a redelivery (even one racing
        # the first delivery) waits on the unique index, then finds it and does nothing.
        with transaction.atomic():
            record = WebhookEvent.objects.create(event_id=event_id, event=name[:64], outcome="")
            if name in ("payment.captured", "payment.failed"):
                outcome = _payment_event(name, _entity(event, "payment"))
            elif name == "refund.processed":
                outcome = _refund_event(_entity(event, "refund"))
            else:
                outcome = "ignored"
            record.outcome = outcome
            record.save(update_fields=["outcome"])
    except IntegrityError as exc:
        if not is_violation_of(exc, EVENT_UNIQUE):
            raise
        return "duplicate"
    logger.info("payment_webhook", extra={"event": name, "outcome": outcome})
    return outcome
