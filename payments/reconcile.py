"""Reconciliation: ask the gateway about every payment still in flight and fix ours."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from .gateways import SUCCESSFUL_STATUSES, gateway
from .models import UNPAID_STATUSES, Payment, PaymentStatus
from .services import payment_capture, payment_refund_processed, payment_refund_send

ACTOR = "command:reconcile_payments"


@dataclass(frozen=True)
class Change:
    payment_id: str
    before: str
    after: str


def _status(payment: Payment) -> str:
    return Payment.objects.values_list("status", flat=True).get(pk=payment.pk)


def payments_reconcile(*, since: dt.datetime | None = None) -> Iterator[Change]:
    """Yield each payment whose status changed. PENDING/FAILED: a successful payment on
    the order is captured (late ones refunded). REFUND_PENDING: the refund is sent if it
    never was, else its state is read. GatewayUnavailable propagates to the caller."""
    client = gateway()
    in_flight = Payment.objects.filter(
        status__in=[*UNPAID_STATUSES, PaymentStatus.REFUND_PENDING]
    ).order_by("created_at")
    if since is not None:
        in_flight = in_flight.filter(created_at__gte=since)
    for payment in in_flight.iterator():
        before = payment.status
        if before in UNPAID_STATUSES and payment.gateway_order_id:
            for found in client.order_payments(payment.gateway_order_id):
                if found.status in SUCCESSFUL_STATUSES:
                    payment_capture(
                        consultation_id=payment.consultation_id,
                        gateway_payment_id=found.id,
                        order_id=found.order_id,
                        amount=found.amount,
                        currency=found.currency,
                        source="reconcile",
                        actor=ACTOR,
                    )
                    break
        elif before == PaymentStatus.REFUND_PENDING:
            if payment.gateway_refund_id is None:
                payment_refund_send(payment_id=payment.pk)
            else:
                refund = client.fetch_refund(
                    payment_id=payment.gateway_payment_id or "", refund_id=payment.gateway_refund_id
                )
                if refund.status == "processed":
                    payment_refund_processed(
                        gateway_payment_id=refund.payment_id,
                        refund_id=refund.id,
                        amount=refund.amount,
                        actor=ACTOR,
                    )
        after = _status(payment)
        if after != before:
            yield Change(payment_id=str(payment.pk), before=before, after=after)
