"""Data rights and payments: an erasure refunds the paid upcoming consultations it
cancels (sandbox gateway: at once), and the export lists the patient's payments."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from consultations.models import Consultation, ConsultationStatus
from doctors.tests.factories import SlotFactory
from notifications.models import OutboxEvent
from payments.models import Payment, PaymentStatus
from payments.tests.razorpay_standin import sign

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid_booking(recorded_patient, doctor, settings) -> dict[str, Any]:
    """An upcoming consultation of the recorded patient, paid through the sandbox."""
    assert settings.PAYMENT_GATEWAY == "sandbox"
    doctor.consultation_fee = Decimal("500.00")
    doctor.save(update_fields=["consultation_fee"])
    client = recorded_patient.client
    slot = SlotFactory(doctor=doctor)
    booked = client.post(
        "/api/v1/consultations/bookings",
        {"doctorId": str(doctor.pk), "slotId": str(slot.pk), "reason": "Paid fever"},
        format="json",
        HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
    ).json()["data"]["consultation"]
    order_id = booked["payment"]["gatewayOrderId"]
    paid = client.post(
        f"/api/v1/consultations/{booked['id']}/payment/confirm",
        {
            "gatewayPaymentId": "pay_erasure1",
            "signature": sign(settings.RAZORPAY_KEY_SECRET, f"{order_id}|pay_erasure1".encode()),
        },
        format="json",
    )
    assert paid.json()["data"]["consultation"]["paymentStatus"] == "PAID"
    return booked


def test_erasure_cancels_and_refunds_a_paid_upcoming_consultation(
    recorded_patient, paid_booking, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        erased = recorded_patient.client.post(
            "/api/v1/auth/me/erasure", {"password": PASSWORD}, format="json"
        )

    assert erased.status_code == 202, erased.content
    consultation = Consultation.objects.get(pk=paid_booking["id"])
    assert consultation.status == ConsultationStatus.CANCELLED
    payment = Payment.objects.get(consultation_id=consultation.pk)
    assert (payment.status, payment.refunded_amount) == (PaymentStatus.REFUNDED, 50000)


def test_export_lists_the_patients_payments(recorded_patient, paid_booking):
    response = recorded_patient.client.get("/api/v1/auth/me/export")

    document = json.loads(b"".join(response.streaming_content))
    payments = document["data"]["export"]["payments"]
    assert [(p["id"], p["consultationId"], p["status"], p["amount"]) for p in payments] == [
        (paid_booking["payment"]["id"], paid_booking["id"], "PAID", "500.00")
    ]


def test_an_unpaid_hold_cancelled_by_erasure_is_told_once_even_when_its_hold_runs_out(
    recorded_patient, doctor
):
    doctor.consultation_fee = Decimal("500.00")
    doctor.save(update_fields=["consultation_fee"])
    held = recorded_patient.client.post(
        "/api/v1/consultations/bookings",
        {"doctorId": str(doctor.pk), "slotId": str(SlotFactory(doctor=doctor).pk)},
        format="json",
        HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
    ).json()["data"]["consultation"]
    assert held["paymentStatus"] == "PENDING"

    erased = recorded_patient.client.post(
        "/api/v1/auth/me/erasure", {"password": PASSWORD}, format="json"
    )
    # Later, the hold's time passes and the expiry job runs: the cancel is not told again.
    Payment.objects.filter(consultation_id=held["id"]).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    call_command("expire_payment_holds", stdout=StringIO())

    assert erased.status_code == 202, erased.content
    told = OutboxEvent.objects.filter(event="consultation.cancelled")
    # The hold and the fixture's free booking: one notice each.
    assert sorted(str(row.consultation_id) for row in told) == sorted(
        [held["id"], str(recorded_patient.pending.pk)]
    )
    notice = told.get(consultation_id=held["id"])
    assert notice.data["status"] == ConsultationStatus.CANCELLED
    assert "Sentinel" not in json.dumps(notice.data)
