"""HTTP endpoints of the doctors app: directory, own profile, slots, schedule, time off."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsAdmin, IsDoctor
from amrutam.common.contract.envelope import success
from amrutam.common.drf.validation import validated

from . import openapi as doc
from .availability import CONTENT_TYPE, availability_body
from .scheduling import Rule
from .selectors import (
    DirectoryFilters,
    doctor_get_by_id,
    doctor_get_own,
    doctor_get_public,
    doctor_list_public,
    schedule_rule_list,
    slot_list_own,
)
from .serializers import (
    DEFAULT_WINDOW_DAYS,
    MAX_WINDOW_DAYS,
    DirectoryQuerySerializer,
    DoctorOutputSerializer,
    DoctorUpdateInputSerializer,
    OwnSlotsQuerySerializer,
    ScheduleInputSerializer,
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


def _doctor_data(doctor: Any) -> dict[str, Any]:
    return {"doctor": DoctorOutputSerializer(doctor).data}


class DoctorListApi(GenericAPIView):
    list_name = "doctors"

    @doc.doctor_list
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
    @doc.doctor_detail
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
    @doc.doctor_availability
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

    @doc.doctor_me_get
    def get(self, request: Request) -> Response:
        return success(_doctor_data(doctor_get_own(user=request.user)))

    @doc.doctor_me_update
    def patch(self, request: Request) -> Response:
        data = validated(DoctorUpdateInputSerializer, request.data, partial=True)
        doctor = doctor_get_own(user=request.user)
        doctor_profile_update(doctor=doctor, data=dict(data), updated_by=request.user)
        return success(_doctor_data(doctor_get_own(user=request.user)))


class MySlotsApi(GenericAPIView):
    permission_classes = [IsDoctor]
    list_name = "slots"

    @doc.my_slot_list
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

    @doc.my_slots_create
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

    @doc.my_slot_delete
    def delete(self, request: Request, slot_id: Any) -> Response:
        doctor = doctor_get_own(user=request.user)
        slot_delete(doctor=doctor, slot_id=slot_id, deleted_by=request.user)
        return Response(status=204)


class MyScheduleApi(APIView):
    permission_classes = [IsDoctor]

    @doc.my_schedule_get
    def get(self, request: Request) -> Response:
        doctor = doctor_get_own(user=request.user)
        rules = schedule_rule_list(doctor=doctor)
        return success({"schedule": schedule_data(doctor=doctor, rules=rules)})

    @doc.my_schedule_update
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

    @doc.my_time_off_create
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

    @doc.admin_doctor_verify
    def post(self, request: Request, doctor_id: Any) -> Response:
        doctor_verify(doctor_id=doctor_id, verified_by=request.user)
        return success(_doctor_data(doctor_get_by_id(doctor_id=doctor_id)))
