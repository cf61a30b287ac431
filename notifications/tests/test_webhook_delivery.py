"""Webhooks through a real worker to a real HTTP receiver: the documented signature
recipe verifies, and every delivery carries its own X-Amrutam-Delivery id."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json

import pytest

from consultations.services import consultation_cancel
from notifications.models import DeliveryStatus, WebhookDelivery

from .rig import wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """The recipe API.md gives receivers, written from the documentation alone."""
    timestamp = headers["X-Amrutam-Timestamp"]
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return hmac.compare_digest(headers["X-Amrutam-Signature"], f"sha256={expected.hexdigest()}")


def test_deliveries_are_signed_as_documented_and_carry_ids_only(
    receiver, worker, client_for, admin_user, patient, slot_in, booked, mail
):
    created = client_for(admin_user).post(
        "/api/v1/admin/webhooks",
        {"url": receiver.url, "events": ["consultation.booked", "consultation.cancelled"]},
        format="json",
    )
    secret = created.json()["data"]["webhook"]["secret"]

    consultation = booked(slot_in(dt.timedelta(hours=5)))
    consultation_cancel(consultation_id=consultation.pk, cancelled_by=patient)
    wait_for(lambda: len(receiver.requests) == 2, what="two deliveries")

    by_event = {r.headers["X-Amrutam-Event"]: r for r in receiver.requests}
    assert set(by_event) == {"consultation.booked", "consultation.cancelled"}
    for name, request in by_event.items():
        assert verify(secret, request.headers, request.body)
        assert not verify("another-secret", request.headers, request.body)
        body = json.loads(request.body)
        assert set(body) == {"id", "event", "createdAt", "data"}
        assert body["event"] == name
        assert body["data"]["consultationId"] == str(consultation.pk)
        assert set(body["data"]) == {"consultationId", "patientId", "doctorId", "slotId", "status"}
        assert "reason" not in request.body.decode().lower()
    deliveries = {str(d.pk) for d in WebhookDelivery.objects.all()}
    assert {r.headers["X-Amrutam-Delivery"] for r in receiver.requests} == deliveries
    wait_for(
        lambda: (
            set(WebhookDelivery.objects.values_list("status", flat=True))
            == {DeliveryStatus.DELIVERED}
        ),
        what="deliveries marked delivered",
    )
