"""Shapes of the doctors API: query parameters, request bodies and responses."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from rest_framework import serializers

from amrutam.common.drf.fields import AwareDateTimeField

from .models import SlotStatus
from .scheduling import hhmm_to_minutes, is_valid_timezone, minutes_to_hhmm
from .selectors import DEFAULT_ORDERING, ORDERINGS
from .services import MAX_RULES, MAX_SLOTS_PER_REQUEST

EARLIEST_DATE = dt.date(2000, 1, 1)
LATEST_DATE = dt.date(2100, 12, 31)
DEFAULT_WINDOW_DAYS = 7
MAX_WINDOW_DAYS = 31


def _check_date_range(value: dt.date | None) -> dt.date | None:
    if value is not None and not EARLIEST_DATE <= value <= LATEST_DATE:
        raise serializers.ValidationError("Must be between 2000-01-01 and 2100-12-31.")
    return value


class TimezoneField(serializers.CharField):
    """An IANA zone name known to this machine (e.g. Asia/Kolkata, Europe/London)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 64)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        if not is_valid_timezone(value):
            raise serializers.ValidationError("Unknown IANA time zone.")
        return value


# --- Doctors -------------------------------------------------------------------------------


class DoctorOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(source="user.name", read_only=True)
    specialization = serializers.CharField(read_only=True)
    qualifications = serializers.CharField(read_only=True)
    registrationNumber = serializers.CharField(source="registration_number", read_only=True)
    languages = serializers.ListField(child=serializers.CharField(), read_only=True)
    consultationFee = serializers.DecimalField(
        source="consultation_fee", max_digits=10, decimal_places=2, read_only=True
    )
    currency = serializers.SerializerMethodField()
    experienceYears = serializers.IntegerField(source="experience_years", read_only=True)
    bio = serializers.CharField(read_only=True)
    timezone = serializers.CharField(read_only=True)
    slotMinutes = serializers.IntegerField(source="slot_minutes", read_only=True)
    isVerified = serializers.BooleanField(source="is_verified", read_only=True)
    nextAvailableSlot = serializers.DateTimeField(
        source="next_available_slot", read_only=True, allow_null=True
    )

    def get_currency(self, obj: Any) -> str:
        return "INR"


class DoctorUpdateInputSerializer(serializers.Serializer):
    """PATCH /doctors/me: any subset. `isVerified` is refused (400): staff set it."""

    specialization = serializers.CharField(max_length=100, allow_blank=True, required=False)
    qualifications = serializers.CharField(max_length=255, allow_blank=True, required=False)
    registrationNumber = serializers.CharField(
        source="registration_number", max_length=64, allow_blank=True, required=False
    )
    languages = serializers.ListField(
        child=serializers.CharField(max_length=50), max_length=20, required=False
    )
    consultationFee = serializers.DecimalField(
        source="consultation_fee",
        max_digits=10,
        decimal_places=2,
        min_value=Decimal("0.00"),
        required=False,
    )
    experienceYears = serializers.IntegerField(
        source="experience_years", min_value=0, max_value=80, required=False
    )
    bio = serializers.CharField(max_length=5000, allow_blank=True, required=False)
    timezone = TimezoneField(required=False)
    slotMinutes = serializers.IntegerField(
        source="slot_minutes", min_value=5, max_value=240, required=False
    )
    isVerified = serializers.BooleanField(
        source="is_verified",
        required=False,
        help_text="Refused with 400 validation_error: clinic staff verify doctors.",
    )

    def validate_languages(self, value: list[str]) -> list[str]:
        # Keep the doctor's order, drop repeats, so filters and display stay clean.
        seen: list[str] = []
        for language in value:
            if language not in seen:
                seen.append(language)
        return seen


class DirectoryQuerySerializer(serializers.Serializer):
    specialization = serializers.CharField(max_length=100, required=False)
    language = serializers.CharField(
        max_length=50, required=False, help_text="Exact language name, e.g. Hindi."
    )
    q = serializers.CharField(
        max_length=100, required=False, help_text="Substring of the name or specialization."
    )
    minFee = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal("0"), required=False
    )
    maxFee = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal("0"), required=False
    )
    availableOn = serializers.DateField(
        input_formats=["%Y-%m-%d"],
        required=False,
        help_text="Has a bookable slot that day, in the doctor's time zone.",
    )
    ordering = serializers.ChoiceField(
        choices=list(ORDERINGS), default=DEFAULT_ORDERING, required=False
    )

    def validate_availableOn(self, value: dt.date) -> dt.date | None:
        return _check_date_range(value)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        low, high = attrs.get("minFee"), attrs.get("maxFee")
        if low is not None and high is not None and low > high:
            raise serializers.ValidationError({"maxFee": ["Must not be below minFee."]})
        return attrs


class WindowQuerySerializer(serializers.Serializer):
    start_date = serializers.DateField(
        input_formats=["%Y-%m-%d"],
        required=False,
        help_text="YYYY-MM-DD; default today in the doctor's time zone.",
    )
    days = serializers.IntegerField(
        min_value=1, max_value=MAX_WINDOW_DAYS, default=DEFAULT_WINDOW_DAYS, required=False
    )

    def validate_start_date(self, value: dt.date) -> dt.date | None:
        return _check_date_range(value)


class OwnSlotsQuerySerializer(WindowQuerySerializer):
    status = serializers.ChoiceField(choices=SlotStatus.values, required=False)


# --- Slots ---------------------------------------------------------------------------------


class SlotOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    doctorId = serializers.UUIDField(source="doctor_id", read_only=True)
    startTime = serializers.DateTimeField(source="start_time", read_only=True)
    endTime = serializers.DateTimeField(source="end_time", read_only=True)
    status = serializers.ChoiceField(choices=SlotStatus.values, read_only=True)


class SlotRangeInputSerializer(serializers.Serializer):
    startTime = AwareDateTimeField()
    endTime = AwareDateTimeField()


class SlotsCreateInputSerializer(serializers.Serializer):
    slots = SlotRangeInputSerializer(
        many=True,
        help_text=f"1 to {MAX_SLOTS_PER_REQUEST} slots, all created or none.",
    )

    def to_internal_value(self, data: Any) -> Any:
        # The size is checked before any item is parsed, and reported under `slots`
        # itself rather than a nested non-field key.
        slots = data.get("slots") if hasattr(data, "get") else None
        if isinstance(slots, list) and not 1 <= len(slots) <= MAX_SLOTS_PER_REQUEST:
            raise serializers.ValidationError(
                {"slots": [f"Give 1 to {MAX_SLOTS_PER_REQUEST} slots."]}
            )
        return super().to_internal_value(data)


# --- Weekly schedule -----------------------------------------------------------------------


class HourMinuteField(serializers.CharField):
    """A wall-clock time "HH:MM" (00:00-24:00), as minutes after midnight."""

    def to_internal_value(self, data: Any) -> int:
        value = super().to_internal_value(data)
        try:
            return hhmm_to_minutes(value)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from exc

    def to_representation(self, value: int) -> str:
        return minutes_to_hhmm(value)


class ScheduleRuleSerializer(serializers.Serializer):
    weekday = serializers.IntegerField(
        min_value=0, max_value=6, help_text="0 = Monday ... 6 = Sunday."
    )
    start = HourMinuteField(source="start_minute")
    end = HourMinuteField(source="end_minute")


class ScheduleInputSerializer(serializers.Serializer):
    """PUT /doctors/me/schedule. `timezone` and `slotMinutes` keep their values if left out."""

    timezone = TimezoneField(required=False)
    slotMinutes = serializers.IntegerField(min_value=5, max_value=240, required=False)
    rules = ScheduleRuleSerializer(many=True, help_text=f"At most {MAX_RULES} rules.")

    def to_internal_value(self, data: Any) -> Any:
        rules = data.get("rules") if hasattr(data, "get") else None
        if isinstance(rules, list) and len(rules) > MAX_RULES:
            raise serializers.ValidationError({"rules": [f"At most {MAX_RULES} rules."]})
        return super().to_internal_value(data)


class ScheduleOutputSerializer(serializers.Serializer):
    timezone = serializers.CharField()
    slotMinutes = serializers.IntegerField()
    rules = ScheduleRuleSerializer(many=True)


def schedule_data(*, doctor: Any, rules: list[Any]) -> dict[str, Any]:
    return ScheduleOutputSerializer(
        {"timezone": doctor.timezone, "slotMinutes": doctor.slot_minutes, "rules": rules}
    ).data


# --- Time off ------------------------------------------------------------------------------


class TimeOffInputSerializer(serializers.Serializer):
    start = AwareDateTimeField()
    end = AwareDateTimeField()
    reason = serializers.CharField(
        max_length=500, required=False, allow_blank=True, allow_null=True
    )


class BookedConsultationSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    slotId = serializers.UUIDField(source="slot_id", read_only=True)
    startTime = serializers.DateTimeField(source="slot.start_time", read_only=True)
    endTime = serializers.DateTimeField(source="slot.end_time", read_only=True)
    status = serializers.CharField(read_only=True)


class TimeOffOutputSerializer(serializers.Serializer):
    blockedSlots = SlotOutputSerializer(many=True, source="blocked_slots")
    bookedConsultations = BookedConsultationSerializer(many=True, source="booked_consultations")
