"""Razorpay through its official SDK, at RAZORPAY_API_URL.

Razorpay takes no idempotency key on orders or refunds. An order's `receipt` is our
payment's id, so after a timeout or a 5xx the next attempt first looks the order up by
receipt and creates one only if none exists: one payment never gets two orders. A
refund is looked up among the payment's refunds the same way before one is created.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import razorpay
import requests
from django.conf import settings
from razorpay.errors import BadRequestError, GatewayError, ServerError

from .base import GatewayPayment, GatewayRefund, GatewayRefused, GatewayUnavailable

logger = logging.getLogger("amrutam.payments")

TRANSIENT = (requests.exceptions.RequestException, ServerError, GatewayError, ValueError)


def _payment(entity: dict[str, Any]) -> GatewayPayment:
    return GatewayPayment(
        id=entity["id"],
        order_id=entity.get("order_id"),
        amount=int(entity["amount"]),
        currency=entity["currency"],
        status=entity["status"],
    )


def _refund(entity: dict[str, Any]) -> GatewayRefund:
    return GatewayRefund(
        id=entity["id"],
        payment_id=entity["payment_id"],
        amount=int(entity["amount"]),
        status=entity["status"],
    )


class RazorpayGateway:
    name = "razorpay"

    def __init__(self) -> None:
        # The SDK builds every URL as base_url + path (razorpay/constants/url.py's
        # BASE_URL is only its default), so base_url points it at RAZORPAY_API_URL.
        self.client = razorpay.Client(
            auth=(settings.RAZORPAY_KEY_ID, settings.RAZORPAY_KEY_SECRET),
            base_url=settings.RAZORPAY_API_URL.rstrip("/"),
        )
        self.timeout = settings.PAYMENT_GATEWAY_TIMEOUT_SECONDS
        self.attempts = max(1, settings.PAYMENT_GATEWAY_ATTEMPTS)

    def _call(self, what: str, call: Callable[[], Any]) -> Any:
        try:
            return call()
        except BadRequestError as exc:
            raise GatewayRefused(what) from exc
        except TRANSIENT as exc:
            # No message: the gateway's text may echo request data.
            logger.warning("payment_gateway_unavailable", extra={"call": what})
            raise GatewayUnavailable(what) from exc

    def _retried(self, what: str, attempt: Callable[[int], Any]) -> Any:
        last = GatewayUnavailable(what)
        for number in range(self.attempts):
            try:
                return attempt(number)
            except GatewayUnavailable as exc:
                last = exc
        raise last

    def create_order(self, *, receipt: str, amount: int, currency: str) -> str:
        def attempt(number: int) -> str:
            if number:
                found = self._call(
                    "order.all",
                    lambda: self.client.order.all({"receipt": receipt}, timeout=self.timeout),
                )
                items = found.get("items", [])
                if items:
                    return items[0]["id"]
            order = self._call(
                "order.create",
                lambda: self.client.order.create(
                    {
                        "amount": amount,
                        "currency": currency,
                        "receipt": receipt,
                        "payment_capture": 1,
                    },
                    timeout=self.timeout,
                ),
            )
            return order["id"]

        return self._retried("order.create", attempt)

    def fetch_payment(self, payment_id: str) -> GatewayPayment | None:
        entity = self._call(
            "payment.fetch", lambda: self.client.payment.fetch(payment_id, timeout=self.timeout)
        )
        return _payment(entity)

    def order_payments(self, order_id: str) -> list[GatewayPayment]:
        found = self._call(
            "order.payments",
            lambda: self.client.order.payments(order_id, timeout=self.timeout),
        )
        return [_payment(item) for item in found.get("items", [])]

    def refund(self, *, payment_id: str, amount: int, receipt: str) -> GatewayRefund:
        def attempt(number: int) -> GatewayRefund:
            existing = self._call(
                "payment.refunds",
                lambda: self.client.payment.fetch_multiple_refund(payment_id, timeout=self.timeout),
            )
            for item in existing.get("items", []):
                if item.get("receipt") == receipt:
                    return _refund(item)
            entity = self._call(
                "payment.refund",
                lambda: self.client.payment.refund(
                    payment_id, {"amount": amount, "receipt": receipt}, timeout=self.timeout
                ),
            )
            return _refund(entity)

        return self._retried("payment.refund", attempt)

    def fetch_refund(self, *, payment_id: str, refund_id: str) -> GatewayRefund:
        entity = self._call(
            "refund.fetch",
            lambda: self.client.payment.fetch_refund_id(
                payment_id, refund_id, timeout=self.timeout
            ),
        )
        return _refund(entity)
