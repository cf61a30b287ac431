"""The broker down while bookings happen: every booking succeeds, and once the broker is
back the sweep hands the committed outbox rows over: each email goes out exactly once."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from consultations.models import Consultation
from doctors.tests.factories import SlotFactory
from notifications.models import Notification, OutboxEvent, SendStatus
from notifications.outbox import reset_broker_backoff
from notifications.tasks import outbox_sweep
from tests.private_services import PrivateRedis

from .rig import celery_worker, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture
def private_broker(settings):
    from celery import Celery

    import amrutam.celery

    broker = PrivateRedis()
    broker.start()
    # The code under test publishes through the current app: point one at this broker.
    app = Celery("amrutam-outage", set_as_current=True)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.broker_url = broker.url
    app.conf.result_backend = None
    app.finalize()
    settings.CELERY_BROKER_URL = broker.url
    reset_broker_backoff()
    try:
        yield broker
    finally:
        broker.destroy()
        amrutam.celery.app.set_current()
        amrutam.celery.app.set_default()
        reset_broker_backoff()


def test_twenty_bookings_during_an_outage_are_told_once_each_after_recovery(
    private_broker, mail, patient, doctor, booked, settings
):
    # One patient books twenty slots of one doctor here: the anti-hoarding caps are
    # not what this test is about.
    settings.BOOKING_MAX_UPCOMING_PER_DOCTOR = 20
    settings.BOOKING_MAX_UPCOMING_PER_PATIENT = 20
    start = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0) + dt.timedelta(hours=3)
    slots = [
        SlotFactory(
            doctor=doctor,
            start_time=start + dt.timedelta(minutes=30 * i),
            end_time=start + dt.timedelta(minutes=30 * i + 30),
        )
        for i in range(20)
    ]
    private_broker.kill()

    began = time.monotonic()
    for slot in slots:
        booked(slot)
    elapsed = time.monotonic() - began

    assert Consultation.objects.count() == 20
    assert OutboxEvent.objects.filter(dispatched_at__isnull=True).count() == 20
    assert mail.count() == 0
    # Publishing failed fast, then was not even tried: no booking waited on the broker.
    assert elapsed < 5

    private_broker.start()
    with celery_worker(private_broker.url):
        outbox_sweep.delay(older_than=0)
        outbox_sweep.delay(older_than=0)
        wait_for(lambda: mail.count() == 40, within=30, what="40 emails after recovery")
        outbox_sweep.delay(older_than=0)
        wait_for(
            lambda: (
                Notification.objects.filter(status=SendStatus.SENT).count() == 40
                and not Notification.objects.filter(status=SendStatus.SENDING).exists()
            ),
            what="every due email settled",
        )
        time.sleep(0.5)

    assert mail.count() == 40
    recipients = [(m["X-Envelope-To"], m["X-Amrutam-Notification"]) for m in mail.messages]
    assert len(set(recipients)) == 40
    assert OutboxEvent.objects.filter(dispatched_at__isnull=True).count() == 0
    assert Notification.objects.filter(status=SendStatus.SENT).count() == 40
    # The 1 h reminders wait for their moment; no 24 h reminder for a booking 3 h ahead.
    assert Notification.objects.filter(status=SendStatus.PENDING).count() == 20
