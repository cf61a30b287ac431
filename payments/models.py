"""Payments of consultations (amounts in paise) and the gateway's webhook events seen."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from amrutam.common.models import BaseModel


class PaymentStatus(models.TextChoices):
    PENDING = "PENDING", "Pending"
    PAID = "PAID", "Paid"
    FAILED = "FAILED", "Failed"
    EXPIRED = "EXPIRED", "Expired"
    REFUND_PENDING = "REFUND_PENDING", "Refund pending"
    REFUNDED = "REFUNDED", "Refunded"


# Unpaid: the slot is held until `expires_at`. A FAILED attempt can still be followed by
# a successful one on the same order while the hold lasts.
UNPAID_STATUSES = (PaymentStatus.PENDING, PaymentStatus.FAILED)
# Money was taken: these count as revenue (less what was refunded).
CAPTURED_STATUSES = (PaymentStatus.PAID, PaymentStatus.REFUND_PENDING, PaymentStatus.REFUNDED)


class Payment(BaseModel):
    """The payment of one consultation. Every change runs with the consultation's row
    locked (payments/services.py), so a confirm, a webhook and a job never interleave."""

    consultation = models.OneToOneField(
        "consultations.Consultation", on_delete=models.PROTECT, related_name="payment"
    )
    # Paise: integers, as the gateway counts them; never a float.
    amount = models.PositiveIntegerField()
    currency = models.CharField(max_length=3, default="INR")
    gateway = models.CharField(max_length=16)
    gateway_order_id = models.CharField(max_length=64, null=True, blank=True, unique=True)
    gateway_payment_id = models.CharField(max_length=64, null=True, blank=True, unique=True)
    # None until the gateway names it, like the unique ids above.
    gateway_refund_id = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    status = models.CharField(
        max_length=16, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    expires_at = models.DateTimeField()
    paid_at = models.DateTimeField(null=True, blank=True)
    refunded_amount = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payments_amount_positive"),
            models.CheckConstraint(
                condition=Q(status__in=PaymentStatus.values), name="payments_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(refunded_amount__lte=F("amount")),
                name="payments_refund_within_amount",
            ),
            # Money taken always names the gateway's payment it came from.
            models.CheckConstraint(
                condition=~Q(status__in=CAPTURED_STATUSES) | Q(gateway_payment_id__isnull=False),
                name="payments_captured_has_gateway_payment",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "expires_at"], name="payment_status_expiry_idx"),
        ]

    def __str__(self) -> str:
        return f"Payment {self.pk} ({self.status})"


class WebhookEvent(models.Model):
    """A gateway webhook handled once: its event id is unique, so a redelivery is a no-op."""

    id = models.BigAutoField(primary_key=True)
    event_id = models.CharField(max_length=128)
    event = models.CharField(max_length=64)
    outcome = models.CharField(max_length=32)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event_id"], name="payments_webhook_event_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.event_id}"
