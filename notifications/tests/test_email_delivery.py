"""Emails through a real Celery worker and a real SMTP server: a booking's confirmation
and the reminders arrive once each, with times, a link, and no PHI."""

from __future__ import annotations

import datetime as dt

import pytest

from notifications.models import Notification, NotificationKind, SendStatus
from notifications.tasks import send_due_reminders

from .conftest import PHI_REASON
from .rig import bodies, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_confirmation_and_both_reminders_arrive_once_each_without_phi(
    mail, worker, slot_in, booked, patient, doctor
):
    slot = slot_in(dt.timedelta(hours=30))
    consultation = booked(slot)
    wait_for(lambda: mail.count() == 2, what="confirmation to patient and doctor")

    # The reminder pass runs on the worker with the clock it is given: just after the
    # 24 h mark, twice more (as two beats or a retried message would), then at the 1 h mark.
    at_24h = slot.start_time - dt.timedelta(hours=24) + dt.timedelta(seconds=5)
    for _ in range(3):
        send_due_reminders.delay(now=at_24h.isoformat())
    wait_for(lambda: mail.count() == 3, what="the 24 h reminder")
    at_1h = slot.start_time - dt.timedelta(minutes=59)
    send_due_reminders.delay(now=at_1h.isoformat())
    send_due_reminders.delay(now=at_1h.isoformat())
    wait_for(lambda: mail.count() == 4, what="the 1 h reminder")
    send_due_reminders.delay(now=at_1h.isoformat())
    wait_for(
        lambda: not Notification.objects.filter(status=SendStatus.SENDING).exists(),
        what="sends settled",
    )

    to_patient = mail.to(patient.email)
    to_doctor = mail.to(doctor.user.email)
    assert [m["Subject"] for m in to_patient] == [
        "Your consultation is booked",
        "Reminder: your consultation is tomorrow",
        "Reminder: your consultation starts in an hour",
    ]
    assert [m["Subject"] for m in to_doctor] == ["New consultation booked"]
    assert mail.count() == 4
    link = f"https://app.amrutam.example/consultations/{consultation.pk}"
    for message in mail.messages:
        text = bodies(message)
        assert PHI_REASON not in text
        assert link in text
        assert "(Asia/Kolkata)" in text
    sent = Notification.objects.filter(consultation_id=consultation.pk)
    assert {n.kind: n.status for n in sent} == {
        NotificationKind.BOOKING_CONFIRMED: SendStatus.SENT,
        NotificationKind.BOOKING_NEW: SendStatus.SENT,
        NotificationKind.REMINDER_24H: SendStatus.SENT,
        NotificationKind.REMINDER_1H: SendStatus.SENT,
    }
    assert all(n.attempts == 1 for n in sent)
