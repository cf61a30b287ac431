"""The OpenAPI declarations of the doctors endpoints (doctors/api.py)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers

from amrutam.common.contract.openapi import (
    PAGE_PARAMETERS,
    envelope,
    error_responses,
    page_envelope,
)

from .serializers import (
    BookedConsultationSerializer,
    DirectoryQuerySerializer,
    DoctorOutputSerializer,
    DoctorUpdateInputSerializer,
    ScheduleInputSerializer,
    ScheduleOutputSerializer,
    SlotOutputSerializer,
    SlotsCreateInputSerializer,
    TimeOffInputSerializer,
)

WINDOW_PARAMETERS = [
    OpenApiParameter(
        "start_date",
        str,
        description="YYYY-MM-DD (2000-01-01 to 2100-12-31); default today in the doctor's zone.",
    ),
    OpenApiParameter("days", int, description="Window length in days, 1-31 (default 7)."),
]

DoctorEnvelope = envelope("DoctorEnvelope", {"doctor": DoctorOutputSerializer()})
SlotsEnvelope = envelope("SlotsEnvelope", {"slots": SlotOutputSerializer(many=True)})
ScheduleEnvelope = envelope(
    "ScheduleEnvelope",
    {
        "schedule": ScheduleOutputSerializer(),
        "slotsCreated": serializers.IntegerField(
            required=False, help_text="Slots created by this save (PUT only)."
        ),
    },
)

doctor_list = extend_schema(
    operation_id="doctors_list",
    summary="Directory of verified doctors",
    parameters=[DirectoryQuerySerializer, *PAGE_PARAMETERS],
    responses={
        200: page_envelope("DoctorPageEnvelope", "doctors", DoctorOutputSerializer(many=True)),
        **error_responses(400, 401),
    },
)

doctor_detail = extend_schema(
    operation_id="doctors_retrieve",
    summary="One verified doctor",
    responses={200: DoctorEnvelope, **error_responses(401, 404)},
)

doctor_availability = extend_schema(
    operation_id="doctors_availability",
    summary="A doctor's bookable slots, soonest first",
    description=(
        "Only AVAILABLE slots that have not started, in `days` local days from "
        "`start_date` (the doctor's time zone). Unknown, unverified or deactivated "
        "doctor: 404. Answers are cached per doctor and window and dropped on every "
        "slot change."
    ),
    parameters=WINDOW_PARAMETERS,
    responses={
        200: envelope(
            "AvailabilityEnvelope",
            {
                "doctorId": serializers.UUIDField(),
                "timezone": serializers.CharField(),
                "slots": SlotOutputSerializer(many=True),
            },
        ),
        **error_responses(400, 401, 404),
    },
)

doctor_me_get = extend_schema(
    operation_id="doctors_me_retrieve",
    summary="The calling doctor's profile",
    responses={200: DoctorEnvelope, **error_responses(401, 403, 404)},
)

doctor_me_update = extend_schema(
    operation_id="doctors_me_update",
    summary="Update the calling doctor's profile",
    description=(
        "Changes only the fields given. `isVerified` cannot be set by a doctor: a body "
        "naming it is refused with 400 validation_error. A verified doctor's "
        "`registrationNumber` is changed only by clinic staff (400)."
    ),
    request=DoctorUpdateInputSerializer,
    responses={200: DoctorEnvelope, **error_responses(400, 401, 403, 404)},
)

my_slot_list = extend_schema(
    operation_id="doctors_me_slots_list",
    summary="The calling doctor's own slots, any status",
    description=(
        "Slots starting in `days` local days from `start_date` (the doctor's zone), "
        "soonest first, optionally of one `status`. Paginated."
    ),
    parameters=[
        *WINDOW_PARAMETERS,
        OpenApiParameter("status", str, enum=["AVAILABLE", "BOOKED", "BLOCKED"]),
        *PAGE_PARAMETERS,
    ],
    responses={
        200: page_envelope("OwnSlotPageEnvelope", "slots", SlotOutputSerializer(many=True)),
        **error_responses(400, 401, 403, 404),
    },
)

my_slots_create = extend_schema(
    operation_id="doctors_me_slots_create",
    summary="Create slots in bulk, all or nothing",
    description=(
        "At most 500 slots. A slot in the past, shorter than 5 minutes or longer than "
        "4 hours: 400. A slot overlapping another in the request or one the doctor "
        "already has: 409 slot_overlap. Either every slot is created or none."
    ),
    request=SlotsCreateInputSerializer,
    responses={
        201: SlotsEnvelope,
        **error_responses(400, 401, 403, 404, 409, s409="`slot_overlap`: slots overlap."),
    },
)

my_slot_delete = extend_schema(
    operation_id="doctors_me_slots_destroy",
    summary="Delete one of the calling doctor's free slots",
    description=(
        "204 when the slot is not booked. A slot that once held a since-cancelled "
        "consultation is kept for that history and becomes BLOCKED instead. Booked: "
        "409 invalid_state. Another doctor's slot: 404."
    ),
    responses={
        204: OpenApiResponse(description="Deleted."),
        **error_responses(401, 403, 404, 409, s409="`invalid_state`: the slot is booked."),
    },
)

my_schedule_get = extend_schema(
    operation_id="doctors_me_schedule_retrieve",
    summary="The calling doctor's weekly schedule",
    responses={200: ScheduleEnvelope, **error_responses(401, 403, 404)},
)

my_schedule_update = extend_schema(
    operation_id="doctors_me_schedule_update",
    summary="Replace the weekly schedule and create its slots",
    description=(
        "Rules are wall-clock windows in `timezone` (Monday = 0). Saving creates the "
        "slots they describe for the booking horizon (BOOKING_HORIZON_DAYS local days "
        "from today), skipping any that would overlap an existing slot; existing "
        "slots are never changed. `slotsCreated` counts the new ones. Overlapping rules "
        "on one weekday, a weekday outside 0-6 or an unknown zone: 400."
    ),
    request=ScheduleInputSerializer,
    responses={200: ScheduleEnvelope, **error_responses(400, 401, 403, 404)},
)

my_time_off_create = extend_schema(
    operation_id="doctors_me_time_off_create",
    summary="Take time off: block free slots in a range",
    description=(
        "Blocks the doctor's AVAILABLE slots overlapping [start, end). Booked slots are "
        "left alone and their consultations listed in `bookedConsultations`, for the "
        "doctor to cancel or keep."
    ),
    request=TimeOffInputSerializer,
    responses={
        201: envelope(
            "TimeOffEnvelope",
            {
                "blockedSlots": SlotOutputSerializer(many=True),
                "bookedConsultations": BookedConsultationSerializer(many=True),
            },
        ),
        **error_responses(400, 401, 403, 404),
    },
)

admin_doctor_verify = extend_schema(
    operation_id="admin_doctors_verify",
    summary="Verify a doctor (clinic staff)",
    description=(
        "Lists the doctor and makes it bookable. Verifying a verified doctor changes "
        "nothing. A doctor without a registration number: 400 validation_error."
    ),
    request=None,
    responses={200: DoctorEnvelope, **error_responses(400, 401, 403, 404)},
)
