"""What payments tells the notifications app: `payment.paid` and `payment.refunded`,
written into its outbox in the transaction of the transition (payments sits above
notifications, so it calls in; notifications never imports payments)."""

from __future__ import annotations

from typing import Any

from notifications import outbox

from .models import Payment
from .serializers import rupees


def payment_event_record(event: str, consultation: Any, payment: Payment) -> None:
    """Record `event` for the webhook bodies and the emails: ids, the payment's status and
    its amounts, never PHI. The outbox keeps one of each per consultation."""
    outbox.record(
        event,
        consultation,
        data={
            "paymentId": str(payment.pk),
            "status": payment.status,
            "consultationStatus": consultation.status,
            "amount": rupees(payment.amount),
            "refundedAmount": rupees(payment.refunded_amount),
            "currency": payment.currency,
        },
    )
