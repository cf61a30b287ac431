"""Confirmations and webhooks for one payment, released together: one PAID transition,
one `payment.paid` outbox row."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from consultations.tests.concurrency import race
from notifications.models import OutboxEvent
from payments.models import Payment, PaymentStatus

from .conftest import WEBHOOK_URL, events


@pytest.mark.django_db(transaction=True)
def test_twenty_confirms_and_webhooks_make_one_paid_transition(
    razorpay, book, token_for, patient, paid_slot
):
    consultation = book(patient, paid_slot).json()["data"]["consultation"]
    captured, signature = razorpay.pay(consultation["payment"]["gatewayOrderId"])
    token = token_for(patient)
    url = f"/api/v1/consultations/{consultation['id']}/payment/confirm"
    redelivered = razorpay.webhook("payment.captured", captured)

    def confirm() -> Any:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        return client.post(
            url, {"gatewayPaymentId": captured["id"], "signature": signature}, format="json"
        )

    def webhook(delivery: tuple[bytes, dict[str, str]]) -> Any:
        body, headers = delivery
        return APIClient().post(WEBHOOK_URL, body, content_type="application/json", **headers)

    jobs = [confirm] * 10
    # Five redeliveries of one event and five distinct events of the same capture.
    jobs += [lambda: webhook(redelivered)] * 5
    jobs += [
        (lambda d: lambda: webhook(d))(razorpay.webhook("payment.captured", captured))
        for _ in range(5)
    ]

    responses = race(jobs)

    assert not [r for r in responses if isinstance(r, Exception)], responses
    assert {r.status_code for r in responses} == {200}
    confirmed = [r.json()["data"]["consultation"]["payment"] for r in responses[:10]]
    assert all(p == confirmed[0] for p in confirmed)
    outcomes = sorted(r.json()["data"]["outcome"] for r in responses[10:])
    assert outcomes.count("duplicate") >= 4
    payment = Payment.objects.get()
    assert (payment.status, payment.gateway_payment_id) == (PaymentStatus.PAID, captured["id"])
    assert len(events("payment.paid", payment.pk)) == 1
    # One notice for the webhook receivers and the patient, whoever won.
    assert OutboxEvent.objects.filter(event="payment.paid").count() == 1
