"""GET /payments, the sandbox gateway end to end, analytics revenue, /metrics, back office."""

from __future__ import annotations

import pytest
from django.test import Client

from payments.models import Payment, PaymentStatus
from tests.backoffice import staff_login

from .conftest import checkout_signature

pytestmark = pytest.mark.django_db

LIST = "/api/v1/payments"


@pytest.fixture
def two_payments(book, patient, patient_b, paid_doctor, slot_at):
    mine = book(patient, slot_at(120, doctor=paid_doctor)).json()["data"]["consultation"]
    theirs = book(patient_b, slot_at(240, doctor=paid_doctor)).json()["data"]["consultation"]
    return mine["payment"], theirs["payment"]


def test_patients_list_their_own_admins_all_doctors_none(
    client_for, patient, admin_user, paid_doctor, two_payments
):
    mine, theirs = two_payments

    own = client_for(patient).get(LIST).json()["data"]
    every = client_for(admin_user).get(LIST, {"status": "PENDING"}).json()["data"]
    doctors = client_for(paid_doctor.user).get(LIST).json()["data"]

    assert [p["id"] for p in own["payments"]] == [mine["id"]]
    assert own["pagination"]["total"] == 1
    assert {p["id"] for p in every["payments"]} == {mine["id"], theirs["id"]}
    assert doctors["payments"] == []
    assert client_for(admin_user).get(LIST, {"status": "PAID"}).json()["data"]["payments"] == []


def test_the_next_cursor_walks_every_payment_once_newest_first(
    client_for, admin_user, two_payments
):
    mine, theirs = two_payments
    client = client_for(admin_user)

    first = client.get(LIST, {"pageSize": 1}).json()["data"]
    second = client.get(LIST, {"pageSize": 1, "cursor": first["pagination"]["nextCursor"]}).json()[
        "data"
    ]

    assert [p["id"] for p in first["payments"] + second["payments"]] == [theirs["id"], mine["id"]]
    assert second["pagination"]["nextCursor"] is None


@pytest.mark.parametrize("query", [{"status": "LOST"}, {"from": "yesterday"}, {"pageSize": 0}])
def test_bad_list_filters_are_400(client_for, admin_user, query):
    response = client_for(admin_user).get(LIST, query)

    assert (response.status_code, response.json()["code"]) == (400, "validation_error")


def test_the_sandbox_pays_and_refunds_at_once(
    settings, book, client_for, patient, paid_slot, django_capture_on_commit_callbacks
):
    assert settings.PAYMENT_GATEWAY == "sandbox"
    consultation = book(patient, paid_slot).json()["data"]["consultation"]
    order_id = consultation["payment"]["gatewayOrderId"]
    url = f"/api/v1/consultations/{consultation['id']}/payment/confirm"

    paid = client_for(patient).post(
        url,
        {
            "gatewayPaymentId": "pay_trial1",
            "signature": checkout_signature(order_id, "pay_trial1", settings.RAZORPAY_KEY_SECRET),
        },
        format="json",
    )
    with django_capture_on_commit_callbacks(execute=True):
        client_for(patient).post(f"/api/v1/consultations/{consultation['id']}/cancel")

    assert paid.json()["data"]["consultation"]["paymentStatus"] == "PAID"
    payment = Payment.objects.get()
    assert (payment.status, payment.refunded_amount) == (PaymentStatus.REFUNDED, 50000)


def test_analytics_counts_revenue(razorpay, book, confirm, client_for, admin_user, two_payments):
    mine, _ = two_payments
    paid, signature = razorpay.pay(mine["gatewayOrderId"])
    confirm(
        Payment.objects.get(pk=mine["id"]).consultation.patient,
        mine["consultationId"],
        paid["id"],
        signature,
    )

    data = client_for(admin_user).get("/api/v1/admin/analytics").json()["data"]

    assert data["revenue"] == {"currency": "INR", "paid": "500.00", "refunded": "0.00"}


def test_metrics_count_payments_by_status(
    api_client, book, patient, paid_slot, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        book(patient, paid_slot)

    text = api_client.get("/metrics").content.decode()

    assert 'amrutam_payments_total{status="PENDING"}' in text


def test_back_office_lists_payments_and_refunds_with_a_reason(
    admin_user, book, patient, paid_slot, confirm, django_capture_on_commit_callbacks, settings
):
    from audit.models import AuditEntry

    consultation = book(patient, paid_slot).json()["data"]["consultation"]
    order_id = consultation["payment"]["gatewayOrderId"]
    confirm(
        patient,
        consultation["id"],
        "pay_office1",
        checkout_signature(order_id, "pay_office1", settings.RAZORPAY_KEY_SECRET),
    )
    browser = Client()
    staff_login(browser, admin_user)
    payment_id = consultation["payment"]["id"]

    listing = browser.get("/admin/payments/payment/", {"status__exact": "PAID"})
    panel = browser.get(f"/admin/consultations/consultation/{consultation['id']}/change/")
    asked = browser.post(
        "/admin/payments/payment/",
        {"action": "refund_selected", "_selected_action": [payment_id]},
    )
    with django_capture_on_commit_callbacks(execute=True):
        browser.post(
            "/admin/payments/payment/",
            {
                "action": "refund_selected",
                "_selected_action": [payment_id],
                "confirm": "yes",
                "reason": "Doctor unavailable",
            },
        )

    assert payment_id in listing.content.decode()
    assert "PAID" in panel.content.decode() and "500.00" in panel.content.decode()
    assert "Reason" in asked.content.decode()
    assert Payment.objects.get().status == PaymentStatus.REFUNDED
    requested = AuditEntry.objects.get(action="payment.refund_requested")
    assert requested.changes["reason"] == "Doctor unavailable"
    assert requested.actor_id == admin_user.pk
