"""Reminder planning: a reschedule moves the reminders, a cancellation drops them, a
booking inside a reminder's window gets no reminder for a moment already past; and
emails through a real SMTP server carry no PHI, nor does any template."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from consultations.services import (
    consultation_cancel,
    consultation_prescription_issue,
    consultation_reschedule,
    consultation_start,
)
from notifications.emails import render_email
from notifications.models import Notification, NotificationKind, OutboxEvent, SendStatus
from notifications.services import event_dispatch, notification_send
from notifications.sources import consultation_facts

from .conftest import PHI_REASON
from .rig import bodies

pytestmark = pytest.mark.django_db

REMINDERS = [NotificationKind.REMINDER_24H, NotificationKind.REMINDER_1H]


def dispatch_all() -> None:
    for event in OutboxEvent.objects.filter(dispatched_at__isnull=True):
        event_dispatch(event_id=event.pk)


def reminders(consultation) -> dict[str, Notification]:
    rows = Notification.objects.filter(consultation_id=consultation.pk, kind__in=REMINDERS)
    return {n.kind: n for n in rows}


def test_a_reschedule_moves_both_reminders_to_the_new_start(slot_in, booked, patient, mail):
    old, new = slot_in(dt.timedelta(hours=30)), slot_in(dt.timedelta(hours=50))
    consultation = booked(old)
    dispatch_all()

    consultation_reschedule(
        consultation_id=consultation.pk, new_slot_id=new.pk, rescheduled_by=patient
    )
    dispatch_all()

    planned = reminders(consultation)
    assert {k: n.send_after for k, n in planned.items()} == {
        NotificationKind.REMINDER_24H: new.start_time - dt.timedelta(hours=24),
        NotificationKind.REMINDER_1H: new.start_time - dt.timedelta(hours=1),
    }
    assert {n.status for n in planned.values()} == {SendStatus.PENDING}
    # At the old 24 h mark nothing is due any more.
    old_mark = old.start_time - dt.timedelta(hours=24) + dt.timedelta(minutes=1)
    outcome = notification_send(
        notification_id=planned[NotificationKind.REMINDER_24H].pk, now=old_mark
    )
    assert outcome == "not_claimed"
    assert [m["Subject"] for m in mail.messages] == []


def test_a_reminder_claimed_before_the_move_was_dispatched_re_plans_itself(
    slot_in, booked, patient, mail
):
    old, new = slot_in(dt.timedelta(hours=30)), slot_in(dt.timedelta(hours=50))
    consultation = booked(old)
    dispatch_all()
    consultation_reschedule(
        consultation_id=consultation.pk, new_slot_id=new.pk, rescheduled_by=patient
    )
    reminder = reminders(consultation)[NotificationKind.REMINDER_24H]

    # The reschedule's event is not dispatched yet; the send checks the current start.
    outcome = notification_send(
        notification_id=reminder.pk, now=old.start_time - dt.timedelta(hours=23, minutes=59)
    )

    reminder.refresh_from_db()
    assert outcome == "moved"
    assert reminder.status == SendStatus.PENDING
    assert reminder.send_after == new.start_time - dt.timedelta(hours=24)
    assert mail.count() == 0


def test_a_cancelled_booking_gets_no_reminder(slot_in, booked, patient, mail):
    slot = slot_in(dt.timedelta(hours=30))
    consultation = booked(slot)
    dispatch_all()

    consultation_cancel(consultation_id=consultation.pk, cancelled_by=patient)
    dispatch_all()

    planned = reminders(consultation)
    assert {n.status for n in planned.values()} == {SendStatus.SKIPPED}
    for reminder in planned.values():
        assert notification_send(notification_id=reminder.pk, now=slot.start_time) == "not_claimed"
    cancelled = Notification.objects.get(
        consultation_id=consultation.pk, kind=NotificationKind.CANCELLED
    )
    assert notification_send(notification_id=cancelled.pk) == "sent"
    assert [m["Subject"] for m in mail.messages] == ["Your consultation was cancelled"]


def test_a_booking_inside_the_24h_window_plans_only_the_1h_reminder(slot_in, booked):
    consultation = booked(slot_in(dt.timedelta(hours=5)))

    dispatch_all()

    assert list(reminders(consultation)) == [NotificationKind.REMINDER_1H]


def test_a_second_dispatch_of_the_same_event_plans_nothing_more(slot_in, booked):
    consultation = booked(slot_in(dt.timedelta(hours=30)))
    event = OutboxEvent.objects.get(consultation_id=consultation.pk)

    first = event_dispatch(event_id=event.pk)
    second = event_dispatch(event_id=event.pk)

    assert len(first.notification_ids) == 2
    assert second.notification_ids == [] and second.delivery_ids == []
    assert Notification.objects.filter(consultation_id=consultation.pk).count() == 4


def test_no_email_of_any_kind_shows_reason_notes_diagnosis_or_medicine(
    slot_in, booked, patient, doctor, settings
):
    from consultations.services import consultation_notes_write

    settings.START_EARLY_MINUTES = 24 * 60
    consultation = booked(slot_in(dt.timedelta(hours=2)))
    consultation_start(consultation_id=consultation.pk, started_by=doctor.user)
    consultation_notes_write(
        consultation_id=consultation.pk,
        written_by=doctor.user,
        symptoms="Throbbing headache",
        diagnosis="Vataja shirahshula",
        advice="Nasya therapy",
    )
    consultation_prescription_issue(
        consultation_id=consultation.pk,
        issued_by=doctor.user,
        items=[
            {
                "medicine": "Pathyadi kwath",
                "dosage": "20 ml",
                "frequency": "twice daily",
                "durationDays": 10,
            }
        ],
        notes="Avoid cold food",
    )
    consultation.refresh_from_db()
    secrets = [PHI_REASON, "Throbbing", "Vataja", "Nasya", "Pathyadi", "Avoid cold"]

    for kind in NotificationKind:
        recipient = doctor.user if kind in ("booking_new", "cancelled_doctor") else patient
        notification = Notification(
            consultation_id=consultation.pk,
            kind=kind,
            recipient=recipient,
            planned_for=consultation.slot.start_time,
            send_after=timezone.now(),
        )
        message = render_email(notification, consultation_facts(consultation.pk))
        text = message.body + "".join(content for content, _ in message.alternatives)
        assert not [s for s in secrets if s in text], kind
        assert str(consultation.pk) in text


def test_smtp_down_is_retried_on_schedule_then_marked_failed(slot_in, booked, settings):
    from .rig import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()  # nothing listens there
    settings.EMAIL_TIMEOUT = 1
    consultation = booked(slot_in(dt.timedelta(hours=30)))
    dispatch_all()
    email = Notification.objects.get(
        consultation_id=consultation.pk, kind=NotificationKind.BOOKING_CONFIRMED
    )

    outcomes, waits = [], []
    now = timezone.now()
    for _ in range(4):
        outcomes.append(notification_send(notification_id=email.pk, now=now))
        email.refresh_from_db()
        waits.append((email.send_after - now).total_seconds())
        now = email.send_after

    assert outcomes == ["retry", "retry", "retry", "failed"]
    assert waits[:3] == [60, 300, 1800]
    assert email.status == SendStatus.FAILED
    assert email.attempts == 4
    assert email.last_error == "ConnectionRefusedError"
    assert notification_send(notification_id=email.pk, now=now) == "not_claimed"


def test_emails_arrive_through_smtp_with_text_and_html(slot_in, booked, patient, mail):
    consultation = booked(slot_in(dt.timedelta(hours=30)))
    dispatch_all()
    email = Notification.objects.get(
        consultation_id=consultation.pk, kind=NotificationKind.BOOKING_CONFIRMED
    )

    assert notification_send(notification_id=email.pk) == "sent"
    assert notification_send(notification_id=email.pk) == "not_claimed"

    [message] = mail.messages
    assert message["X-Envelope-To"] == patient.email
    types = [p.get_content_type() for p in message.walk()]
    assert "text/plain" in types and "text/html" in types
    assert PHI_REASON not in bodies(message)


def test_an_email_whose_worker_died_mid_send_is_sent_again_once(slot_in, booked, mail):
    consultation = booked(slot_in(dt.timedelta(hours=30)))
    dispatch_all()
    email = Notification.objects.get(
        consultation_id=consultation.pk, kind=NotificationKind.BOOKING_CONFIRMED
    )
    lease = timezone.now() + dt.timedelta(seconds=120)
    Notification.objects.filter(pk=email.pk).update(
        status=SendStatus.SENDING, attempts=1, lease_until=lease
    )

    during_lease = notification_send(notification_id=email.pk)
    after_lease = lease + dt.timedelta(seconds=1)
    outcomes = [notification_send(notification_id=email.pk, now=after_lease) for _ in range(2)]

    assert during_lease == "not_claimed"
    assert outcomes == ["sent", "not_claimed"]
    assert mail.count() == 1


def test_a_withdrawn_reminders_consent_stops_that_patients_pending_reminders(
    slot_in, booked, patient, patient_b, mail
):
    from consent.services import consent_record, consent_withdraw
    from notifications.selectors import notification_list_due

    mine = booked(slot_in(dt.timedelta(hours=30)))
    theirs_slot = slot_in(dt.timedelta(hours=31))
    theirs = booked(theirs_slot, who=patient_b)
    dispatch_all()
    # Withdrawn after booking, while the reminders are already planned.
    grant = consent_record(user=patient_b, purpose="reminders", granted=True)
    consent_withdraw(user=patient_b, consent_id=grant.pk)

    # The reminder pass at a moment both 24 h reminders are due.
    now = theirs_slot.start_time - dt.timedelta(hours=24) + dt.timedelta(minutes=1)
    for notification_id in notification_list_due(now=now):
        notification_send(notification_id=notification_id, now=now)

    def reminder_subjects(user) -> list[str]:
        return [m["Subject"] for m in mail.to(user.email) if m["Subject"].startswith("Reminder")]

    assert reminder_subjects(patient) == ["Reminder: your consultation is tomorrow"]
    assert reminder_subjects(patient_b) == []
    assert reminders(mine)[NotificationKind.REMINDER_24H].status == SendStatus.SENT
    assert reminders(theirs)[NotificationKind.REMINDER_24H].status == SendStatus.SKIPPED
