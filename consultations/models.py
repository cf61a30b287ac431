"""Consultations (a booking of one slot), their clinical notes and prescription, and
idempotency records of booking writes."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from amrutam.common.fields import EncryptedJSONField, EncryptedTextField
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


# The lifecycle: every status change must be an edge of this table; anything else is
# refused with `invalid_state`. Rescheduling moves a PENDING consultation to another
# slot without changing its status.
TRANSITIONS: dict[str, frozenset[str]] = {
    ConsultationStatus.PENDING: frozenset(
        {ConsultationStatus.ACTIVE, ConsultationStatus.CANCELLED, ConsultationStatus.NO_SHOW}
    ),
    ConsultationStatus.ACTIVE: frozenset({ConsultationStatus.COMPLETED}),
    ConsultationStatus.COMPLETED: frozenset(),
    ConsultationStatus.CANCELLED: frozenset(),
    ConsultationStatus.NO_SHOW: frozenset(),
}

# Clinical notes and prescriptions belong to a consultation that took place.
CLINICAL_STATUSES = (ConsultationStatus.ACTIVE, ConsultationStatus.COMPLETED)


def can_transition(source: str, target: str) -> bool:
    return target in TRANSITIONS.get(source, frozenset())


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
    # The telemedicine consent the booking relied on (TPG 2020); null for bookings
    # made before consent was recorded.
    consent = models.ForeignKey(
        "consent.ConsentRecord",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
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
            # A cancelled consultation always says when; a started one, when it started.
            models.CheckConstraint(
                condition=~Q(status=ConsultationStatus.CANCELLED) | Q(cancelled_at__isnull=False),
                name="consultations_cancelled_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=CLINICAL_STATUSES) | Q(started_at__isnull=False),
                name="consultations_started_has_time",
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


class ClinicalNotes(BaseModel):
    """The doctor's notes of one consultation. Every clinical value is PHI, encrypted."""

    consultation = models.OneToOneField(
        Consultation, on_delete=models.PROTECT, related_name="notes"
    )
    author = models.ForeignKey("doctors.DoctorProfile", on_delete=models.PROTECT, related_name="+")
    symptoms = EncryptedTextField()
    diagnosis = EncryptedTextField()
    advice = EncryptedTextField()
    # A number, but clinical: encrypted as JSON like the rest of the notes.
    follow_up_in_days = EncryptedJSONField(null=True, blank=True)

    class Meta:
        verbose_name = "clinical notes"
        verbose_name_plural = "clinical notes"

    def __str__(self) -> str:
        return f"Notes of {self.consultation_id}"


class Prescription(BaseModel):
    """The one prescription of a consultation; items and notes are PHI, encrypted.

    The issuing doctor's name and registration number are copied at issue time: a
    prescription is a document, and it must keep saying who signed it.
    """

    # One prescription per consultation: the one-to-one column is unique in the database.
    consultation = models.OneToOneField(
        Consultation, on_delete=models.PROTECT, related_name="prescription"
    )
    doctor = models.ForeignKey("doctors.DoctorProfile", on_delete=models.PROTECT, related_name="+")
    doctor_name = models.CharField(max_length=150)
    registration_number = models.CharField(max_length=64)
    items = EncryptedJSONField()
    notes = EncryptedTextField(null=True, blank=True)
    # Not PHI; lets the database refuse an empty prescription, which it cannot see
    # inside the encrypted items.
    item_count = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(item_count__gte=1), name="consultations_prescription_has_items"
            ),
        ]

    def __str__(self) -> str:
        return f"Prescription of {self.consultation_id}"


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
