"""Dispatch of outbox events into emails and webhook deliveries, and the sending of
emails. Every send first claims its row with a conditional UPDATE, so two workers, a
retry or a duplicated message never send the same email twice."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.selectors import user_ids_inactive
from consent.models import Purpose
from consent.selectors import consent_is_withdrawn

from .emails import render_email
from .models import (
    REMINDER_OFFSETS,
    Notification,
    NotificationKind,
    OutboxEvent,
    SendStatus,
    WebhookDelivery,
    WebhookEndpoint,
)
from .sources import ConsultationFacts, consultation_facts

logger = logging.getLogger("amrutam.notifications")

PATIENT, DOCTOR = "patient", "doctor"
# Emails each event plans: kind -> recipient.
EVENT_EMAILS: dict[str, dict[str, str]] = {
    "consultation.booked": {
        NotificationKind.BOOKING_CONFIRMED: PATIENT,
        NotificationKind.BOOKING_NEW: DOCTOR,
    },
    "consultation.cancelled": {
        NotificationKind.CANCELLED: PATIENT,
        NotificationKind.CANCELLED_DOCTOR: DOCTOR,
    },
    "consultation.rescheduled": {NotificationKind.RESCHEDULED: PATIENT},
    "prescription.issued": {NotificationKind.PRESCRIPTION_READY: PATIENT},
    "payment.paid": {NotificationKind.PAYMENT_RECEIVED: PATIENT},
}
# After these, the consultation will not take place as booked: reminders are dropped.
ENDING_EVENTS = {
    "consultation.cancelled",
    "consultation.started",
    "consultation.completed",
    "consultation.no_show",
}
# Emails re-sent for a new start when the consultation moves (a second reschedule).
REARMED_ON_MOVE = (NotificationKind.RESCHEDULED, *REMINDER_OFFSETS)


@dataclass
class Dispatched:
    notification_ids: list[Any] = field(default_factory=list)
    delivery_ids: list[Any] = field(default_factory=list)


def _recipient_id(consultation: ConsultationFacts, who: str) -> Any:
    return consultation.patient_id if who == PATIENT else consultation.doctor_user_id


def _plan_reminders(event: OutboxEvent, consultation: ConsultationFacts, now: dt.datetime) -> None:
    """Reminders for the consultation's current start; a move re-plans unsent and sent
    ones alike for the new start, and drops those whose moment has already passed."""
    start = consultation.start
    rows = Notification.objects.filter(consultation_id=consultation.id)
    for kind, minutes in REMINDER_OFFSETS.items():
        send_after = start - dt.timedelta(minutes=minutes)
        if send_after < event.created_at:
            # Booked or moved inside the reminder's window: no "in 24 hours" 3 hours ahead.
            rows.filter(kind=kind, status=SendStatus.PENDING).update(
                status=SendStatus.SKIPPED, updated_at=now
            )
            continue
        Notification.objects.bulk_create(
            [
                Notification(
                    consultation_id=consultation.id,
                    kind=kind,
                    recipient_id=consultation.patient_id,
                    planned_for=start,
                    send_after=send_after,
                )
            ],
            ignore_conflicts=True,
        )
        rows.filter(kind=kind).exclude(planned_for=start).update(
            status=SendStatus.PENDING,
            planned_for=start,
            send_after=send_after,
            attempts=0,
            lease_until=None,
            last_error="",
            sent_at=None,
            updated_at=now,
        )


def _plan_emails(event: OutboxEvent, consultation: ConsultationFacts, now: dt.datetime) -> None:
    start = consultation.start
    planned = {
        kind: _recipient_id(consultation, who)
        for kind, who in EVENT_EMAILS.get(event.event, {}).items()
    }
    # A deactivated account, or an erased patient (whose address is a placeholder, and
    # whose erasure cancelled the consultation), gets no email: it is planned as skipped.
    inactive = user_ids_inactive(ids=planned.values())
    Notification.objects.bulk_create(
        [
            Notification(
                consultation_id=consultation.id,
                kind=kind,
                recipient_id=recipient_id,
                planned_for=start,
                send_after=now,
                status=SendStatus.SKIPPED if recipient_id in inactive else SendStatus.PENDING,
            )
            for kind, recipient_id in planned.items()
        ],
        ignore_conflicts=True,
    )
    if event.event == "consultation.rescheduled":
        Notification.objects.filter(
            consultation_id=consultation.id, kind=NotificationKind.RESCHEDULED
        ).exclude(planned_for=start).update(
            status=SendStatus.PENDING,
            planned_for=start,
            send_after=now,
            attempts=0,
            lease_until=None,
            sent_at=None,
            updated_at=now,
        )
    if event.event in ("consultation.booked", "consultation.rescheduled"):
        _plan_reminders(event, consultation, now)
    elif event.event in ENDING_EVENTS:
        Notification.objects.filter(
            consultation_id=consultation.id,
            kind__in=list(REMINDER_OFFSETS),
            status=SendStatus.PENDING,
        ).update(status=SendStatus.SKIPPED, updated_at=now)


def _plan_deliveries(event: OutboxEvent) -> list[Any]:
    # Endpoints are few; filtering their event lists here works on every database.
    endpoints = [
        e for e in WebhookEndpoint.objects.filter(is_active=True) if event.event in e.events
    ]
    WebhookDelivery.objects.bulk_create(
        [WebhookDelivery(endpoint=e, outbox_event=event, event=event.event) for e in endpoints],
        ignore_conflicts=True,
    )
    return list(WebhookDelivery.objects.filter(outbox_event=event).values_list("pk", flat=True))


def event_dispatch(*, event_id: Any, now: dt.datetime | None = None) -> Dispatched:
    """Turn a committed outbox event into its emails and webhook deliveries, once: a
    second call (duplicate message, the sweep) finds the row dispatched and does nothing."""
    now = now or timezone.now()
    with transaction.atomic():
        event = (
            OutboxEvent.objects.select_for_update(skip_locked=True)
            .filter(pk=event_id, dispatched_at__isnull=True)
            .first()
        )
        if event is None:
            return Dispatched()
        consultation = consultation_facts(event.consultation_id)
        _plan_emails(event, consultation, now)
        delivery_ids = _plan_deliveries(event)
        event.dispatched_at = now
        event.save(update_fields=["dispatched_at"])
    due = Notification.objects.filter(
        consultation_id=event.consultation_id, status=SendStatus.PENDING, send_after__lte=now
    ).values_list("pk", flat=True)
    return Dispatched(notification_ids=list(due), delivery_ids=delivery_ids)


def _claim(model: Any, pk: Any, *, ready: Q, now: dt.datetime, lease: dt.datetime) -> bool:
    """Take the row for one send: ready now, or claimed by a worker whose lease ran out."""
    expired = Q(status="SENDING", lease_until__lt=now)
    return bool(
        model.objects.filter(Q(pk=pk) & (ready | expired)).update(
            status="SENDING", lease_until=lease, attempts=F("attempts") + 1, updated_at=now
        )
    )


def _finish(pk: Any, lease: dt.datetime, **values: Any) -> bool:
    """Record a send's outcome unless the row was re-planned (or re-claimed) meanwhile."""
    return bool(
        Notification.objects.filter(pk=pk, status=SendStatus.SENDING, lease_until=lease).update(
            lease_until=None, updated_at=timezone.now(), **values
        )
    )


def _not_due_reason(
    notification: Notification, consultation: ConsultationFacts, now: dt.datetime
) -> str:
    if notification.kind not in REMINDER_OFFSETS:
        return ""
    if consultation.status != "PENDING" or now >= consultation.start:
        return "skip"
    # Read at send time, not when planned: a withdrawal after booking stops the
    # reminders still pending.
    if consent_is_withdrawn(user_id=notification.recipient_id, purpose=Purpose.REMINDERS):
        return "skip"
    if consultation.start != notification.planned_for:
        return "moved"
    return ""


def notification_send(*, notification_id: Any, now: dt.datetime | None = None) -> str:
    """Send one due email. Returns its outcome: sent, retry, failed, skipped, moved, or
    not_claimed (not due, or another worker has it)."""
    now = now or timezone.now()
    lease = now + dt.timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
    ready = Q(status=SendStatus.PENDING, send_after__lte=now)
    if not _claim(Notification, notification_id, ready=ready, now=now, lease=lease):
        return "not_claimed"
    notification = Notification.objects.select_related("recipient").get(pk=notification_id)
    consultation = consultation_facts(notification.consultation_id)

    reason = _not_due_reason(notification, consultation, now)
    if reason == "skip":
        _finish(notification.pk, lease, status=SendStatus.SKIPPED)
        return "skipped"
    if reason == "moved":
        start = consultation.start
        _finish(
            notification.pk,
            lease,
            status=SendStatus.PENDING,
            planned_for=start,
            send_after=start - dt.timedelta(minutes=REMINDER_OFFSETS[notification.kind]),
            attempts=F("attempts") - 1,
        )
        return "moved"

    try:
        render_email(notification, consultation).send()
    except Exception as exc:  # any mail backend error: retried, then marked failed
        return _send_failed(notification, lease, exc, now)
    _finish(notification.pk, lease, status=SendStatus.SENT, sent_at=timezone.now())
    return "sent"


def _send_failed(notification: Notification, lease: dt.datetime, exc: Exception, now: Any) -> str:
    schedule = settings.EMAIL_RETRY_SCHEDULE_SECONDS
    error = type(exc).__name__[:200]
    logger.warning(
        "notification_send_failed",
        extra={"notification": str(notification.pk), "error": error},
    )
    if notification.attempts > len(schedule):
        _finish(notification.pk, lease, status=SendStatus.FAILED, last_error=error)
        return "failed"
    wait = dt.timedelta(seconds=schedule[notification.attempts - 1])
    _finish(
        notification.pk, lease, status=SendStatus.PENDING, send_after=now + wait, last_error=error
    )
    return "retry"


def notification_retry(*, notification_id: Any) -> bool:
    """Give a failed email one more attempt now (back office). False if it had not failed."""
    return bool(
        Notification.objects.filter(pk=notification_id, status=SendStatus.FAILED).update(
            status=SendStatus.PENDING, send_after=timezone.now(), updated_at=timezone.now()
        )
    )
