"""Consultations (a booking of one slot) and idempotency records of booking writes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from amrutam.common.fields import EncryptedTextField
from amrutam.common.models import BaseModel


class ConsultationStatus(models.TextChoices):
    PENDING = "PENDING", "Pending"
    ACTIVE = "ACTIVE", "Active"
    COMPLETED = "COMPLETED", "Completed"
    CANCELLED = "CANCELLED", "Cancelled"
    NO_SHOW = "NO_SHOW", "No-show"


# A slot is taken while one of its consultations is in one of these states.
ACTIVE_STATUSES = (
    ConsultationStatus.PENDING,
    ConsultationStatus.ACTIVE,
    ConsultationStatus.COMPLETED,
)


class ConsultationQuerySet(models.QuerySet["Consultation"]):
    def active(self) -> ConsultationQuerySet:
        return self.filter(status__in=ACTIVE_STATUSES)


class Consultation(BaseModel):
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="consultations"
    )
    doctor = models.ForeignKey(
        "doctors.DoctorProfile", on_delete=models.PROTECT, related_name="consultations"
    )
    slot = models.ForeignKey(
        "doctors.AvailabilitySlot", on_delete=models.PROTECT, related_name="consultations"
    )
    status = models.CharField(
        max_length=16, choices=ConsultationStatus.choices, default=ConsultationStatus.PENDING
    )
    reason = EncryptedTextField(null=True, blank=True)
    meeting_token = models.CharField(max_length=64, unique=True)
    cancellation_reason = EncryptedTextField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    objects = ConsultationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # The database itself forbids a double booking, whatever code path writes.
            models.UniqueConstraint(
                fields=["slot"],
                condition=Q(status__in=ACTIVE_STATUSES),
                name="consultations_one_active_per_slot",
            ),
            models.CheckConstraint(
                condition=Q(status__in=ConsultationStatus.values),
                name="consultations_status_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["patient", "-created_at"], name="consult_patient_idx"),
            models.Index(fields=["doctor", "-created_at"], name="consult_doctor_idx"),
            models.Index(fields=["status", "created_at"], name="consult_status_idx"),
        ]
        permissions = [("view_phi", "Can view consultations' health information")]

    def __str__(self) -> str:
        return f"Consultation {self.pk} ({self.status})"

    @property
    def meeting_link(self) -> str:
        return f"{settings.MEETING_BASE_URL}{self.meeting_token}"


class IdempotencyRecord(models.Model):
    """The stored outcome of a write made with an Idempotency-Key (per user)."""

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    endpoint = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField()
    # The stored answer holds PHI (the consultation's reason), so it is encrypted.
    response_body = EncryptedTextField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_user_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"
