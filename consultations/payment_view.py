"""How a consultation shows its payment (`paymentStatus`, `payment`).

The payments app sits above this one, so it registers the payment's wire shape here
(PaymentsConfig.ready); this module only reads the joined `payment` relation. A
consultation without a payment is free: `NOT_REQUIRED` and `null`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ObjectDoesNotExist

NOT_REQUIRED = "NOT_REQUIRED"
STATUSES = [NOT_REQUIRED, "PENDING", "PAID", "FAILED", "EXPIRED", "REFUND_PENDING", "REFUNDED"]
# The component the payments app's serializer is published as.
PAYMENT_SCHEMA: dict[str, Any] = {
    "allOf": [{"$ref": "#/components/schemas/PaymentOutput"}],
    "nullable": True,
}

_render: Callable[[Any], dict[str, Any]] | None = None


def register(render: Callable[[Any], dict[str, Any]]) -> None:
    global _render
    _render = render


def payment_of(consultation: Any) -> Any:
    """The consultation's payment or None (no query when it was joined or is cached)."""
    try:
        return consultation.payment
    except (ObjectDoesNotExist, AttributeError):
        return None


def payment_status(consultation: Any) -> str:
    payment = payment_of(consultation)
    return NOT_REQUIRED if payment is None else payment.status


def payment_data(consultation: Any) -> dict[str, Any] | None:
    payment = payment_of(consultation)
    return None if payment is None or _render is None else _render(payment)
