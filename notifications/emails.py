"""Email rendering: text and HTML templates under templates/emails/, times shown in the
patient's and the doctor's zones, a link to the consultation, and never PHI (no reason,
notes, diagnosis or medicine: the templates receive none of them)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from .models import REMINDER_OFFSETS, Notification, NotificationKind
from .sources import ConsultationFacts

SUBJECTS = {
    NotificationKind.BOOKING_CONFIRMED: "Your consultation is booked",
    NotificationKind.BOOKING_NEW: "New consultation booked",
    NotificationKind.CANCELLED: "Your consultation was cancelled",
    NotificationKind.CANCELLED_DOCTOR: "A consultation was cancelled",
    NotificationKind.RESCHEDULED: "Your consultation has a new time",
    NotificationKind.REMINDER_24H: "Reminder: your consultation is tomorrow",
    NotificationKind.REMINDER_1H: "Reminder: your consultation starts in an hour",
    NotificationKind.PRESCRIPTION_READY: "Your prescription is ready",
    NotificationKind.PAYMENT_RECEIVED: "We received your payment",
}
TEMPLATES = {
    NotificationKind.REMINDER_24H: "reminder",
    NotificationKind.REMINDER_1H: "reminder",
}


def _local(moment: dt.datetime, zone: str) -> str:
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local:%A %d %B %Y, %H:%M} ({zone})"


def email_context(notification: Notification, consultation: ConsultationFacts) -> dict[str, Any]:
    """Everything a template may show; nothing clinical is in it (nor in the facts)."""
    return {
        "recipient_name": notification.recipient.name,
        "doctor_name": consultation.doctor_name,
        "patient_time": _local(consultation.start, settings.PATIENT_TIME_ZONE),
        "doctor_time": _local(consultation.start, consultation.doctor_time_zone),
        "duration_minutes": int((consultation.end - consultation.start).total_seconds() // 60),
        "link": settings.CONSULTATION_LINK_TEMPLATE.format(id=consultation.id),
        "hours_before": REMINDER_OFFSETS.get(notification.kind, 0) // 60,
    }


def render_email(
    notification: Notification, consultation: ConsultationFacts
) -> EmailMultiAlternatives:
    kind = NotificationKind(notification.kind)
    template = TEMPLATES.get(kind, kind.value)
    context = email_context(notification, consultation)
    message = EmailMultiAlternatives(
        subject=SUBJECTS[kind],
        body=render_to_string(f"emails/{template}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.recipient.email],
        headers={"X-Amrutam-Notification": str(notification.pk)},
    )
    message.attach_alternative(render_to_string(f"emails/{template}.html", context), "text/html")
    return message
