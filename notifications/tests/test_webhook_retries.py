"""Webhook attempts against a real receiver on loopback with the clock in the test's
hands: the retry schedule, then failed; timeouts, 500s, dropped connections, redirects."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.db import connection, transaction
from django.utils import timezone

from notifications.models import DeliveryStatus, OutboxEvent, WebhookDelivery, WebhookEndpoint
from notifications.services import event_dispatch
from notifications.webhooks import delivery_attempt, delivery_retry, webhook_create

pytestmark = pytest.mark.django_db

SCHEDULE = [60, 300, 1800, 7200, 43200]


@pytest.fixture
def delivery(receiver, admin_user, slot_in, booked):
    webhook_create(url=receiver.url, events=["consultation.booked"], created_by=admin_user)
    consultation = booked(slot_in(dt.timedelta(hours=30)))
    event_dispatch(event_id=OutboxEvent.objects.get(consultation_id=consultation.pk).pk)
    return WebhookDelivery.objects.get()


def test_failed_attempts_are_retried_after_1m_5m_30m_2h_12h_with_jitter_then_failed(
    delivery, receiver
):
    receiver.behaviour = 500
    now = timezone.now()
    outcomes, waits = [], []

    for _ in range(6):
        # Not yet due: a second worker or an early message finds nothing to do.
        early = now - dt.timedelta(seconds=1)
        assert delivery_attempt(delivery_id=delivery.pk, now=early) == "not_claimed"
        outcomes.append(delivery_attempt(delivery_id=delivery.pk, now=now))
        delivery.refresh_from_db()
        if delivery.next_attempt_at:
            waits.append((delivery.next_attempt_at - now).total_seconds())
            now = delivery.next_attempt_at

    assert outcomes == ["retrying"] * 5 + ["failed"]
    assert all(base <= wait <= base * 1.1 for base, wait in zip(SCHEDULE, waits, strict=True))
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == 6
    assert delivery.last_status_code == 500
    assert len(receiver.requests) == 6
    assert {r.headers["X-Amrutam-Delivery"] for r in receiver.requests} == {str(delivery.pk)}
    assert delivery_attempt(delivery_id=delivery.pk, now=now + dt.timedelta(days=1)) == (
        "not_claimed"
    )


def test_a_failed_delivery_retried_from_the_back_office_gets_one_more_attempt(
    delivery, receiver, admin_user
):
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.FAILED, attempts=6, next_attempt_at=None
    )

    assert delivery_retry(delivery_id=delivery.pk, retried_by=admin_user)
    assert delivery_attempt(delivery_id=delivery.pk) == "delivered"
    assert not delivery_retry(delivery_id=delivery.pk, retried_by=admin_user)


@pytest.mark.parametrize(
    ("behaviour", "error", "code"),
    [
        (500, "http_500", 500),
        (302, "http_302", 302),
        ("close", "RemoteDisconnected", None),
        ("slow", "timeout", None),
        ("drip", "timeout", None),
    ],
)
def test_a_receiver_that_fails_is_retried_and_cannot_hold_the_worker(
    delivery, receiver, settings, behaviour, error, code
):
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.5
    receiver.behaviour = behaviour

    began = time.monotonic()
    outcome = delivery_attempt(delivery_id=delivery.pk)
    elapsed = time.monotonic() - began

    delivery.refresh_from_db()
    assert outcome == "retrying"
    assert delivery.status == DeliveryStatus.RETRYING
    assert delivery.last_error == error
    assert delivery.last_status_code == code
    assert elapsed < 2
    assert len(receiver.requests) == 1


def test_a_2xx_ends_the_delivery(delivery, receiver):
    receiver.behaviour = 204

    assert delivery_attempt(delivery_id=delivery.pk) == "delivered"

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.next_attempt_at is None
    assert delivery_attempt(delivery_id=delivery.pk) == "not_claimed"


def test_a_delivery_whose_worker_died_mid_send_is_sent_again_once(delivery, receiver):
    # A worker claimed it and was killed: the row stays SENDING with its lease.
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.SENDING,
        attempts=1,
        lease_until=timezone.now() + dt.timedelta(seconds=120),
    )

    assert delivery_attempt(delivery_id=delivery.pk) == "not_claimed"
    after_lease = timezone.now() + dt.timedelta(seconds=121)
    assert delivery_attempt(delivery_id=delivery.pk, now=after_lease) == "delivered"
    assert delivery_attempt(delivery_id=delivery.pk, now=after_lease) == "not_claimed"
    assert len(receiver.requests) == 1


@pytest.mark.django_db(transaction=True)
def test_a_delivery_is_made_while_another_session_holds_its_endpoint(delivery, receiver):
    # What another worker's claim of a delivery to the same endpoint held (it locked the
    # joined endpoint row too), or an edit of the endpoint in the back office: the claim
    # used to skip the delivery as taken, leaving it to the sweep.
    locked, release = threading.Event(), threading.Event()

    def hold_endpoint():
        try:
            with transaction.atomic():
                list(WebhookEndpoint.objects.select_for_update().filter(pk=delivery.endpoint_id))
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_endpoint)
    holder.start()
    try:
        assert locked.wait(10)
        outcome = delivery_attempt(delivery_id=delivery.pk)
    finally:
        release.set()
        holder.join()

    assert outcome == "delivered"
    assert len(receiver.requests) == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
