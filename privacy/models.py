"""Patients' data rights: erasure requests (DPDP Act 2023) and legal holds on retention."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from amrutam.common.fields import EncryptedTextField
from amrutam.common.models import BaseModel


class ErasureStatus(models.TextChoices):
    # Identity and profile erased; clinical records kept, encrypted, until `retained_until`.
    RETAINED = "RETAINED", "Clinical records retained"
    # Nothing identifiable is left (no clinical record was kept, or retention has ended).
    COMPLETED = "COMPLETED", "Completed"


class ErasureRequest(BaseModel):
    """A patient's erasure of their account: one per patient, never deleted."""

    patient = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="erasure_request"
    )
    status = models.CharField(max_length=16, choices=ErasureStatus.choices)
    requested_at = models.DateTimeField(default=timezone.now)
    retained_until = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_consultations = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ErasureStatus.values), name="privacy_erasure_status_valid"
            ),
            # Retained means there is a date to wait for; completed means it is done.
            models.CheckConstraint(
                condition=~Q(status=ErasureStatus.RETAINED) | Q(retained_until__isnull=False),
                name="privacy_erasure_retained_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(status=ErasureStatus.COMPLETED) | Q(completed_at__isnull=False),
                name="privacy_erasure_completed_has_time",
            ),
        ]
        indexes = [
            models.Index(
                fields=["retained_until"],
                condition=Q(status="RETAINED"),
                name="privacy_erasure_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Erasure of {self.patient_id} ({self.status})"


class LegalHold(BaseModel):
    """A legal hold on a patient's records: while active, retention erases nothing."""

    patient = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="legal_hold"
    )
    is_active = models.BooleanField(default=True)
    # May name a court case or a complaint about the patient's care: encrypted.
    reason = EncryptedTextField()
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(is_active=True) | Q(released_at__isnull=False),
                name="privacy_hold_released_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"Legal hold on {self.patient_id} ({'active' if self.is_active else 'released'})"
