"""What the payment services need of a gateway: orders, payments and refunds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class GatewayUnavailable(Exception):
    """The gateway timed out, could not be reached or answered 5xx: retry later."""


class GatewayRefused(Exception):
    """The gateway refused the request (4xx): retrying the same request will not help."""


@dataclass(frozen=True)
class GatewayPayment:
    id: str
    order_id: str | None
    amount: int  # paise
    currency: str
    status: str  # Razorpay's: created, authorized, captured, refunded, failed


@dataclass(frozen=True)
class GatewayRefund:
    id: str
    payment_id: str
    amount: int  # paise
    status: str  # Razorpay's: pending, processed, failed


# Razorpay confirms a payment to Checkout once it is authorized; orders are made with
# automatic capture, so an authorized payment of our order is being captured.
SUCCESSFUL_STATUSES = frozenset({"authorized", "captured"})


class Gateway(Protocol):
    name: str

    def create_order(self, *, receipt: str, amount: int, currency: str) -> str:
        """The id of the one order for `receipt`: created, or found if an earlier
        attempt created it. Raise GatewayUnavailable or GatewayRefused."""

    def fetch_payment(self, payment_id: str) -> GatewayPayment | None:
        """The gateway's record of a payment; None when the gateway keeps none (sandbox)."""

    def order_payments(self, order_id: str) -> list[GatewayPayment]:
        """Every payment attempt made on an order."""

    def refund(self, *, payment_id: str, amount: int, receipt: str) -> GatewayRefund:
        """The one refund of `payment_id`: created, or found if an earlier attempt made it."""

    def fetch_refund(self, *, payment_id: str, refund_id: str) -> GatewayRefund:
        """The gateway's record of a refund."""
