"""Fixtures of the notification tests: mail through a real SMTP server, a real HTTP
receiver, a real Celery worker, and bookings made through the services."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.utils import timezone

from . import rig

PHI_REASON = "Persistent migraine since the accident"


@pytest.fixture
def mail(settings) -> Iterator[rig.Mailbox]:
    with rig.smtp_server() as (mailbox, port):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = port
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = ""
        settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_TIMEOUT = 2
        yield mailbox


@pytest.fixture
def receiver(settings) -> Iterator[rig.Receiver]:
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    with rig.Receiver() as server:
        yield server


@pytest.fixture
def worker(settings) -> Iterator[Any]:
    from notifications.outbox import reset_broker_backoff

    reset_broker_backoff()
    with rig.celery_worker(settings.CELERY_BROKER_URL) as running:
        yield running


@pytest.fixture
def slot_in(doctor) -> Callable[..., Any]:
    """A free slot of `doctor` starting after `delta` (a timedelta) from now."""
    from doctors.tests.factories import SlotFactory

    def make(delta: dt.timedelta) -> Any:
        start = timezone.now().replace(second=0, microsecond=0) + delta
        return SlotFactory(
            doctor=doctor, start_time=start, end_time=start + dt.timedelta(minutes=30)
        )

    return make


@pytest.fixture
def booked(patient, doctor) -> Callable[..., Any]:
    """Book `slot` for `patient` through the service, with a reason (PHI)."""
    from consultations.services import consultation_book

    def make(slot: Any, *, who: Any = None) -> Any:
        return consultation_book(
            patient=who or patient, doctor_id=doctor.pk, slot_id=slot.pk, reason=PHI_REASON
        )

    return make
