"""Shapes of consultation requests and responses on the wire (camelCase)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from amrutam.common.contract.window import WindowSerializer

from . import payment_view
from .models import CLINICAL_STATUSES, Consultation, ConsultationStatus

REASON_MAX = 2000
CLINICAL_TEXT_MAX = 10_000
PRESCRIPTION_ITEMS_MAX = 50
DURATION_DAYS_MAX = 365
FOLLOW_UP_DAYS_MAX = 365

# ---------------------------------------------------------------- requests


class TextField(serializers.CharField):
    """A string and only a string: DRF's CharField would turn 42 or true into text."""

    default_error_messages = {"not_a_string": "Must be a string."}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)


class BookingCreateInputSerializer(serializers.Serializer):
    doctorId = serializers.UUIDField(source="doctor_id")
    slotId = serializers.UUIDField(source="slot_id")
    reason = TextField(max_length=REASON_MAX, required=False, allow_blank=True, allow_null=True)


class RescheduleInputSerializer(serializers.Serializer):
    slotId = serializers.UUIDField(source="slot_id")


class CancelInputSerializer(serializers.Serializer):
    reason = TextField(max_length=REASON_MAX, required=False, allow_blank=True, allow_null=True)


class NotesInputSerializer(serializers.Serializer):
    symptoms = TextField(max_length=CLINICAL_TEXT_MAX)
    diagnosis = TextField(max_length=CLINICAL_TEXT_MAX)
    # Required and not blank, as the model has always checked it: the schema says so.
    advice = TextField(max_length=CLINICAL_TEXT_MAX)
    followUpInDays = serializers.IntegerField(
        source="follow_up_in_days",
        min_value=1,
        max_value=FOLLOW_UP_DAYS_MAX,
        required=False,
        allow_null=True,
    )


class PrescriptionItemSerializer(serializers.Serializer):
    medicine = TextField(max_length=200)
    dosage = TextField(max_length=100)
    frequency = TextField(max_length=100)
    durationDays = serializers.IntegerField(min_value=1, max_value=DURATION_DAYS_MAX)
    instructions = TextField(max_length=1000, required=False, allow_blank=True, allow_null=True)


class PrescriptionInputSerializer(serializers.Serializer):
    items = PrescriptionItemSerializer(
        many=True, allow_empty=False, max_length=PRESCRIPTION_ITEMS_MAX
    )
    notes = TextField(
        max_length=CLINICAL_TEXT_MAX, required=False, allow_blank=True, allow_null=True
    )


class ConsultationListParamsSerializer(WindowSerializer):
    """`status`, and `from`/`to` bounding the start time (amrutam/common/contract/window.py)."""

    status = serializers.ChoiceField(choices=ConsultationStatus.choices, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        return {
            "status": attrs.get("status"),
            "starts_from": attrs["since"],
            "starts_before": attrs["until"],
        }


# ---------------------------------------------------------------- responses


class NotesOutputSerializer(serializers.Serializer):
    consultationId = serializers.UUIDField(source="consultation_id")
    symptoms = serializers.CharField()
    diagnosis = serializers.CharField()
    advice = serializers.CharField()
    followUpInDays = serializers.IntegerField(source="follow_up_in_days", allow_null=True)
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")


class PrescriptionItemOutputSerializer(serializers.Serializer):
    medicine = serializers.CharField()
    dosage = serializers.CharField()
    frequency = serializers.CharField()
    durationDays = serializers.IntegerField()
    instructions = serializers.CharField(allow_null=True)


class PrescriptionOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    consultationId = serializers.UUIDField(source="consultation_id")
    doctorId = serializers.UUIDField(source="doctor_id")
    doctorName = serializers.CharField(source="doctor_name")
    registrationNumber = serializers.CharField(source="registration_number")
    items = PrescriptionItemOutputSerializer(many=True)
    notes = serializers.CharField(allow_null=True)
    issuedAt = serializers.DateTimeField(source="created_at")


class ConsultationListItemSerializer(serializers.Serializer):
    """A consultation in a list: everything but its health information (reason, notes,
    prescription), which only the detail read gives, on the access log."""

    id = serializers.UUIDField()
    patientId = serializers.UUIDField(source="patient_id")
    doctorId = serializers.UUIDField(source="doctor_id")
    slotId = serializers.UUIDField(source="slot_id")
    startTime = serializers.DateTimeField(source="slot.start_time")
    endTime = serializers.DateTimeField(source="slot.end_time")
    status = serializers.ChoiceField(choices=ConsultationStatus.choices)
    meetingLink = serializers.CharField(source="meeting_link")
    cancelledBy = serializers.UUIDField(source="cancelled_by_id", allow_null=True)
    consentId = serializers.UUIDField(
        source="consent_id",
        allow_null=True,
        help_text="The telemedicine consent the booking relied on (null before consent records).",
    )
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")
    paymentStatus = serializers.SerializerMethodField()
    payment = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ChoiceField(choices=payment_view.STATUSES))
    def get_paymentStatus(self, obj: Consultation) -> str:
        return payment_view.payment_status(obj)

    @extend_schema_field(payment_view.PAYMENT_SCHEMA)
    def get_payment(self, obj: Consultation) -> dict[str, Any] | None:
        return payment_view.payment_data(obj)


PHI_OUTPUT_FIELDS = ("reason", "cancellationReason", "notes", "prescription")


class WithheldFieldsField(serializers.ListField):
    """The names of the health fields sent as null; not read from the object."""

    def get_attribute(self, instance: Any) -> list[str]:
        return list(PHI_OUTPUT_FIELDS)


class ConsultationOutputSerializer(ConsultationListItemSerializer):
    """The Consultation of API.md, health information included.

    With `context={"withhold_phi": True}` (an admin without the view-PHI permission) the
    health fields are null and `withheldFields` names them; otherwise that key is absent.
    """

    reason = serializers.CharField(allow_null=True)
    cancellationReason = serializers.CharField(source="cancellation_reason", allow_null=True)
    notes = serializers.SerializerMethodField()
    prescription = serializers.SerializerMethodField()
    withheldFields = WithheldFieldsField(
        child=serializers.ChoiceField(choices=PHI_OUTPUT_FIELDS),
        required=False,
        help_text=(
            "Present only when the caller may not view health information (an admin "
            "without the view-PHI permission): the fields sent as null for that reason."
        ),
    )

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        if self.context.get("withhold_phi"):
            # Not even read: the object's health values never reach the serializer.
            for name in ("reason", "cancellationReason", "notes", "prescription"):
                fields[name] = serializers.SerializerMethodField(method_name="get_nothing")
        return fields

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        if not self.context.get("withhold_phi"):
            data.pop("withheldFields", None)
        return data

    def get_nothing(self, obj: Consultation) -> None:
        return None

    @staticmethod
    def _clinical(obj: Consultation, name: str) -> Any:
        # Notes and prescriptions exist only once a consultation has started, so other
        # states need no lookup (a fresh booking answers without extra queries).
        if obj.status not in CLINICAL_STATUSES:
            return None
        try:
            return getattr(obj, name)
        except ObjectDoesNotExist:
            return None

    @extend_schema_field(NotesOutputSerializer(allow_null=True))
    def get_notes(self, obj: Consultation) -> dict[str, Any] | None:
        notes = self._clinical(obj, "notes")
        return None if notes is None else NotesOutputSerializer(notes).data

    @extend_schema_field(PrescriptionOutputSerializer(allow_null=True))
    def get_prescription(self, obj: Consultation) -> dict[str, Any] | None:
        prescription = self._clinical(obj, "prescription")
        return None if prescription is None else PrescriptionOutputSerializer(prescription).data


def prescription_items(validated_items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The stored form of validated items: the wire's keys, `instructions` always present."""
    return [
        {
            "medicine": item["medicine"],
            "dosage": item["dosage"],
            "frequency": item["frequency"],
            "durationDays": item["durationDays"],
            "instructions": item.get("instructions") or None,
        }
        for item in validated_items
    ]
