"""The sandbox gateway: orders made locally, refunds processed at once, no outside host.

For trials and development (`make run`): a client pays by computing Checkout's
signature with the dev key secret, exactly as it would verify a real one.
"""

from __future__ import annotations

import secrets

from .base import GatewayPayment, GatewayRefund


class SandboxGateway:
    name = "sandbox"

    def create_order(self, *, receipt: str, amount: int, currency: str) -> str:
        return f"order_sbx_{secrets.token_hex(8)}"

    def fetch_payment(self, payment_id: str) -> GatewayPayment | None:
        # No payments are kept: the signature over our order id is the whole proof.
        return None

    def order_payments(self, order_id: str) -> list[GatewayPayment]:
        return []

    def refund(self, *, payment_id: str, amount: int, receipt: str) -> GatewayRefund:
        return GatewayRefund(
            id=f"rfnd_sbx_{secrets.token_hex(8)}",
            payment_id=payment_id,
            amount=amount,
            status="processed",
        )

    def fetch_refund(self, *, payment_id: str, refund_id: str) -> GatewayRefund:
        return GatewayRefund(id=refund_id, payment_id=payment_id, amount=0, status="processed")
