"""Back office: failed deliveries and emails are listed and the "retry" action gives
each one more attempt through the services; secrets never show."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from notifications.models import (
    DeliveryStatus,
    Notification,
    NotificationKind,
    OutboxEvent,
    SendStatus,
    WebhookDelivery,
)
from notifications.services import event_dispatch
from notifications.webhooks import webhook_create
from tests.backoffice import staff_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def failed(admin_user, slot_in, booked, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    created = webhook_create(
        url="http://127.0.0.1:9/hook", events=["consultation.booked"], created_by=admin_user
    )
    consultation = booked(slot_in(dt.timedelta(hours=30)))
    event_dispatch(event_id=OutboxEvent.objects.get(consultation_id=consultation.pk).pk)
    WebhookDelivery.objects.update(status=DeliveryStatus.FAILED, attempts=6, next_attempt_at=None)
    Notification.objects.filter(kind=NotificationKind.BOOKING_CONFIRMED).update(
        status=SendStatus.FAILED, attempts=4
    )
    return created


def run_action(user, model: str, action: str, pks: list) -> object:
    client = Client()
    staff_login(client, user)
    return client.post(
        f"/admin/notifications/{model}/",
        {"action": action, "_selected_action": [str(pk) for pk in pks]},
        follow=True,
    )


def test_failed_deliveries_are_listed_without_secrets_and_retried(admin_user, failed):
    client = Client()
    staff_login(client, admin_user)
    listing = client.get("/admin/notifications/webhookdelivery/?status__exact=FAILED")
    endpoint_page = client.get(f"/admin/notifications/webhookendpoint/{failed.endpoint.pk}/change/")
    delivery = WebhookDelivery.objects.get()

    response = run_action(admin_user, "webhookdelivery", "retry_selected", [delivery.pk])

    assert listing.status_code == 200
    assert str(delivery.pk) in listing.content.decode()
    assert endpoint_page.status_code == 200
    assert failed.secret not in endpoint_page.content.decode()
    assert response.status_code == 200
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.RETRYING
    assert "1 deliveries will be tried again now." in response.content.decode()


def test_the_retry_action_refuses_what_has_not_failed(admin_user, failed):
    WebhookDelivery.objects.update(status=DeliveryStatus.DELIVERED)
    delivery = WebhookDelivery.objects.get()

    response = run_action(admin_user, "webhookdelivery", "retry_selected", [delivery.pk])

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert "has not failed" in response.content.decode()


def test_a_failed_email_is_retried_from_the_back_office(admin_user, failed):
    email = Notification.objects.get(kind=NotificationKind.BOOKING_CONFIRMED)

    response = run_action(admin_user, "notification", "retry_selected", [email.pk])

    email.refresh_from_db()
    assert response.status_code == 200
    assert email.status == SendStatus.PENDING
