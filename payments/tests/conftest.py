"""Fixtures of the payment tests: a paid doctor, the stand-in Razorpay, payment calls."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest

from consultations.tests.conftest import book, new_key, slot_at  # noqa: F401

from .razorpay_standin import RazorpayStandIn, sign

KEY_ID, KEY_SECRET, WEBHOOK_SECRET = "rzp_test_standin", "standin-key-secret", "standin-hook"
WEBHOOK_URL = "/api/v1/payments/webhook"


@pytest.fixture
def paid_doctor(doctor):
    doctor.consultation_fee = Decimal("500.00")
    doctor.save(update_fields=["consultation_fee"])
    return doctor


@pytest.fixture
def paid_slot(paid_doctor):
    from doctors.tests.factories import SlotFactory

    return SlotFactory(doctor=paid_doctor)


@pytest.fixture
def gateway_secrets(settings) -> None:
    settings.RAZORPAY_KEY_ID = KEY_ID
    settings.RAZORPAY_KEY_SECRET = KEY_SECRET
    settings.RAZORPAY_WEBHOOK_SECRET = WEBHOOK_SECRET


@pytest.fixture
def razorpay(settings, gateway_secrets) -> Iterator[RazorpayStandIn]:
    """The `razorpay` gateway, talking to a stand-in Razorpay on loopback."""
    server = RazorpayStandIn(
        key_id=KEY_ID, key_secret=KEY_SECRET, webhook_secret=WEBHOOK_SECRET
    ).start()
    settings.PAYMENT_GATEWAY = "razorpay"
    settings.RAZORPAY_API_URL = server.url
    # Generous: the machine running the tests may be busy; the timeout test sets its own.
    settings.PAYMENT_GATEWAY_TIMEOUT_SECONDS = 5
    yield server
    server.stop()


@pytest.fixture
def confirm(client_for) -> Callable[..., Any]:
    def call(user: Any, consultation_id: Any, payment_id: str, signature: str) -> Any:
        return client_for(user).post(
            f"/api/v1/consultations/{consultation_id}/payment/confirm",
            {"gatewayPaymentId": payment_id, "signature": signature},
            format="json",
        )

    return call


@pytest.fixture
def post_webhook(api_client) -> Callable[..., Any]:
    def call(body: bytes, headers: dict[str, str]) -> Any:
        return api_client.post(WEBHOOK_URL, body, content_type="application/json", **headers)

    return call


def checkout_signature(order_id: str, payment_id: str, secret: str = KEY_SECRET) -> str:
    return sign(secret, f"{order_id}|{payment_id}".encode())


def events(action: str, object_id: Any = None) -> list[Any]:
    from audit.models import AuditEntry

    entries = AuditEntry.objects.filter(action=action)
    if object_id is not None:
        entries = entries.filter(object_id=str(object_id))
    return list(entries)
