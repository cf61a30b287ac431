"""What a payment tells: `payment.paid` and `payment.refunded` outbox rows written with the
transition, delivered to a real HTTP receiver by a real worker, and the patient's
"payment received" email through a real SMTP server, once each and without PHI."""

from __future__ import annotations

import json

import pytest
from django.db import transaction

from consultations.models import Consultation
from notifications import outbox
from notifications.models import Notification, NotificationKind, OutboxEvent, SendStatus
from notifications.tests.conftest import mail, receiver, worker  # noqa: F401
from notifications.tests.rig import bodies, wait_for
from payments.models import Payment, PaymentStatus

PHI_REASON = "Recurring chest pain after the surgery"
PAYMENT_EVENTS = ["payment.paid", "payment.refunded"]
SUBJECT = "We received your payment"
DATA_KEYS = {
    "consultationId",
    "patientId",
    "doctorId",
    "slotId",
    "paymentId",
    "status",
    "consultationStatus",
    "amount",
    "refundedAmount",
    "currency",
}


def _rows(event: str) -> list[OutboxEvent]:
    return list(OutboxEvent.objects.filter(event=event))


def _delivered(receiver, event: str) -> list[dict]:  # noqa: F811
    return [json.loads(r.body) for r in receiver.requests if r.headers["X-Amrutam-Event"] == event]


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_paying_then_refunding_tells_each_once_without_phi(
    mail,  # noqa: F811
    receiver,  # noqa: F811
    worker,  # noqa: F811
    razorpay,
    book,
    confirm,
    post_webhook,
    client_for,
    admin_user,
    patient,
    paid_slot,
):
    hook = client_for(admin_user).post(
        "/api/v1/admin/webhooks", {"url": receiver.url, "events": PAYMENT_EVENTS}, format="json"
    )
    assert hook.status_code == 201, hook.content
    consultation = book(patient, paid_slot, reason=PHI_REASON).json()["data"]["consultation"]
    captured, signature = razorpay.pay(consultation["payment"]["gatewayOrderId"])

    assert confirm(patient, consultation["id"], captured["id"], signature).status_code == 200
    # The gateway's webhook of the same capture, and a repeated confirm, change nothing.
    assert post_webhook(*razorpay.webhook("payment.captured", captured)).status_code == 200
    assert confirm(patient, consultation["id"], captured["id"], signature).status_code == 200
    wait_for(lambda: _delivered(receiver, "payment.paid"), what="payment.paid delivery")
    wait_for(lambda: [m for m in mail.to(patient.email) if m["Subject"] == SUBJECT], what="email")

    (paid,) = _rows("payment.paid")
    payment = Payment.objects.get()
    assert paid.data == {
        "consultationId": consultation["id"],
        "patientId": str(patient.pk),
        "doctorId": str(paid_slot.doctor_id),
        "slotId": str(paid_slot.pk),
        "paymentId": str(payment.pk),
        "status": "PAID",
        "consultationStatus": "PENDING",
        "amount": "500.00",
        "refundedAmount": "0.00",
        "currency": "INR",
    }
    (received,) = Notification.objects.filter(kind=NotificationKind.PAYMENT_RECEIVED)
    wait_for(
        lambda: Notification.objects.get(pk=received.pk).status == SendStatus.SENT,
        what="email marked sent",
    )
    assert received.recipient_id == patient.pk

    cancelled = client_for(patient).post(
        f"/api/v1/consultations/{consultation['id']}/cancel", {}, format="json"
    )
    assert cancelled.status_code == 200
    wait_for(lambda: _delivered(receiver, "payment.refunded"), what="payment.refunded delivery")
    # The gateway's webhook of the refund, after the sandbox-style immediate answer.
    (refund,) = razorpay.refunds.values()
    assert post_webhook(*razorpay.webhook("refund.processed", refund)).status_code == 200

    assert Payment.objects.get().status == PaymentStatus.REFUNDED
    (refunded,) = _rows("payment.refunded")
    assert (refunded.data["status"], refunded.data["refundedAmount"]) == ("REFUNDED", "500.00")
    assert refunded.data["consultationStatus"] == "CANCELLED"
    assert len(_rows("payment.paid")) == 1
    for event in PAYMENT_EVENTS:
        (body,) = _delivered(receiver, event)
        assert body["event"] == event and set(body["data"]) == DATA_KEYS
    (email,) = [m for m in mail.to(patient.email) if m["Subject"] == SUBJECT]
    text = bodies(email)
    assert f"/consultations/{consultation['id']}" in text
    assert "(Asia/Kolkata)" in text
    everything = [bodies(m) for m in mail.messages] + [r.body.decode() for r in receiver.requests]
    assert not [t for t in everything if PHI_REASON in t or "reason" in t.lower()]


@pytest.mark.django_db
def test_the_outbox_refuses_a_second_payment_event_of_a_consultation(book, patient, paid_slot):
    consultation_id = book(patient, paid_slot).json()["data"]["consultation"]["id"]
    consultation = Consultation.objects.get(pk=consultation_id)

    with transaction.atomic():
        outbox.record("payment.paid", consultation, data={"status": "PAID"})
        outbox.record("payment.paid", consultation, data={"status": "PAID"})
        # The caller's transaction is intact after the refused duplicate.
        outbox.record("payment.refunded", consultation, data={"status": "REFUNDED"})

    assert sorted(OutboxEvent.objects.values_list("event", flat=True)) == [
        "consultation.booked",
        "payment.paid",
        "payment.refunded",
    ]
