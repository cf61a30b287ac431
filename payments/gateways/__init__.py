"""Payment gateways behind one interface (base.Gateway): `sandbox` and `razorpay`."""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings

from .base import (
    SUCCESSFUL_STATUSES,
    Gateway,
    GatewayPayment,
    GatewayRefund,
    GatewayRefused,
    GatewayUnavailable,
)

__all__ = [
    "SUCCESSFUL_STATUSES",
    "Gateway",
    "GatewayPayment",
    "GatewayRefund",
    "GatewayRefused",
    "GatewayUnavailable",
    "gateway",
    "signature_valid",
]


def gateway() -> Gateway:
    """The configured gateway (PAYMENT_GATEWAY)."""
    if settings.PAYMENT_GATEWAY == "razorpay":
        from .razorpay_gateway import RazorpayGateway

        return RazorpayGateway()
    from .sandbox import SandboxGateway

    return SandboxGateway()


def signature_valid(message: bytes, signature: str, secret: str) -> bool:
    """Razorpay's signatures, for Checkout and webhooks alike: hex HMAC-SHA256."""
    if not signature or not secret:
        return False
    expected = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), signature.strip().encode("utf-8", "replace"))
