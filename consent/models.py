"""Consent records (TPG 2020, DPDP Act 2023): an append-only history per patient and purpose."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Purpose(models.TextChoices):
    TELEMEDICINE = "telemedicine", "Teleconsultation"
    DATA_SHARING = "data_sharing", "Sharing of health data"
    REMINDERS = "reminders", "Reminders"


class Mode(models.TextChoices):
    EXPLICIT = "EXPLICIT", "Explicit"
    # TPG 2020: a patient who starts a teleconsultation consents by doing so.
    IMPLIED = "IMPLIED", "Implied"


class ConsentRecord(models.Model):
    """One statement of a patient about one purpose. Rows are only ever inserted.

    A withdrawal is a new row (`granted` false) that names the record it withdraws in
    `withdraws`; the withdrawn record itself stays as it was. The current state of a
    purpose is its newest row. The database refuses UPDATE, DELETE and TRUNCATE.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="consents"
    )
    purpose = models.CharField(max_length=32, choices=Purpose.choices)
    granted = models.BooleanField()
    mode = models.CharField(max_length=16, choices=Mode.choices)
    notice_version = models.CharField(max_length=32)
    # One withdrawal per record: withdrawing twice is refused by the unique column too.
    withdraws = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="withdrawal"
    )
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user", "purpose", "-created_at"], name="consent_current_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(purpose__in=Purpose.values), name="consent_purpose_valid"
            ),
            models.CheckConstraint(condition=Q(mode__in=Mode.values), name="consent_mode_valid"),
            # A withdrawal refuses; an implied consent is only ever a grant.
            models.CheckConstraint(
                condition=Q(withdraws__isnull=True) | Q(granted=False),
                name="consent_withdrawal_is_refusal",
            ),
            models.CheckConstraint(
                condition=~Q(mode=Mode.IMPLIED) | Q(granted=True),
                name="consent_implied_is_grant",
            ),
            # Implied consent is recorded once per patient and purpose, never per
            # booking: two first bookings racing each other insert one row.
            models.UniqueConstraint(
                fields=["user", "purpose"],
                condition=Q(mode=Mode.IMPLIED),
                name="consent_one_implied_per_purpose",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} {'granted' if self.granted else 'refused'} ({self.pk})"
