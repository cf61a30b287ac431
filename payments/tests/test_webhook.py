"""POST /payments/webhook: signatures over the raw body, event-id dedup, unknown orders."""

from __future__ import annotations

import pytest

from payments.models import Payment, PaymentStatus, WebhookEvent

from .conftest import events

pytestmark = pytest.mark.django_db


@pytest.fixture
def captured(razorpay, book, patient, paid_slot):
    consultation = book(patient, paid_slot).json()["data"]["consultation"]
    gateway_payment, _ = razorpay.pay(consultation["payment"]["gatewayOrderId"])
    return gateway_payment


def test_a_missing_or_wrong_signature_changes_nothing(razorpay, captured, post_webhook):
    body, headers = razorpay.webhook("payment.captured", captured)
    unsigned = {k: v for k, v in headers.items() if k != "HTTP_X_RAZORPAY_SIGNATURE"}
    wrong = {**headers, "HTTP_X_RAZORPAY_SIGNATURE": "0" * 64}

    for response in (post_webhook(body, unsigned), post_webhook(body, wrong)):
        assert (response.status_code, response.json()["code"]) == (
            400,
            "webhook_signature_invalid",
        )
        assert response.json()["requestId"] == response["X-Request-ID"]
    assert Payment.objects.get().status == PaymentStatus.PENDING
    assert not WebhookEvent.objects.exists()


def test_a_body_changed_after_signing_is_refused(razorpay, captured, post_webhook):
    body, headers = razorpay.webhook("payment.captured", captured)
    tampered = body.replace(b'"amount": 50000', b'"amount": 50001')
    assert tampered != body

    response = post_webhook(tampered, headers)

    assert (response.status_code, response.json()["code"]) == (400, "webhook_signature_invalid")
    assert Payment.objects.get().status == PaymentStatus.PENDING


def test_the_same_event_twice_is_handled_once(razorpay, captured, post_webhook):
    body, headers = razorpay.webhook("payment.captured", captured)

    first, second = post_webhook(body, headers), post_webhook(body, headers)

    assert first.json()["data"] == {"outcome": "paid"}
    assert (second.status_code, second.json()["data"]) == (200, {"outcome": "duplicate"})
    assert WebhookEvent.objects.count() == 1
    assert len(events("payment.paid")) == 1


def test_a_webhook_for_an_unknown_order_is_acknowledged_and_logged(
    razorpay, captured, post_webhook, caplog
):
    stranger = {**captured, "id": "pay_unknown", "order_id": "order_unknown"}

    response = post_webhook(*razorpay.webhook("payment.captured", stranger))

    assert (response.status_code, response.json()["data"]) == (200, {"outcome": "unknown_order"})
    assert "payment_webhook_unknown_order" in caplog.text
    assert Payment.objects.get().status == PaymentStatus.PENDING


def test_a_failed_attempt_keeps_the_hold_and_a_later_capture_pays(razorpay, captured, post_webhook):
    failed = {**captured, "id": "pay_failed_attempt", "status": "failed"}

    post_webhook(*razorpay.webhook("payment.failed", failed))
    assert Payment.objects.get().status == PaymentStatus.FAILED
    post_webhook(*razorpay.webhook("payment.captured", captured))

    assert Payment.objects.get().status == PaymentStatus.PAID


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"event": "payment.captured"}',
        b'{"event": "payment.captured", "payload": {"payment": {"entity": {"order_id": 5}}}}',
    ],
)
def test_malformed_signed_bodies_are_400_not_500(razorpay, captured, post_webhook, body):
    from .razorpay_standin import sign

    headers = {
        "HTTP_X_RAZORPAY_SIGNATURE": sign(razorpay.webhook_secret, body),
        "HTTP_X_RAZORPAY_EVENT_ID": "evt_malformed",
    }

    response = post_webhook(body, headers)

    assert response.status_code in (200, 400), response.content
    assert Payment.objects.get().status == PaymentStatus.PENDING
