"""Booking a paid doctor through the `razorpay` gateway (stand-in on loopback), then
paying by Checkout's signed confirmation or by webhook."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from consultations.models import Consultation
from doctors.models import AvailabilitySlot, SlotStatus
from payments.models import Payment, PaymentStatus

from .conftest import events, new_key

pytestmark = pytest.mark.django_db


def _paid_booking(book, patient, slot, **kwargs):
    response = book(patient, slot, **kwargs)
    assert response.status_code == 201, response.content
    return response, response.json()["data"]["consultation"]


def test_a_paid_booking_holds_the_slot_and_opens_one_order(razorpay, book, patient, paid_slot):
    key = new_key()
    response, consultation = _paid_booking(book, patient, paid_slot, key=key)
    payment = consultation["payment"]

    assert consultation["paymentStatus"] == "PENDING"
    assert payment["status"] == "PENDING"
    assert (payment["amount"], payment["currency"], payment["gateway"]) == (
        "500.00",
        "INR",
        "razorpay",
    )
    assert payment["expiresAt"].endswith("Z") and payment["paidAt"] is None
    order = razorpay.orders[payment["gatewayOrderId"]]
    # Razorpay counts paise; the receipt names our payment.
    assert (order["amount"], order["currency"], order["receipt"]) == (50000, "INR", payment["id"])
    assert AvailabilitySlot.objects.get(pk=paid_slot.pk).status == SlotStatus.BOOKED

    replay = book(patient, paid_slot, key=key)

    assert replay.status_code == 201
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.content == response.content
    assert len(razorpay.orders) == 1


def test_a_free_doctor_needs_no_payment_and_no_gateway(razorpay, book, patient, slot):
    response = book(patient, slot)

    consultation = response.json()["data"]["consultation"]
    assert response.status_code == 201
    assert (consultation["paymentStatus"], consultation["payment"]) == ("NOT_REQUIRED", None)
    assert razorpay.requests == []
    assert not Payment.objects.exists()


def test_book_pay_confirm_is_paid_once(
    razorpay, book, confirm, post_webhook, patient, paid_slot, django_capture_on_commit_callbacks
):
    _, consultation = _paid_booking(book, patient, paid_slot)
    order_id = consultation["payment"]["gatewayOrderId"]
    gateway_payment, signature = razorpay.pay(order_id)
    before = REGISTRY.get_sample_value("amrutam_payments_total", {"status": "PAID"}) or 0

    with django_capture_on_commit_callbacks(execute=True):
        first = confirm(patient, consultation["id"], gateway_payment["id"], signature)
    again = confirm(patient, consultation["id"], gateway_payment["id"], signature)
    late_hook = post_webhook(*razorpay.webhook("payment.captured", gateway_payment))

    assert first.status_code == 200, first.content
    paid = first.json()["data"]["consultation"]
    assert paid["paymentStatus"] == "PAID"
    assert paid["payment"]["gatewayPaymentId"] == gateway_payment["id"]
    assert paid["payment"]["paidAt"].endswith("Z")
    assert again.status_code == 200
    assert again.json()["data"]["consultation"]["payment"] == paid["payment"]
    assert (late_hook.status_code, late_hook.json()["data"]) == (200, {"outcome": "already"})
    assert len(events("payment.paid", consultation["payment"]["id"])) == 1
    after = REGISTRY.get_sample_value("amrutam_payments_total", {"status": "PAID"})
    assert after == before + 1


def test_the_webhook_alone_marks_it_paid(razorpay, book, post_webhook, patient, paid_slot):
    _, consultation = _paid_booking(book, patient, paid_slot)
    gateway_payment, _ = razorpay.pay(consultation["payment"]["gatewayOrderId"])

    response = post_webhook(*razorpay.webhook("payment.captured", gateway_payment))

    assert (response.status_code, response.json()["data"]) == (200, {"outcome": "paid"})
    assert Payment.objects.get().status == PaymentStatus.PAID


@pytest.mark.parametrize("signature", ["0" * 64, "", "zz"])
def test_a_bad_signature_changes_nothing(razorpay, book, confirm, patient, paid_slot, signature):
    _, consultation = _paid_booking(book, patient, paid_slot)
    gateway_payment, _ = razorpay.pay(consultation["payment"]["gatewayOrderId"])

    response = confirm(patient, consultation["id"], gateway_payment["id"], signature)

    assert response.status_code == 400
    assert response.json()["code"] in {"payment_signature_invalid", "validation_error"}
    assert Payment.objects.get().status == PaymentStatus.PENDING


def test_another_orders_payment_cannot_pay_this_one(
    razorpay, book, confirm, patient, paid_doctor, slot_at
):
    _, mine = _paid_booking(book, patient, slot_at(120, doctor=paid_doctor))
    _, other = _paid_booking(book, patient, slot_at(240, doctor=paid_doctor))
    other_payment, other_signature = razorpay.pay(other["payment"]["gatewayOrderId"])

    response = confirm(patient, mine["id"], other_payment["id"], other_signature)

    assert (response.status_code, response.json()["code"]) == (400, "payment_signature_invalid")
    assert Payment.objects.get(pk=mine["payment"]["id"]).status == PaymentStatus.PENDING


def test_a_payment_of_another_amount_is_refused_and_alerted(
    razorpay, book, confirm, post_webhook, patient, paid_slot
):
    _, consultation = _paid_booking(book, patient, paid_slot)
    order_id = consultation["payment"]["gatewayOrderId"]
    cheap, signature = razorpay.pay(order_id, amount=100)
    foreign, _ = razorpay.pay(order_id, currency="USD")
    alerts = REGISTRY.get_sample_value("amrutam_payment_mismatches_total") or 0

    confirmed = confirm(patient, consultation["id"], cheap["id"], signature)
    hooked = post_webhook(*razorpay.webhook("payment.captured", foreign))

    assert (confirmed.status_code, confirmed.json()["code"]) == (409, "payment_mismatch")
    assert (hooked.status_code, hooked.json()["data"]) == (200, {"outcome": "mismatch"})
    payment = Payment.objects.get()
    assert (payment.status, payment.gateway_payment_id) == (PaymentStatus.PENDING, None)
    reasons = {e.changes["reason"] for e in events("payment.mismatch", payment.pk)}
    assert reasons == {"amount", "currency"}
    assert REGISTRY.get_sample_value("amrutam_payment_mismatches_total") == alerts + 2


def test_only_the_booking_patient_confirms(
    razorpay, book, confirm, patient, patient_b, doctor, paid_slot
):
    _, consultation = _paid_booking(book, patient, paid_slot)
    gateway_payment, signature = razorpay.pay(consultation["payment"]["gatewayOrderId"])

    other = confirm(patient_b, consultation["id"], gateway_payment["id"], signature)
    by_doctor = confirm(doctor.user, consultation["id"], gateway_payment["id"], signature)

    assert (other.status_code, other.json()["code"]) == (404, "not_found")
    assert by_doctor.status_code == 403
    assert Payment.objects.get().status == PaymentStatus.PENDING


def test_a_free_consultation_has_nothing_to_confirm(razorpay, book, confirm, patient, slot):
    consultation = book(patient, slot).json()["data"]["consultation"]

    response = confirm(patient, consultation["id"], "pay_x", "ab" * 32)

    assert (response.status_code, response.json()["code"]) == (409, "invalid_state")


def test_order_5xx_answers_503_and_holds_nothing(razorpay, book, patient, paid_slot):
    razorpay.fail_orders = 2  # every attempt of this booking
    key = new_key()

    refused = book(patient, paid_slot, key=key)

    assert (refused.status_code, refused.json()["code"]) == (503, "service_unavailable")
    assert AvailabilitySlot.objects.get(pk=paid_slot.pk).status == SlotStatus.AVAILABLE
    assert not Consultation.objects.exists() and not Payment.objects.exists()
    # 5xx are not stored: the same key succeeds once the gateway is back.
    retried = book(patient, paid_slot, key=key)
    assert retried.status_code == 201
    assert "Idempotent-Replayed" not in retried


def test_an_order_whose_answer_timed_out_is_found_not_made_twice(
    razorpay, settings, book, patient, paid_slot
):
    settings.PAYMENT_GATEWAY_TIMEOUT_SECONDS = 0.5
    razorpay.slow_orders, razorpay.delay = 1, 1.5  # past the client's timeout

    response = book(patient, paid_slot)

    assert response.status_code == 201, response.content
    payment = response.json()["data"]["consultation"]["payment"]
    receipts = [o["receipt"] for o in razorpay.orders.values()]
    assert receipts == [payment["id"]]
    assert payment["gatewayOrderId"] in razorpay.orders
