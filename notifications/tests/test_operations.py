"""/ready reports the broker; /metrics exports the outbox depth and age, deliveries by
status and the count of failed delivery attempts."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from notifications.models import DeliveryStatus, OutboxEvent, WebhookDelivery
from notifications.webhooks import webhook_create

from .rig import free_port

pytestmark = pytest.mark.django_db


def test_ready_is_503_naming_the_broker_when_it_does_not_answer(client, settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{free_port()}/0"

    response = client.get("/ready")

    assert response.status_code == 503
    assert response.json() == {
        "status": "DOWN",
        "checks": {"database": "UP", "cache": "UP", "encryption": "UP", "broker": "DOWN"},
    }


def metric(text: str, name: str) -> float:
    match = re.search(rf"^{re.escape(name)} (\S+)$", text, re.MULTILINE)
    assert match, name
    return float(match.group(1))


def test_metrics_export_the_outbox_and_delivery_figures(
    client, slot_in, booked, admin_user, settings
):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    endpoint = webhook_create(
        url="http://127.0.0.1:9/", events=["consultation.booked"], created_by=admin_user
    ).endpoint
    booked(slot_in(dt.timedelta(hours=30)))
    booked(slot_in(dt.timedelta(hours=31)))
    OutboxEvent.objects.update(created_at=timezone.now() - dt.timedelta(seconds=90))
    event = OutboxEvent.objects.first()
    WebhookDelivery.objects.create(
        endpoint=endpoint,
        outbox_event=event,
        event=event.event,
        status=DeliveryStatus.FAILED,
        attempts=6,
    )

    text = client.get("/metrics").content.decode()

    assert metric(text, "amrutam_outbox_depth") == 2
    assert 90 <= metric(text, "amrutam_outbox_oldest_pending_seconds") < 120
    assert metric(text, 'amrutam_webhook_deliveries{status="FAILED"}') == 1
    assert metric(text, 'amrutam_webhook_deliveries{status="DELIVERED"}') == 0
    assert metric(text, "amrutam_webhook_delivery_failures_total") == 6
