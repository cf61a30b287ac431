"""Holds that run out (the booking path and the job), late captures, refunds on cancel."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from consultations.models import Consultation, ConsultationStatus
from doctors.models import AvailabilitySlot, SlotStatus
from notifications.models import OutboxEvent
from payments.models import Payment, PaymentStatus
from payments.services import payment_hold_expire, payment_refund_send

from .conftest import events

pytestmark = pytest.mark.django_db


def _run_out(payment_id) -> None:
    """Move the hold's end into the past (the clock, as far as this payment knows)."""
    Payment.objects.filter(pk=payment_id).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )


def test_an_expired_hold_never_blocks_the_slot_and_a_late_capture_is_refunded(
    razorpay, book, confirm, patient, patient_b, paid_slot, django_capture_on_commit_callbacks
):
    first = book(patient, paid_slot).json()["data"]["consultation"]
    assert book(patient_b, paid_slot).status_code == 409  # held
    _run_out(first["payment"]["id"])

    # No job has run: the booking itself releases the hold.
    second = book(patient_b, paid_slot)

    assert second.status_code == 201, second.content
    expired = Consultation.objects.get(pk=first["id"])
    assert expired.status == ConsultationStatus.CANCELLED
    assert expired.cancellation_reason == "payment_expired"
    assert Payment.objects.get(pk=first["payment"]["id"]).status == PaymentStatus.EXPIRED

    late, signature = razorpay.pay(first["payment"]["gatewayOrderId"])
    with django_capture_on_commit_callbacks(execute=True):
        response = confirm(patient, first["id"], late["id"], signature)

    assert (response.status_code, response.json()["code"]) == (409, "payment_expired")
    payment = Payment.objects.get(pk=first["payment"]["id"])
    assert (payment.status, payment.refunded_amount) == (PaymentStatus.REFUNDED, 50000)
    assert [r["payment_id"] for r in razorpay.refunds.values()] == [late["id"]]
    # The new booking keeps its slot.
    assert AvailabilitySlot.objects.get(pk=paid_slot.pk).status == SlotStatus.BOOKED


def test_the_expiry_command_frees_the_slot(razorpay, book, patient, paid_slot):
    held = book(patient, paid_slot).json()["data"]["consultation"]
    out = StringIO()
    call_command("expire_payment_holds", stdout=out)
    assert "0 payment hold(s) expired" in out.getvalue()
    _run_out(held["payment"]["id"])

    call_command("expire_payment_holds", stdout=out)

    assert "1 payment hold(s) expired" in out.getvalue()
    assert AvailabilitySlot.objects.get(pk=paid_slot.pk).status == SlotStatus.AVAILABLE
    assert Payment.objects.get().status == PaymentStatus.EXPIRED
    assert len(events("payment.expired")) == 1


def test_cancel_refunds_then_refund_processed_completes_it(
    razorpay,
    book,
    confirm,
    client_for,
    post_webhook,
    patient,
    paid_slot,
    django_capture_on_commit_callbacks,
):
    razorpay.refund_status = "pending"  # Razorpay confirms by webhook later
    consultation = book(patient, paid_slot).json()["data"]["consultation"]
    paid, signature = razorpay.pay(consultation["payment"]["gatewayOrderId"])
    confirm(patient, consultation["id"], paid["id"], signature)

    with django_capture_on_commit_callbacks(execute=True):
        cancelled = client_for(patient).post(
            f"/api/v1/consultations/{consultation['id']}/cancel", {}, format="json"
        )

    assert cancelled.status_code == 200
    assert cancelled.json()["data"]["consultation"]["paymentStatus"] == "REFUND_PENDING"
    (refund,) = razorpay.refunds.values()
    assert (refund["payment_id"], refund["amount"]) == (paid["id"], 50000)
    # Sending it again finds the same refund: never two.
    payment_refund_send(payment_id=consultation["payment"]["id"])
    assert len(razorpay.refunds) == 1

    refund["status"] = "processed"
    hooked = post_webhook(*razorpay.webhook("refund.processed", refund))

    assert hooked.json()["data"] == {"outcome": "refunded"}
    payment = Payment.objects.get()
    assert (payment.status, payment.refunded_amount) == (PaymentStatus.REFUNDED, 50000)
    shown = client_for(patient).get(f"/api/v1/consultations/{consultation['id']}").json()
    assert shown["data"]["consultation"]["payment"]["refundedAmount"] == "500.00"
    assert len(events("payment.refunded")) == 1


def test_cancel_of_an_unpaid_hold_closes_the_payment(
    razorpay, book, client_for, patient, paid_slot
):
    consultation = book(patient, paid_slot).json()["data"]["consultation"]

    response = client_for(patient).post(f"/api/v1/consultations/{consultation['id']}/cancel")

    assert response.json()["data"]["consultation"]["paymentStatus"] == "EXPIRED"
    assert razorpay.refunds == {}


def test_reconciliation_fixes_a_payment_whose_webhook_was_lost(
    razorpay, book, patient, paid_doctor, slot_at
):
    lost = book(patient, slot_at(120, doctor=paid_doctor)).json()["data"]["consultation"]
    untouched = book(patient, slot_at(240, doctor=paid_doctor)).json()["data"]["consultation"]
    razorpay.pay(lost["payment"]["gatewayOrderId"])  # paid; the webhook never arrives
    out = StringIO()

    call_command("reconcile_payments", "--since", "2020-01-01", stdout=out)

    assert f"payment {lost['payment']['id']}: PENDING -> PAID" in out.getvalue()
    assert "1 payment(s) changed." in out.getvalue()
    assert Payment.objects.get(pk=lost["payment"]["id"]).status == PaymentStatus.PAID
    assert Payment.objects.get(pk=untouched["payment"]["id"]).status == PaymentStatus.PENDING


def test_reconciliation_reports_an_unreachable_gateway(razorpay, book, patient, paid_slot):
    from django.core.management.base import CommandError

    book(patient, paid_slot)
    razorpay.stop()

    with pytest.raises(CommandError, match="did not answer"):
        call_command("reconcile_payments", stdout=StringIO())


def test_reconciliation_refuses_a_bad_since():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--since"):
        call_command("reconcile_payments", "--since", "yesterday", stdout=StringIO())


PHI_REASON = "Sentinel-7731 burning pain after meals"
# What a cancel tells receivers: ids and the status, the same keys as any cancel's.
CANCELLED_DATA_KEYS = {"consultationId", "patientId", "doctorId", "slotId", "status"}


def _cancelled_rows() -> list[OutboxEvent]:
    return list(OutboxEvent.objects.filter(event="consultation.cancelled"))


def _assert_cancel_notice(row: OutboxEvent, consultation_id: str, patient: Any) -> None:
    assert row.consultation_id == uuid.UUID(consultation_id)
    assert set(row.data) == CANCELLED_DATA_KEYS
    assert row.data["consultationId"] == consultation_id
    assert row.data["patientId"] == str(patient.pk)
    assert row.data["status"] == ConsultationStatus.CANCELLED
    stored = json.dumps(row.data)
    assert "Sentinel-7731" not in stored and "payment_expired" not in stored


def test_the_expiry_job_tells_of_the_cancel_once_without_phi(book, patient, paid_slot):
    held = book(patient, paid_slot, reason=PHI_REASON).json()["data"]["consultation"]
    _run_out(held["payment"]["id"])

    call_command("expire_payment_holds", stdout=StringIO())
    call_command("expire_payment_holds", stdout=StringIO())  # the next tick: nothing left

    (row,) = _cancelled_rows()
    _assert_cancel_notice(row, held["id"], patient)
    assert row.data["doctorId"] == str(paid_slot.doctor_id)
    assert row.data["slotId"] == str(paid_slot.pk)


def test_a_booking_that_releases_a_lapsed_hold_tells_of_that_cancel_once(
    book, patient, patient_b, paid_slot
):
    held = book(patient, paid_slot, reason=PHI_REASON).json()["data"]["consultation"]
    _run_out(held["payment"]["id"])

    assert book(patient_b, paid_slot).status_code == 201
    call_command("expire_payment_holds", stdout=StringIO())  # already released: no second

    (row,) = _cancelled_rows()
    _assert_cancel_notice(row, held["id"], patient)


def test_the_cancel_notice_is_written_in_the_expirys_transaction(book, patient, paid_slot):
    held = book(patient, paid_slot).json()["data"]["consultation"]
    _run_out(held["payment"]["id"])

    with pytest.raises(RuntimeError), transaction.atomic():
        assert payment_hold_expire(consultation_id=held["id"]) is True
        assert len(_cancelled_rows()) == 1  # written, not yet committed
        raise RuntimeError("the expiry's transaction rolls back")

    assert _cancelled_rows() == []
    assert Consultation.objects.get(pk=held["id"]).status == ConsultationStatus.PENDING
