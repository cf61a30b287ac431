"""Writes of payments: the hold opened by a booking, capture, expiry and refunds.

Every transition runs with the consultation's row locked (lock order as in
consultations/services.py: the consultation first, then its slot), so a Checkout
confirmation, a webhook, the expiry job and a cancel queue on one lock and each sees
the previous one's outcome: whichever comes first wins, the others are no-ops. Every
transition is an audit event.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from amrutam.common.exceptions import ServiceUnavailable
from audit.services import audit_event, tracked_update
from consultations.models import Consultation, ConsultationStatus
from doctors.cache import invalidate_availability
from doctors.models import AvailabilitySlot, SlotStatus
from notifications import outbox

from .events import payment_event_record
from .gateways import GatewayRefused, GatewayUnavailable, gateway
from .metrics import PAYMENT_MISMATCHES, PAYMENT_TRANSITIONS
from .models import UNPAID_STATUSES, Payment, PaymentStatus

logger = logging.getLogger("amrutam.payments")

EXPIRED_REASON = "payment_expired"
CURRENCY = "INR"


def paise(fee: Decimal) -> int:
    return int((fee * 100).to_integral_value())


def _moved(payment: Payment, status: str, *, action: str, actor: Any, **changes: Any) -> None:
    """Record `payment`'s move to `status` (saved by the caller) as an audit event."""
    old, payment.status = payment.status, status
    audit_event(
        action=action,
        object_type="payment",
        object_id=payment.pk,
        changes={
            "status": [old, status],
            "consultationId": str(payment.consultation_id),
            **changes,
        },
        actor=actor,
    )
    transaction.on_commit(PAYMENT_TRANSITIONS.labels(status=status).inc)


# ---------------------------------------------------------------- the booking's hold


def payment_hold_open(*, consultation: Consultation, fee: Decimal, actor: Any) -> Payment | None:
    """In the booking's transaction: open the payment of a paid doctor's booking.

    The gateway order is created here, before the booking commits, so the booking's
    answer (and its idempotent replay) carries the order id. The payment's id is the
    order's receipt; the gateway looks an order up by receipt before creating another
    after a timeout. If the gateway stays unavailable the booking answers 503 and rolls
    back: nothing is held and the client may retry with the same Idempotency-Key.
    """
    if fee <= 0:
        # A free booking: known to have no payment, so serialising it reads nothing.
        Consultation.payment.related.set_cached_value(consultation, None)
        return None
    payment = Payment(
        id=uuid.uuid4(),
        consultation=consultation,
        amount=paise(fee),
        currency=CURRENCY,
        gateway=settings.PAYMENT_GATEWAY,
        status=PaymentStatus.PENDING,
        expires_at=timezone.now() + dt.timedelta(minutes=settings.PAYMENT_HOLD_MINUTES),
    )
    try:
        payment.gateway_order_id = gateway().create_order(
            receipt=str(payment.pk), amount=payment.amount, currency=payment.currency
        )
    except (GatewayUnavailable, GatewayRefused) as exc:
        raise ServiceUnavailable("The payment gateway is unavailable. Try again shortly.") from exc
    payment.save(force_insert=True)
    audit_event(
        action="payment.opened",
        object_type="payment",
        object_id=payment.pk,
        changes={
            "status": [None, PaymentStatus.PENDING],
            "consultationId": str(consultation.pk),
            "amount": payment.amount,
            "currency": payment.currency,
        },
        actor=actor,
    )
    transaction.on_commit(PAYMENT_TRANSITIONS.labels(status=PaymentStatus.PENDING).inc)
    Consultation.payment.related.set_cached_value(consultation, payment)
    return payment


def _expire(
    consultation: Consultation, payment: Payment, slot: AvailabilitySlot, actor: Any
) -> None:
    """The hold ran out: consultation CANCELLED (payment_expired), payment EXPIRED, slot
    AVAILABLE. The caller holds the consultation's and the slot's locks."""
    now = timezone.now()
    old = consultation.status
    consultation.status = ConsultationStatus.CANCELLED
    consultation.cancelled_at = now
    consultation.cancelled_by = None
    consultation.cancellation_reason = EXPIRED_REASON
    consultation.save(
        update_fields=[
            "status",
            "cancelled_at",
            "cancelled_by",
            "cancellation_reason",
            "updated_at",
        ]
    )
    audit_event(
        action="consultation.cancelled",
        object_type="consultation",
        object_id=consultation.pk,
        changes={"status": [old, consultation.status], "cause": EXPIRED_REASON},
        actor=actor,
    )
    # The doctor learns of it (email, webhooks) as of any cancel, in this transaction.
    outbox.record("consultation.cancelled", consultation)
    if slot.status == SlotStatus.BOOKED:
        previous = {"status": slot.status}
        slot.status = SlotStatus.AVAILABLE
        tracked_update(slot, previous=previous, update_fields=["status", "updated_at"])
    _moved(payment, PaymentStatus.EXPIRED, action="payment.expired", actor=actor)
    payment.save(update_fields=["status", "updated_at"])
    transaction.on_commit(lambda: invalidate_availability(consultation.doctor_id))


def payment_hold_release_expired(*, slot: AvailabilitySlot, actor: Any) -> bool:
    """In the booking's transaction, `slot` locked and BOOKED: if its consultation is an
    unpaid hold past `expiresAt`, expire it now (the booking then proceeds). True if so.

    The consultation is locked with SKIP LOCKED: the usual order is consultation then
    slot, and this path holds the slot already; a consultation another transaction is
    working on (a confirm, the expiry job) is left to it and the slot stays taken.
    """
    held = (
        Consultation.objects.select_for_update(of=("self",), skip_locked=True)
        .filter(
            slot_id=slot.pk,
            status=ConsultationStatus.PENDING,
            payment__status__in=UNPAID_STATUSES,
            payment__expires_at__lte=timezone.now(),
        )
        .first()
    )
    if held is None:
        return False
    payment = Payment.objects.get(consultation_id=held.pk)
    _expire(held, payment, slot, actor)
    return True


def _lock(consultation_id: Any) -> tuple[Consultation, Payment]:
    consultation = (
        Consultation.objects.select_for_update(of=("self", "slot"))
        .select_related("slot")
        .get(pk=consultation_id)
    )
    return consultation, Payment.objects.get(consultation_id=consultation_id)


def payment_hold_expire(
    *, consultation_id: Any, actor: Any = "command:expire_payment_holds"
) -> bool:
    """Expire one unpaid hold whose time is up. True if it was expired now."""
    with transaction.atomic():
        consultation, payment = _lock(consultation_id)
        if (
            payment.status not in UNPAID_STATUSES
            or consultation.status != ConsultationStatus.PENDING
            or payment.expires_at > timezone.now()
        ):
            return False
        _expire(consultation, payment, consultation.slot, actor)
        return True


# ---------------------------------------------------------------- capture


@dataclass(frozen=True)
class Capture:
    """A capture's outcome: `paid` (now), `already` (earlier, same gateway payment),
    `expired` (late: refunded), `mismatch` (refused, alerted), `conflict` (another
    gateway payment already paid this one)."""

    outcome: str
    payment: Payment


def _alert_mismatch(payment: Payment, *, reason: str, source: str, actor: Any) -> None:
    logger.error(
        "payment_mismatch",
        extra={"paymentId": str(payment.pk), "reason": reason, "source": source},
    )
    PAYMENT_MISMATCHES.inc()
    audit_event(
        action="payment.mismatch",
        object_type="payment",
        object_id=payment.pk,
        changes={"reason": reason, "source": source, "status": payment.status},
        actor=actor,
    )


def payment_capture(
    *,
    consultation_id: Any,
    gateway_payment_id: str,
    source: str,
    actor: Any,
    order_id: str | None = None,
    amount: int | None = None,
    currency: str | None = None,
) -> Capture:
    """Record that the gateway captured `gateway_payment_id` for this consultation's
    order. `order_id`, `amount` and `currency`, when the gateway told them, must be
    ours: otherwise nothing is paid and the mismatch is alerted (log, metric, audit)."""
    with transaction.atomic():
        consultation, payment = _lock(consultation_id)
        problems = []
        if order_id is not None and order_id != payment.gateway_order_id:
            problems.append("order")
        if amount is not None and amount != payment.amount:
            problems.append("amount")
        if currency is not None and currency != payment.currency:
            problems.append("currency")
        if problems:
            _alert_mismatch(payment, reason=",".join(problems), source=source, actor=actor)
            return Capture("mismatch", payment)

        if payment.gateway_payment_id is not None:
            if payment.gateway_payment_id != gateway_payment_id:
                return Capture("conflict", payment)
            # The same capture told twice (confirm and webhook, or a redelivery).
            return Capture("already" if payment.paid_at else "expired", payment)

        payment.gateway_payment_id = gateway_payment_id
        in_time = payment.expires_at > timezone.now()
        if payment.status in UNPAID_STATUSES and in_time:
            payment.paid_at = timezone.now()
            _moved(payment, PaymentStatus.PAID, action="payment.paid", actor=actor, source=source)
            payment.save(update_fields=["status", "gateway_payment_id", "paid_at", "updated_at"])
            payment_event_record("payment.paid", consultation, payment)
            return Capture("paid", payment)

        # Captured after the hold: the slot may be someone else's now. Refund in full.
        if payment.status in UNPAID_STATUSES and consultation.status == ConsultationStatus.PENDING:
            _expire(consultation, payment, consultation.slot, actor)
        _moved(
            payment,
            PaymentStatus.REFUND_PENDING,
            action="payment.refund_requested",
            actor=actor,
            cause="late_capture",
        )
        payment.save(update_fields=["status", "gateway_payment_id", "updated_at"])
        _refund_after_commit(payment.pk)
        return Capture("expired", payment)


def payment_mark_failed(*, consultation_id: Any, actor: Any) -> bool:
    """A payment attempt failed (webhook): PENDING -> FAILED; the hold continues."""
    with transaction.atomic():
        _, payment = _lock(consultation_id)
        if payment.status != PaymentStatus.PENDING:
            return False
        _moved(payment, PaymentStatus.FAILED, action="payment.failed", actor=actor)
        payment.save(update_fields=["status", "updated_at"])
        return True


# ---------------------------------------------------------------- refunds


def payment_on_cancel(*, consultation: Consultation, actor: Any) -> None:
    """In a cancel's transaction (consultation locked): refund a paid payment in full;
    close an unpaid hold (EXPIRED). A free consultation has nothing to do."""
    payment = Payment.objects.filter(consultation_id=consultation.pk).first()
    if payment is None:
        return
    if payment.status in UNPAID_STATUSES:
        _moved(
            payment, PaymentStatus.EXPIRED, action="payment.expired", actor=actor, cause="cancelled"
        )
        payment.save(update_fields=["status", "updated_at"])
    elif payment.status == PaymentStatus.PAID:
        _request_refund(payment, actor=actor, cause="cancelled")
    Consultation.payment.related.set_cached_value(consultation, payment)


def _request_refund(payment: Payment, *, actor: Any, **changes: Any) -> None:
    _moved(
        payment,
        PaymentStatus.REFUND_PENDING,
        action="payment.refund_requested",
        actor=actor,
        **changes,
    )
    payment.save(update_fields=["status", "updated_at"])
    _refund_after_commit(payment.pk)


def payment_refund(*, payment_id: Any, actor: Any, reason: str) -> Payment:
    """A clinic admin refunds a PAID payment in full (back office), with a reason."""
    with transaction.atomic():
        consultation_id = Payment.objects.values_list("consultation_id", flat=True).get(
            pk=payment_id
        )
        _, payment = _lock(consultation_id)
        if payment.status == PaymentStatus.PAID:
            _request_refund(payment, actor=actor, cause="admin", reason=reason)
    payment.refresh_from_db()
    return payment


def _refund_after_commit(payment_id: Any) -> None:
    # The gateway is called after the commit, never with locks held; a failure leaves
    # the payment REFUND_PENDING for `reconcile_payments` to send again.
    transaction.on_commit(lambda: payment_refund_send(payment_id=payment_id))


def payment_refund_send(*, payment_id: Any) -> None:
    """Ask the gateway for the refund of a REFUND_PENDING payment (idempotent: the
    gateway's refund is found by receipt before one is made)."""
    payment = Payment.objects.filter(pk=payment_id, status=PaymentStatus.REFUND_PENDING).first()
    if payment is None or payment.gateway_payment_id is None:
        return
    try:
        refund = gateway().refund(
            payment_id=payment.gateway_payment_id,
            amount=payment.amount - payment.refunded_amount,
            receipt=str(payment.pk),
        )
    except (GatewayUnavailable, GatewayRefused):
        logger.warning("payment_refund_deferred", extra={"paymentId": str(payment.pk)})
        return
    with transaction.atomic():
        _, payment = _lock(payment.consultation_id)
        if payment.gateway_refund_id != refund.id:
            payment.gateway_refund_id = refund.id
            payment.save(update_fields=["gateway_refund_id", "updated_at"])
    if refund.status == "processed":
        payment_refund_processed(
            gateway_payment_id=refund.payment_id,
            refund_id=refund.id,
            amount=refund.amount,
            actor="gateway:refund",
        )


def payment_refund_processed(
    *, gateway_payment_id: str, refund_id: str, amount: int, actor: Any
) -> Payment | None:
    """The gateway processed a refund: add it to `refundedAmount`; REFUNDED once whole.
    The same refund told twice (sandbox answer and webhook, a redelivery) counts once."""
    consultation_id = (
        Payment.objects.filter(gateway_payment_id=gateway_payment_id)
        .values_list("consultation_id", flat=True)
        .first()
    )
    if consultation_id is None:
        return None
    with transaction.atomic():
        consultation, payment = _lock(consultation_id)
        ours = refund_id == payment.gateway_refund_id
        if payment.status == PaymentStatus.REFUNDED or (
            ours and payment.status != PaymentStatus.REFUND_PENDING
        ):
            return payment
        payment.refunded_amount = min(payment.amount, payment.refunded_amount + amount)
        if ours or payment.refunded_amount >= payment.amount:
            payment.gateway_refund_id = refund_id
            _moved(
                payment,
                PaymentStatus.REFUNDED,
                action="payment.refunded",
                actor=actor,
                refundedAmount=payment.refunded_amount,
            )
        payment.save(update_fields=["status", "refunded_amount", "gateway_refund_id", "updated_at"])
        if payment.status == PaymentStatus.REFUNDED:
            payment_event_record("payment.refunded", consultation, payment)
        return payment
