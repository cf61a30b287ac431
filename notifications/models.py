"""The outbox of state changes, the emails planned from it, outbound webhook endpoints
and their deliveries, and the claims that keep a scheduled job to one run per tick."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone

from amrutam.common.fields import EncryptedTextField
from amrutam.common.models import BaseModel

# Webhook event names (API.md).
WEBHOOK_EVENTS = (
    "consultation.booked",
    "consultation.cancelled",
    "consultation.rescheduled",
    "consultation.started",
    "consultation.completed",
    "consultation.no_show",
    "payment.paid",
    "payment.refunded",
)
# Outbox events that are not webhook events (emails only).
PRESCRIPTION_ISSUED = "prescription.issued"
OUTBOX_EVENTS = (*WEBHOOK_EVENTS, PRESCRIPTION_ISSUED)
# Events a consultation can have only once (its one payment is paid once, refunded once):
# a unique index makes a second row impossible, whoever tries to write it.
ONCE_PER_CONSULTATION = ("payment.paid", "payment.refunded")


class OutboxEvent(models.Model):
    """One state change to be told, written in the transaction that made it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    event = models.CharField(max_length=64)
    consultation_id = models.UUIDField()
    # Ids and statuses only, never PHI: this is also the webhook body's `data`.
    data = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)
    dispatched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["consultation_id", "event"],
                condition=Q(event__in=ONCE_PER_CONSULTATION),
                name="notif_outbox_once_per_consultation",
            ),
        ]
        indexes = [
            # The sweep's and the metrics' read: rows not yet handed over, oldest first.
            models.Index(
                fields=["created_at"],
                condition=Q(dispatched_at__isnull=True),
                name="notif_outbox_pending_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.consultation_id}"


class NotificationKind(models.TextChoices):
    BOOKING_CONFIRMED = "booking_confirmed", "Booking confirmed (patient)"
    BOOKING_NEW = "booking_new", "New booking (doctor)"
    CANCELLED = "cancelled", "Cancelled (patient)"
    CANCELLED_DOCTOR = "cancelled_doctor", "Cancelled (doctor)"
    RESCHEDULED = "rescheduled", "Rescheduled (patient)"
    REMINDER_24H = "reminder_24h", "Reminder 24 h before (patient)"
    REMINDER_1H = "reminder_1h", "Reminder 1 h before (patient)"
    PRESCRIPTION_READY = "prescription_ready", "Prescription ready (patient)"
    PAYMENT_RECEIVED = "payment_received", "Payment received (patient)"


# Reminder kind -> minutes before the start.
REMINDER_OFFSETS: dict[str, int] = {
    NotificationKind.REMINDER_24H: 24 * 60,
    NotificationKind.REMINDER_1H: 60,
}


class SendStatus(models.TextChoices):
    PENDING = "PENDING", "Pending"
    SENDING = "SENDING", "Sending"
    SENT = "SENT", "Sent"
    SKIPPED = "SKIPPED", "Skipped"
    FAILED = "FAILED", "Failed"


class Notification(BaseModel):
    """One email about one consultation to one recipient: at most one of each kind."""

    consultation_id = models.UUIDField()
    kind = models.CharField(max_length=32, choices=NotificationKind.choices)
    recipient = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, related_name="notifications"
    )
    status = models.CharField(max_length=16, choices=SendStatus.choices, default=SendStatus.PENDING)
    # The consultation start this email speaks of: a reschedule re-plans the row for
    # the new start, and a send re-checks it against the consultation's current one.
    planned_for = models.DateTimeField()
    send_after = models.DateTimeField()
    lease_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # The exception's class name only: an SMTP answer can echo the message.
    last_error = models.CharField(max_length=200, blank=True, default="")
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["consultation_id", "kind", "recipient"],
                name="notif_one_per_consultation_kind_recipient",
            ),
        ]
        indexes = [
            models.Index(
                fields=["send_after"],
                condition=Q(status__in=["PENDING", "SENDING"]),
                name="notif_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.consultation_id}"


class WebhookEndpoint(BaseModel):
    url = models.CharField(max_length=2000)
    events = models.JSONField(default=list)
    is_active = models.BooleanField(default=True)
    # Shown once at creation; kept encrypted because it signs what receivers trust.
    secret = EncryptedTextField()

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "PENDING", "Pending"
    SENDING = "SENDING", "Sending"
    RETRYING = "RETRYING", "Retrying"
    DELIVERED = "DELIVERED", "Delivered"
    FAILED = "FAILED", "Failed"


class WebhookDelivery(BaseModel):
    """One event to one endpoint. Its id is the X-Amrutam-Delivery header."""

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    outbox_event = models.ForeignKey(OutboxEvent, on_delete=models.PROTECT, related_name="+")
    event = models.CharField(max_length=64)
    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True, default="")
    next_attempt_at = models.DateTimeField(null=True, blank=True, default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "outbox_event"], name="notif_one_delivery_per_event"
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status__in=["PENDING", "SENDING", "RETRYING"]),
                name="notif_delivery_due_idx",
            ),
            models.Index(fields=["endpoint", "-created_at"], name="notif_delivery_log_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event} -> {self.endpoint_id}"


class ScheduledRun(models.Model):
    """A recurring job's run at one schedule tick; the primary key makes it happen once."""

    job = models.CharField(max_length=64)
    tick = models.DateTimeField()
    claimed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "tick"], name="notif_one_run_per_tick"),
        ]

    def __str__(self) -> str:
        return f"{self.job} @ {self.tick:%Y-%m-%d %H:%M}"
