"""Doctor profiles, availability slots, weekly schedule rules and time off."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import IntegerRangeField, RangeBoundary, RangeOperators
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Func, Q

from amrutam.common.constraints import PostgresExclusionConstraint, non_overlapping_ranges
from amrutam.common.display import clock, doctor_name, weekday_name
from amrutam.common.fields import EncryptedTextField
from amrutam.common.models import BaseModel

MINUTES_PER_DAY = 24 * 60


class DoctorProfile(BaseModel):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="doctor_profile"
    )
    specialization = models.CharField(max_length=100, blank=True, default="", db_index=True)
    qualifications = models.CharField(max_length=255, blank=True, default="")
    registration_number = models.CharField(max_length=64, blank=True, default="")
    languages = models.JSONField(default=list, blank=True)
    consultation_fee = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0.00"))],
    )
    experience_years = models.PositiveSmallIntegerField(
        default=0, validators=[MaxValueValidator(80)]
    )
    bio = models.TextField(blank=True, default="", max_length=5000)
    timezone = models.CharField(max_length=64, default="Asia/Kolkata")
    slot_minutes = models.PositiveSmallIntegerField(
        default=30, validators=[MinValueValidator(5), MaxValueValidator(240)]
    )
    is_verified = models.BooleanField(default=False, db_index=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(consultation_fee__gte=0), name="doctors_fee_non_negative"
            ),
            models.CheckConstraint(
                condition=~Q(is_verified=True) | ~Q(registration_number=""),
                name="doctors_verified_has_registration_number",
            ),
        ]

    def __str__(self) -> str:
        return doctor_name(self.user.name) if self.user_id else "Doctor"


class SlotStatus(models.TextChoices):
    AVAILABLE = "AVAILABLE", "Available"
    BOOKED = "BOOKED", "Booked"
    BLOCKED = "BLOCKED", "Blocked"


class AvailabilitySlot(BaseModel):
    doctor = models.ForeignKey(DoctorProfile, on_delete=models.CASCADE, related_name="slots")
    start_time = models.DateTimeField()
    end_time = models.DateTimeField()
    status = models.CharField(
        max_length=16, choices=SlotStatus.choices, default=SlotStatus.AVAILABLE
    )

    class Meta:
        ordering = ["start_time"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_time__gt=F("start_time")), name="doctors_slot_end_after_start"
            ),
            models.CheckConstraint(
                condition=Q(status__in=SlotStatus.values), name="doctors_slot_status_valid"
            ),
            # Two slots of one doctor never overlap, even under concurrent writes.
            non_overlapping_ranges(
                name="doctors_slot_no_overlap", start="start_time", end="end_time", per="doctor"
            ),
        ]
        indexes = [
            # The availability read: one doctor's slots of one status in a window.
            models.Index(fields=["doctor", "status", "start_time"], name="doctors_slot_avail_idx"),
            # Consultation lists are ordered by their slot's start, latest first: their
            # pages walk this index instead of sorting every slot ever made.
            models.Index(fields=["start_time"], name="doctors_slot_start_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.start_time:%Y-%m-%d %H:%M} ({self.status})"


class Int4Range(Func):
    function = "INT4RANGE"
    output_field = IntegerRangeField()


class ScheduleRule(BaseModel):
    """One weekly working window, in the doctor's wall-clock time (minutes after midnight)."""

    doctor = models.ForeignKey(
        DoctorProfile, on_delete=models.CASCADE, related_name="schedule_rules"
    )
    weekday = models.PositiveSmallIntegerField(validators=[MaxValueValidator(6)])  # Monday = 0
    start_minute = models.PositiveSmallIntegerField(
        validators=[MaxValueValidator(MINUTES_PER_DAY - 1)]
    )
    end_minute = models.PositiveSmallIntegerField(validators=[MaxValueValidator(MINUTES_PER_DAY)])

    class Meta:
        ordering = ["weekday", "start_minute"]
        constraints = [
            models.CheckConstraint(
                condition=Q(weekday__gte=0, weekday__lte=6), name="doctors_rule_weekday_valid"
            ),
            models.CheckConstraint(
                condition=Q(start_minute__gte=0)
                & Q(end_minute__gt=F("start_minute"))
                & Q(end_minute__lte=MINUTES_PER_DAY),
                name="doctors_rule_window_valid",
            ),
            # Two rules of one doctor on one weekday never overlap.
            PostgresExclusionConstraint(
                name="doctors_rule_no_overlap",
                expressions=[
                    (
                        Int4Range("start_minute", "end_minute", RangeBoundary()),
                        RangeOperators.OVERLAPS,
                    ),
                    ("doctor", RangeOperators.EQUAL),
                    ("weekday", RangeOperators.EQUAL),
                ],
            ),
        ]

    def __str__(self) -> str:
        return f"{weekday_name(self.weekday)} {clock(self.start_minute)}-{clock(self.end_minute)}"


class TimeOff(BaseModel):
    """A doctor's declared absence; its free slots were blocked when it was recorded."""

    doctor = models.ForeignKey(DoctorProfile, on_delete=models.CASCADE, related_name="time_off")
    start_time = models.DateTimeField()
    end_time = models.DateTimeField()
    # The reason may describe the doctor's own health, so it is encrypted like PHI.
    reason = EncryptedTextField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-start_time"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_time__gt=F("start_time")), name="doctors_time_off_end_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.start_time:%Y-%m-%d %H:%M} - {self.end_time:%Y-%m-%d %H:%M}"
