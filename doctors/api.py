"""HTTP endpoints of the doctors app: directory, own profile, slots, schedule, time off."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsAdmin, IsDoctor
from amrutam.common.drf import success, validated

from . import openapi as doc
from .availability import CONTENT_TYPE, availability_body
from .scheduling import Rule
from .selectors import (
    DirectoryFilters,
    doctor_get_by_id,
    doctor_get_own,
    doctor_get_public,
    doctor_list_public,
    schedule_rules_of,
    slot_list_own,
)
from .serializers import (
    DEFAULT_WINDOW_DAYS,
    MAX_WINDOW_DAYS,
    BookedConsultationSerializer,
    DirectoryQuerySerializer,
    DoctorOutputSerializer,
    DoctorUpdateInputSerializer,
    OwnSlotsQuerySerializer,
    ScheduleInputSerializer,
    ScheduleOutputSerializer,
    SlotOutputSerializer,
    SlotsCreateInputSerializer,
    TimeOffInputSerializer,
    TimeOffOutputSerializer,
    WindowQuerySerializer,
    schedule_data,
)
from .services import (
    doctor_profile_update,
    doctor_verify,
    schedule_update,
    slot_delete,
    slots_create,
    time_off_create,
)

DoctorEnvelope = doc.envelope("DoctorEnvelope", {"doctor": DoctorOutputSerializer()})
SlotsEnvelope = doc.envelope("SlotsEnvelope", {"slots": SlotOutputSerializer(many=True)})
ScheduleEnvelope = doc.envelope(
    "ScheduleEnvelope",
    {
        "schedule": ScheduleOutputSerializer(),
        "slotsCreated": serializers.IntegerField(
            required=False, help_text="Slots created by this save (PUT only)."
        ),
    },
)


def _doctor_data(doctor: Any) -> dict[str, Any]:
    return {"doctor": DoctorOutputSerializer(doctor).data}


class DoctorListApi(GenericAPIView):
    list_name = "doctors"

    @extend_schema(
        operation_id="doctors_list",
        summary="Directory of verified doctors",
        parameters=[DirectoryQuerySerializer, *doc.PAGE_PARAMETERS],
        responses={
            200: doc.envelope(
                "DoctorPageEnvelope",
                {"doctors": DoctorOutputSerializer(many=True), **doc.PAGINATION_FIELDS},
            ),
            **doc.errors(400, 401),
        },
    )
    def get(self, request: Request) -> Response:
        params = validated(DirectoryQuerySerializer, request.query_params)
        filters = DirectoryFilters(
            specialization=params.get("specialization"),
            language=params.get("language"),
            q=params.get("q"),
            min_fee=params.get("minFee"),
            max_fee=params.get("maxFee"),
            available_on=params.get("availableOn"),
            ordering=params["ordering"],
        )
        page = self.paginate_queryset(doctor_list_public(filters=filters))
        return self.get_paginated_response(DoctorOutputSerializer(page, many=True).data)


class DoctorDetailApi(APIView):
    @extend_schema(
        operation_id="doctors_retrieve",
        summary="One verified doctor",
        responses={200: DoctorEnvelope, **doc.errors(401, 404)},
    )
    def get(self, request: Request, doctor_id: Any) -> Response:
        return success(_doctor_data(doctor_get_public(doctor_id=doctor_id)))


def _plain_window(query: Any) -> dict[str, Any] | None:
    """The window of the common availability query, `?days=N` or none, parsed without
    building a serializer; None for anything else, which the serializer parses (and
    answers with its own errors)."""
    if len(query) > 1 or (len(query) == 1 and "days" not in query):
        return None
    raw = query.get("days", str(DEFAULT_WINDOW_DAYS))
    # The length first: a long digit string is the serializer's to refuse.
    if not (raw.isascii() and raw.isdigit() and len(raw) <= len(str(MAX_WINDOW_DAYS))):
        return None
    if not 1 <= int(raw) <= MAX_WINDOW_DAYS:
        return None
    return {"days": int(raw)}


class DoctorAvailabilityApi(APIView):
    @extend_schema(
        operation_id="doctors_availability",
        summary="A doctor's bookable slots, soonest first",
        description=(
            "Only AVAILABLE slots that have not started, in `days` local days from "
            "`start_date` (the doctor's time zone). Unknown, unverified or deactivated "
            "doctor: 404. Answers are cached per doctor and window and dropped on every "
            "slot change."
        ),
        parameters=doc.WINDOW_PARAMETERS,
        responses={
            200: doc.envelope(
                "AvailabilityEnvelope",
                {
                    "doctorId": serializers.UUIDField(),
                    "timezone": serializers.CharField(),
                    "slots": SlotOutputSerializer(many=True),
                },
            ),
            **doc.errors(400, 401, 404),
        },
    )
    def get(self, request: Request, doctor_id: Any) -> HttpResponse:
        params = _plain_window(request.query_params) or validated(
            WindowQuerySerializer, request.query_params
        )
        body = availability_body(
            doctor_id=doctor_id, start_date=params.get("start_date"), days=params["days"]
        )
        # The body is already the encoded envelope (possibly straight from the cache).
        return HttpResponse(body, content_type=CONTENT_TYPE)


class DoctorMeApi(APIView):
    permission_classes = [IsDoctor]

    @extend_schema(
        operation_id="doctors_me_retrieve",
        summary="The calling doctor's profile",
        responses={200: DoctorEnvelope, **doc.errors(401, 403, 404)},
    )
    def get(self, request: Request) -> Response:
        return success(_doctor_data(doctor_get_own(user=request.user)))

    @extend_schema(
        operation_id="doctors_me_update",
        summary="Update the calling doctor's profile",
        description=(
            "Changes only the fields given. `isVerified` cannot be set by a doctor: a body "
            "naming it is refused with 400 validation_error. A verified doctor's "
            "`registrationNumber` is changed only by clinic staff (400)."
        ),
        request=DoctorUpdateInputSerializer,
        responses={200: DoctorEnvelope, **doc.errors(400, 401, 403, 404)},
    )
    def patch(self, request: Request) -> Response:
        data = validated(DoctorUpdateInputSerializer, request.data, partial=True)
        doctor = doctor_get_own(user=request.user)
        doctor_profile_update(doctor=doctor, data=dict(data), updated_by=request.user)
        return success(_doctor_data(doctor_get_own(user=request.user)))


class MySlotsApi(GenericAPIView):
    permission_classes = [IsDoctor]
    list_name = "slots"

    @extend_schema(
        operation_id="doctors_me_slots_list",
        summary="The calling doctor's own slots, any status",
        description=(
            "Slots starting in `days` local days from `start_date` (the doctor's zone), "
            "soonest first, optionally of one `status`. Paginated."
        ),
        parameters=[
            *doc.WINDOW_PARAMETERS,
            OpenApiParameter("status", str, enum=["AVAILABLE", "BOOKED", "BLOCKED"]),
            *doc.PAGE_PARAMETERS,
        ],
        responses={
            200: doc.envelope(
                "OwnSlotPageEnvelope",
                {"slots": SlotOutputSerializer(many=True), **doc.PAGINATION_FIELDS},
            ),
            **doc.errors(400, 401, 403, 404),
        },
    )
    def get(self, request: Request) -> Response:
        params = validated(OwnSlotsQuerySerializer, request.query_params)
        slots = slot_list_own(
            doctor=doctor_get_own(user=request.user),
            start_date=params.get("start_date"),
            days=params["days"],
            status=params.get("status"),
        )
        page = self.paginate_queryset(slots)
        return self.get_paginated_response(SlotOutputSerializer(page, many=True).data)

    @extend_schema(
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
            **doc.errors(400, 401, 403, 404, 409, s409="slot_overlap: slots overlap."),
        },
    )
    def post(self, request: Request) -> Response:
        data = validated(SlotsCreateInputSerializer, request.data)
        doctor = doctor_get_own(user=request.user)
        created = slots_create(
            doctor=doctor,
            ranges=[(s["startTime"], s["endTime"]) for s in data["slots"]],
            created_by=request.user,
        )
        return success({"slots": SlotOutputSerializer(created, many=True).data}, status=201)


class MySlotDetailApi(APIView):
    permission_classes = [IsDoctor]

    @extend_schema(
        operation_id="doctors_me_slots_destroy",
        summary="Delete one of the calling doctor's free slots",
        description=(
            "204 when the slot is not booked. A slot that once held a since-cancelled "
            "consultation is kept for that history and becomes BLOCKED instead. Booked: "
            "409 invalid_state. Another doctor's slot: 404."
        ),
        responses={
            204: OpenApiResponse(description="Deleted."),
            **doc.errors(401, 403, 404, 409, s409="invalid_state: the slot is booked."),
        },
    )
    def delete(self, request: Request, slot_id: Any) -> Response:
        doctor = doctor_get_own(user=request.user)
        slot_delete(doctor=doctor, slot_id=slot_id, deleted_by=request.user)
        return Response(status=204)


class MyScheduleApi(APIView):
    permission_classes = [IsDoctor]

    @extend_schema(
        operation_id="doctors_me_schedule_retrieve",
        summary="The calling doctor's weekly schedule",
        responses={200: ScheduleEnvelope, **doc.errors(401, 403, 404)},
    )
    def get(self, request: Request) -> Response:
        doctor = doctor_get_own(user=request.user)
        rules = schedule_rules_of(doctor=doctor)
        return success({"schedule": schedule_data(doctor=doctor, rules=rules)})

    @extend_schema(
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
        responses={200: ScheduleEnvelope, **doc.errors(400, 401, 403, 404)},
    )
    def put(self, request: Request) -> Response:
        data = validated(ScheduleInputSerializer, request.data)
        doctor = doctor_get_own(user=request.user)
        outcome = schedule_update(
            doctor=doctor,
            timezone_name=data.get("timezone", doctor.timezone),
            slot_minutes=data.get("slotMinutes", doctor.slot_minutes),
            rules=[Rule(r["weekday"], r["start_minute"], r["end_minute"]) for r in data["rules"]],
            updated_by=request.user,
        )
        schedule = schedule_data(doctor=outcome.doctor, rules=outcome.rules)
        return success({"schedule": schedule, "slotsCreated": outcome.slots_created})


class MyTimeOffApi(APIView):
    permission_classes = [IsDoctor]

    @extend_schema(
        operation_id="doctors_me_time_off_create",
        summary="Take time off: block free slots in a range",
        description=(
            "Blocks the doctor's AVAILABLE slots overlapping [start, end). Booked slots are "
            "left alone and their consultations listed in `bookedConsultations`, for the "
            "doctor to cancel or keep."
        ),
        request=TimeOffInputSerializer,
        responses={
            201: doc.envelope(
                "TimeOffEnvelope",
                {
                    "blockedSlots": SlotOutputSerializer(many=True),
                    "bookedConsultations": BookedConsultationSerializer(many=True),
                },
            ),
            **doc.errors(400, 401, 403, 404),
        },
    )
    def post(self, request: Request) -> Response:
        data = validated(TimeOffInputSerializer, request.data)
        doctor = doctor_get_own(user=request.user)
        outcome = time_off_create(
            doctor=doctor,
            start=data["start"],
            end=data["end"],
            reason=data.get("reason"),
            created_by=request.user,
        )
        return success(TimeOffOutputSerializer(outcome).data, status=201)


class AdminDoctorVerifyApi(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(
        operation_id="admin_doctors_verify",
        summary="Verify a doctor (clinic staff)",
        description=(
            "Lists the doctor and makes it bookable. Verifying a verified doctor changes "
            "nothing. A doctor without a registration number: 400 validation_error."
        ),
        request=None,
        responses={200: DoctorEnvelope, **doc.errors(400, 401, 403, 404)},
    )
    def post(self, request: Request, doctor_id: Any) -> Response:
        doctor_verify(doctor_id=doctor_id, verified_by=request.user)
        return success(_doctor_data(doctor_get_by_id(doctor_id=doctor_id)))
